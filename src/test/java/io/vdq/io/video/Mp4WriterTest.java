package io.vdq.io.video;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException;
import io.vdq.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jcodec.api.FrameGrab;
import org.jcodec.common.io.NIOUtils;
import org.jcodec.common.model.ColorSpace;
import org.jcodec.common.model.Picture;
import org.jcodec.scale.ColorUtil;
import org.jcodec.scale.Transform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The MP4 is read back by jcodec's own decoder (demuxer + H.264 decoder), which shares no code with the writer's path but the container classes. */
class Mp4WriterTest {
    @TempDir Path dir;

    /** Smooth content (H.264 is lossy): a colour ramp that moves one pixel per frame. */
    private static Tensor ramp(int f, int h, int w) {
        Tensor t = Tensor.zeros(f, h, w, 3);
        for (int k = 0; k < f; k++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    t.set(0.2f + 0.6f * ((x + k) % w) / w, k, y, x, 0);
                    t.set(0.3f + 0.5f * y / h, k, y, x, 1);
                    t.set(0.5f, k, y, x, 2);
                }
        return t;
    }

    @Test
    void writesAnMp4ThatDecodesWithTheRightFrameCountSizeAndColours() throws Exception {
        Tensor v = ramp(9, 48, 80);
        Path file = dir.resolve("v.mp4");
        Mp4Writer.write(file, v, 16, 2);
        assertTrue(Files.size(file) > 1000, "an H.264 file of 9 frames");
        try (var ch = NIOUtils.readableChannel(file.toFile())) {
            FrameGrab g = FrameGrab.createFrameGrab(ch);
            int n = 0;
            double absErr = 0;
            long count = 0;
            Picture p;
            while ((p = g.getNativeFrame()) != null) {
                assertEquals(160, p.getCroppedWidth() > 0 ? p.getCroppedWidth() : p.getWidth());
                assertEquals(96, p.getCroppedHeight() > 0 ? p.getCroppedHeight() : p.getHeight());
                Picture rgb = Picture.create(p.getWidth(), p.getHeight(), ColorSpace.RGB);
                Transform tr = ColorUtil.getTransform(p.getColor(), ColorSpace.RGB);
                tr.transform(p, rgb);
                byte[] d = rgb.getPlaneData(0);
                for (int y = 0; y < 96; y += 5)
                    for (int x = 0; x < 160; x += 7)
                        for (int c = 0; c < 3; c++) {
                            double got = (d[3 * (y * p.getWidth() + x) + c] + 128) / 255.0;
                            absErr += Math.abs(got - v.get(n, y / 2, x / 2, c));
                            count++;
                        }
                n++;
            }
            assertEquals(9, n, "frame count");
            assertTrue(absErr / count < 0.03, "mean colour error " + absErr / count + " of a smooth ramp");
        }
    }

    @Test
    void refusesABadFrameRateWithoutWriting() {
        Path file = dir.resolve("x.mp4");
        var e = assertThrows(VdqException.class, () -> Mp4Writer.write(file, ramp(1, 16, 16), 0, 1));
        assertTrue(e.getMessage().contains("x.mp4") && e.getMessage().contains("frame rate"), e.getMessage());
        assertFalse(Files.exists(file));
    }

    @Test
    void upscaleBringsTheShortSideToTheMinimum() {
        assertEquals(8, Mp4Writer.upscaleFor(32, 32, 256));
        assertEquals(1, Mp4Writer.upscaleFor(480, 832, 256));
        assertEquals(3, Mp4Writer.upscaleFor(100, 300, 256));
    }
}
