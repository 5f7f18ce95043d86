package io.vdq.io.video;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ShapeException;
import io.vdq.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VideoWritersTest {
    @TempDir Path dir;

    /** A video whose channel values are k/255 for integers k, so the expected 8-bit value is exactly k. */
    private static Tensor levels(long seed, int f, int h, int w, int distinctPerChannel) {
        SplittableRandom r = new SplittableRandom(seed);
        Tensor t = Tensor.zeros(f, h, w, 3);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) d[i] = (r.nextInt(distinctPerChannel) * 37 % 256) / 255f;
        return t;
    }

    private static int expectedRgb(Tensor v, int f, int y, int x) {
        int rgb = 0;
        for (int c = 0; c < 3; c++) rgb = rgb << 8 | (int) Math.round(v.get(f, y, x, c) * 255.0);
        return rgb;
    }

    private record Gif(List<BufferedImage> frames, List<IIOMetadataNode> meta) {}

    private static Gif readGif(Path p) throws Exception {
        ImageReader r = ImageIO.getImageReadersByFormatName("gif").next();
        try (ImageInputStream in = ImageIO.createImageInputStream(p.toFile())) {
            r.setInput(in);
            int n = r.getNumImages(true);
            List<BufferedImage> frames = new java.util.ArrayList<>();
            List<IIOMetadataNode> meta = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                frames.add(r.read(i));
                var md = r.getImageMetadata(i);
                meta.add((IIOMetadataNode) md.getAsTree(md.getNativeMetadataFormatName()));
            }
            return new Gif(frames, meta);
        } finally {
            r.dispose();
        }
    }

    private static IIOMetadataNode node(IIOMetadataNode root, String name) {
        var l = root.getElementsByTagName(name);
        return l.getLength() == 0 ? null : (IIOMetadataNode) l.item(0);
    }

    @Test
    void gifWithFewColoursIsLosslessLoopsAndKeepsTheDelay() throws Exception {
        // 4 levels per channel -> at most 64 colours per frame: the palette must be exact.
        Tensor v = levels(1, 4, 5, 7, 4);
        Path p = dir.resolve("clip.gif");
        GifWriter.write(p, v, 125, 3);
        Gif g = readGif(p);
        assertEquals(4, g.frames.size());
        for (int f = 0; f < 4; f++) {
            BufferedImage img = g.frames.get(f);
            assertEquals(21, img.getWidth());
            assertEquals(15, img.getHeight());
            for (int y = 0; y < 15; y++)
                for (int x = 0; x < 21; x++)
                    assertEquals(expectedRgb(v, f, y / 3, x / 3), img.getRGB(x, y) & 0xFFFFFF, "frame " + f + " (" + x + "," + y + ")");
            IIOMetadataNode gce = node(g.meta.get(f), "GraphicControlExtension");
            assertEquals("12", gce.getAttribute("delayTime"));          // 125 ms = 12.5 cs, ties to even -> 12
        }
        IIOMetadataNode app = node(g.meta.get(0), "ApplicationExtension");
        assertNotNull(app, "NETSCAPE2.0 loop extension on the first frame");
        assertEquals("NETSCAPE", app.getAttribute("applicationID"));
        byte[] loop = (byte[]) app.getUserObject();
        assertEquals(1, loop[0]);
        assertEquals(0, (loop[1] & 0xFF) | (loop[2] & 0xFF) << 8, "loop count 0 = forever");
    }

    @Test
    void gifWithManyColoursStaysCloseAfterMedianCut() throws Exception {
        int h = 48, w = 64;
        Tensor v = Tensor.zeros(2, h, w, 3);
        SplittableRandom r = new SplittableRandom(2);
        for (int f = 0; f < 2; f++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    v.set(x / (float) (w - 1), f, y, x, 0);
                    v.set(y / (float) (h - 1), f, y, x, 1);
                    v.set((float) r.nextDouble(), f, y, x, 2);     // noise: thousands of distinct colours
                }
        Path p = dir.resolve("grad.gif");
        GifWriter.write(p, v, 40, 1, false);
        Gif g = readGif(p);
        assertEquals(2, g.frames.size());
        double sum = 0;
        int max = 0;
        for (int f = 0; f < 2; f++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    int want = expectedRgb(v, f, y, x), got = g.frames.get(f).getRGB(x, y);
                    for (int s = 0; s <= 16; s += 8) {
                        int e = Math.abs((want >>> s & 0xFF) - (got >>> s & 0xFF));
                        sum += e;
                        max = Math.max(max, e);
                    }
                }
        double mean = sum / (2.0 * h * w * 3);
        // The colours fill the RGB cube about uniformly; 256 boxes give cells of about 256/256^(1/3) = 40 levels a
        // side, and the mean |error| of a uniform value against its cell's centre is side/4 = 10 levels. A broken
        // palette (e.g. all black, or channels swapped) gives a mean near 100.
        assertTrue(mean < 12, "mean abs error " + mean);
        assertTrue(max < 48, "max abs error " + max);
    }

    @Test
    void ditheredGifKeepsLocalAveragesOfASmoothGradient() throws Exception {
        // ~6 000 colours on a 3-channel gradient: error diffusion must keep every 8x8 block's mean close to the
        // original's (the error of each pixel is carried to its neighbours, not lost).
        int h = 64, w = 96;
        Tensor v = Tensor.zeros(1, h, w, 3);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                v.set(x / (float) (w - 1), 0, y, x, 0);
                v.set(y / (float) (h - 1), 0, y, x, 1);
                v.set((x + y) / (float) (w + h - 2), 0, y, x, 2);
            }
        Path p = dir.resolve("dither.gif");
        GifWriter.write(p, v, 40, 1, true);
        BufferedImage img = readGif(p).frames.getFirst();
        double worst = 0;
        for (int by = 0; by < h; by += 8)
            for (int bx = 0; bx < w; bx += 8)
                for (int s = 0; s <= 16; s += 8) {
                    double want = 0, got = 0;
                    for (int y = by; y < by + 8; y++)
                        for (int x = bx; x < bx + 8; x++) {
                            want += expectedRgb(v, 0, y, x) >>> s & 0xFF;
                            got += img.getRGB(x, y) >>> s & 0xFF;
                        }
                    worst = Math.max(worst, Math.abs(want - got) / 64);
                }
        assertTrue(worst < 4, "worst 8x8 block mean error " + worst);
    }

    @Test
    void pngGridShowsEvenlySpacedFramesOneRowPerVideo() throws Exception {
        Tensor a = levels(3, 5, 3, 4, 256), b = levels(4, 3, 3, 4, 256);
        Path p = dir.resolve("grid.png");
        PngWriter.writeGrid(p, List.of(a, b), 3, 1, 2);
        BufferedImage img = ImageIO.read(p.toFile());
        // 2 rows of 3 frames, 1-pixel gaps, then x2: (2*3+1)*2 high, (3*4+2)*2 wide.
        assertEquals(14, img.getHeight());
        assertEquals(28, img.getWidth());
        int[][] frameOf = {{0, 2, 4}, {0, 2, 2}};       // 5 frames over 3 columns: 0, 2, 4; video b clamps to its last
        List<Tensor> vids = List.of(a, b);
        for (int y = 0; y < 14; y++)
            for (int x = 0; x < 28; x++) {
                int gy = y / 2, gx = x / 2, row = gy / 4, col = gx / 5, ly = gy % 4, lx = gx % 5;
                int want = (ly == 3 || lx == 4) ? 0xFFFFFF : expectedRgb(vids.get(row), frameOf[row][col], ly, lx);
                assertEquals(want, img.getRGB(x, y) & 0xFFFFFF, "(" + x + "," + y + ")");
            }
    }

    @Test
    void pngImageRoundTripsAndClampsOutOfRangeValues() throws Exception {
        float[] px = {-0.5f, Float.NaN, 2f, 0.2f, 0.6f, 1f / 3};
        Tensor t = Tensor.of(px, 1, 2, 3);
        Path p = dir.resolve("one.png");
        PngWriter.writeImage(p, t, 1);
        BufferedImage img = ImageIO.read(p.toFile());
        assertEquals(2, img.getWidth());
        assertEquals(0x0000FF, img.getRGB(0, 0) & 0xFFFFFF);       // clamp low, NaN -> 0, clamp high
        assertEquals(51 << 16 | 153 << 8 | 85, img.getRGB(1, 0) & 0xFFFFFF);
    }

    @Test
    void sideBySideHoldsShorterVideosOnTheirLastFrame() {
        Tensor a = levels(5, 3, 2, 2, 256), b = levels(6, 1, 3, 1, 256);
        Tensor s = Frames.sideBySide(List.of(a, b), 2, 0.25f);
        assertEquals(io.vdq.tensor.Shape.of(3, 3, 5, 3), s.shape());
        for (int f = 0; f < 3; f++)
            for (int c = 0; c < 3; c++) {
                assertEquals(a.get(f, 1, 1, c), s.get(f, 1, 1, c));
                assertEquals(0.25f, s.get(f, 2, 0, c));            // a is 2 high: padded
                assertEquals(0.25f, s.get(f, 0, 2, c));            // gap
                assertEquals(b.get(0, 2, 0, c), s.get(f, 2, 4, c));  // b has one frame
            }
    }

    @Test
    void badShapesAreRefusedAndNoFileOrTemporaryIsLeft() throws Exception {
        Path p = dir.resolve("bad.gif");
        ShapeException e = assertThrows(ShapeException.class, () -> GifWriter.write(p, Tensor.zeros(2, 3, 4), 100, 1));
        assertTrue(e.getMessage().contains("expected frames [F, H, W, 3]"), e.getMessage());
        assertThrows(ShapeException.class, () -> GifWriter.write(p, Tensor.zeros(1, 2, 2, 3), 100, 0));
        assertThrows(ShapeException.class, () -> PngWriter.writeGrid(p, List.of(), 3, 1, 1));
        try (Stream<Path> s = Files.list(dir)) { assertEquals(0, s.count()); }
    }
}
