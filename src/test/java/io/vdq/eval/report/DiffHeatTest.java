package io.vdq.eval.report;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ShapeException;
import io.vdq.io.video.GifWriter;
import io.vdq.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiffHeatTest {
    @TempDir Path dir;

    @Test
    void differenceGifPixelsAreTheHeatColoursOfTheMeanAbsoluteDifference() throws Exception {
        // two videos [C=3, F=2, H=1, W=3], channels first; full scale 0.5; t = √(mean |Δ| / 0.5), colour (3t, 3t − 1, 3t − 2)
        // frame 0: px0 |Δ| = (0.01, 0.02, 0.03) → mean 0.02 → t 0.2 → (0.6, 0, 0) → (153, 0, 0)
        //          px1 identical → black; px2 |Δ| = 0.32 in every channel → t 0.8 → (1, 1, 0.4) → (255, 255, 102)
        // frame 1: px0 |Δ| = 2 → clamped → white; px1 |Δ| (0.06, 0.08, 0.10) → mean 0.08 → t 0.4 → (1, 0.2, 0) → (255, 51, 0)
        //          px2 |Δ| = 0.18 → t 0.6 → (1, 0.8, 0) → (255, 204, 0)
        float[][] a = new float[3][6], b = new float[3][6]; // [channel][frame * 3 + x]
        float[][] d = {{0.01f, 0, 0.32f, 2, 0.06f, 0.18f}, {0.02f, 0, 0.32f, 2, 0.08f, 0.18f}, {0.03f, 0, 0.32f, 2, 0.10f, 0.18f}};
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 6; i++) {
                a[c][i] = -0.5f + 0.1f * i;
                b[c][i] = (i % 2 == 0) ? a[c][i] + d[c][i] : a[c][i] - d[c][i]; // sign does not matter: |Δ|
            }
        float[] fa = new float[18], fb = new float[18];
        for (int c = 0; c < 3; c++) {
            System.arraycopy(a[c], 0, fa, c * 6, 6);
            System.arraycopy(b[c], 0, fb, c * 6, 6);
        }
        Tensor heat = DiffHeat.frames(Tensor.of(fa, 3, 2, 1, 3), Tensor.of(fb, 3, 2, 1, 3), 0.5);
        assertArrayEquals(new int[]{2, 1, 3, 3}, heat.shape().dims());
        Path gif = dir.resolve("d.gif");
        GifWriter.write(gif, heat, 100, 8); // ×8: javax.imageio misreads GIFs only a few pixels high
        int[][][] expect = {
                {{153, 0, 0}, {0, 0, 0}, {255, 255, 102}},
                {{255, 255, 255}, {255, 51, 0}, {255, 204, 0}}};
        try (var in = ImageIO.createImageInputStream(gif.toFile())) {
            var reader = ImageIO.getImageReadersByFormatName("gif").next();
            reader.setInput(in);
            assertEquals(2, reader.getNumImages(true));
            for (int f = 0; f < 2; f++) {
                BufferedImage img = reader.read(f);
                assertEquals(24, img.getWidth());
                for (int x = 0; x < 3; x++)
                    for (int up = 0; up < 8; up++) {
                        int rgb = img.getRGB(8 * x + up, up);
                        int[] e = expect[f][x];
                        // float rounding of a − b may move a channel by one level at most
                        assertEquals(e[0], rgb >> 16 & 255, 1, "frame " + f + " pixel " + x + " red");
                        assertEquals(e[1], rgb >> 8 & 255, 1, "frame " + f + " pixel " + x + " green");
                        assertEquals(e[2], rgb & 255, 1, "frame " + f + " pixel " + x + " blue");
                    }
            }
        }
    }

    @Test
    void mismatchedShapesAreRefused() {
        var e = assertThrows(ShapeException.class, () -> DiffHeat.frames(Tensor.zeros(3, 1, 2, 2), Tensor.zeros(3, 1, 2, 3), 1));
        assertTrue(e.getMessage().contains("difference view"), e.getMessage());
    }
}
