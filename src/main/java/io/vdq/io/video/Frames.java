package io.vdq.io.video;

import io.vdq.VdqException.ShapeException;
import io.vdq.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * Frame tensors {@code [F, H, W, 3]} (RGB in [0, 1]) to 8-bit images, and layouts of several videos:
 * side by side in time ({@link #sideBySide}) or as a frame grid, one row per video ({@link #grid}).
 * Values are clamped to [0, 1] (NaN becomes 0) and rounded half to even to 0..255.
 */
public final class Frames {
    private Frames() {}

    /** Checks that {@code t} is {@code [F, H, W, 3]} with F, H, W >= 1. */
    public static void check(String what, Tensor t) {
        if (t.rank() != 4 || t.dim(3) != 3 || t.dim(0) < 1 || t.dim(1) < 1 || t.dim(2) < 1)
            throw new ShapeException(what + ": expected frames [F, H, W, 3] with F, H, W >= 1, got " + t.shape());
    }

    /**
     * A sample {@code [C, F, H, W]} (channels first, as models and VAEs produce videos) as frames
     * {@code [F, H, W, 3]} in [0, 1], mapped linearly so that [lo, hi] spans [0, 1] (for a video in [−1, 1]:
     * lo = −1, hi = 1). Only the first three channels are used; fewer leave the rest at 0.
     */
    public static Tensor fromSample(Tensor sample, float lo, float hi) {
        if (sample.rank() != 4) throw new ShapeException("video sample: expected [C, F, H, W], got " + sample.shape());
        int c = sample.dim(0), f = sample.dim(1), h = sample.dim(2), w = sample.dim(3);
        float[] src = sample.toArray();
        Tensor out = Tensor.zeros(f, h, w, 3);
        float[] o = out.data();
        float scale = hi > lo ? 1f / (hi - lo) : 1f;
        int n = f * h * w;
        for (int ch = 0; ch < Math.min(c, 3); ch++)
            for (int i = 0; i < n; i++) o[i * 3 + ch] = (src[ch * n + i] - lo) * scale;
        return out;
    }

    /** One channel value in [0, 1] to 0..255 (clamped; NaN to 0). */
    public static int toByte(float v) {
        if (!(v > 0f)) return 0;
        if (v >= 1f) return 255;
        return (int) Math.rint(v * 255.0);
    }

    /** Frame {@code f} as packed 0xRRGGBB pixels, {@code H*up} rows of {@code W*up}, nearest-neighbour upscaled. */
    public static int[] rgb(Tensor video, int f, int up) {
        if (up < 1) throw new ShapeException("upscale factor must be >= 1, got " + up);
        int h = video.dim(1), w = video.dim(2), W = w * up;
        long total = (long) h * up * W;
        if (total > Integer.MAX_VALUE - 16) throw new ShapeException("frame " + h + "x" + w + " upscaled " + up + "x is too large");
        float[] d = video.data();
        int base = video.offset() + f * h * w * 3;
        int[] px = new int[(int) total];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = base + (y * w + x) * 3;
                int c = toByte(d[i]) << 16 | toByte(d[i + 1]) << 8 | toByte(d[i + 2]);
                for (int dy = 0; dy < up; dy++) {
                    int row = (y * up + dy) * W + x * up;
                    for (int dx = 0; dx < up; dx++) px[row + dx] = c;
                }
            }
        }
        return px;
    }

    /** Frame {@code f} as an RGB image, upscaled by {@code up}. */
    public static BufferedImage image(Tensor video, int f, int up) {
        int h = video.dim(1) * up, w = video.dim(2) * up;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, w, h, rgb(video, f, up), 0, w);
        return img;
    }

    /**
     * Several videos placed left to right with {@code gap} columns of {@code background} (0..1 grey) between
     * them. Shorter videos hold their last frame; shorter frames are padded at the bottom.
     */
    public static Tensor sideBySide(List<Tensor> videos, int gap, float background) {
        if (videos.isEmpty()) throw new ShapeException("sideBySide: no videos given");
        int F = 0, H = 0, W = gap * (videos.size() - 1);
        for (int v = 0; v < videos.size(); v++) {
            Tensor t = videos.get(v);
            check("video " + v, t);
            F = Math.max(F, t.dim(0));
            H = Math.max(H, t.dim(1));
            W += t.dim(2);
        }
        Tensor out = Tensor.zeros(F, H, W, 3);
        out.fill(background);
        float[] o = out.data();
        int x0 = 0;
        for (Tensor t : videos) {
            int h = t.dim(1), w = t.dim(2);
            for (int f = 0; f < F; f++) {
                int sf = Math.min(f, t.dim(0) - 1);
                for (int y = 0; y < h; y++)
                    System.arraycopy(t.data(), t.offset() + ((sf * h + y) * w) * 3, o, ((f * H + y) * W + x0) * 3, w * 3);
            }
            x0 += w + gap;
        }
        return out;
    }

    /**
     * A single image {@code [1, rows*H + gaps, cols*W + gaps, 3]}: row {@code r} shows video r's frames at
     * {@code cols} evenly spaced times (all frames when a video has at most {@code maxColumns}).
     */
    public static Tensor grid(List<Tensor> videos, int maxColumns, int gap, float background) {
        if (videos.isEmpty()) throw new ShapeException("grid: no videos given");
        if (maxColumns < 1) throw new ShapeException("grid: maxColumns must be >= 1, got " + maxColumns);
        int F = 0, H = 0, W = 0;
        for (int v = 0; v < videos.size(); v++) {
            Tensor t = videos.get(v);
            check("video " + v, t);
            F = Math.max(F, t.dim(0));
            H = Math.max(H, t.dim(1));
            W = Math.max(W, t.dim(2));
        }
        int cols = Math.min(F, maxColumns), rows = videos.size();
        int GH = rows * H + (rows - 1) * gap, GW = cols * W + (cols - 1) * gap;
        Tensor out = Tensor.zeros(1, GH, GW, 3);
        out.fill(background);
        float[] o = out.data();
        for (int r = 0; r < rows; r++) {
            Tensor t = videos.get(r);
            int n = t.dim(0), h = t.dim(1), w = t.dim(2);
            for (int c = 0; c < cols; c++) {
                int f = frameAt(c, cols, F);
                if (f >= n) f = n - 1;
                int y0 = r * (H + gap), x0 = c * (W + gap);
                for (int y = 0; y < h; y++)
                    System.arraycopy(t.data(), t.offset() + ((f * h + y) * w) * 3, o, ((y0 + y) * GW + x0) * 3, w * 3);
            }
        }
        return out;
    }

    /** The frame shown in column {@code c} of {@code cols} for a video of {@code frames}: evenly spaced, first and last included. */
    static int frameAt(int c, int cols, int frames) {
        if (cols <= 1) return 0;
        return (int) Math.rint((double) c * (frames - 1) / (cols - 1));
    }
}
