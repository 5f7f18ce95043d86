package io.vdq.synth;

import io.vdq.tensor.Tensor;
import java.util.Arrays;

/**
 * Renders a {@link SceneSpec} to float RGB frames {@code [F, H, W, 3]} in [0, 1]. Pixel (y, x) covers the
 * square [x, x+1) × [y, y+1) with centre (x + ½, y + ½). Coverage α of the shape (the anti-aliasing) is
 * supersampled on {@link #SUPERSAMPLE} scanlines per pixel row and exact along each scanline (see
 * {@link #coverage}). The pixel is {@code bg + α·(object − bg)}. Pure function of its arguments.
 */
public final class Renderer {
    /** Scanlines per pixel row. */
    public static final int SUPERSAMPLE = 8;

    private Renderer() {}

    public static Tensor render(SceneSpec spec, int frames, int height, int width) {
        if (frames < 1 || height < 1 || width < 1)
            throw new io.vdq.VdqException.ShapeException("render: expected frames, height, width ≥ 1, got " + frames + "×" + height + "×" + width);
        float[] out = new float[frames * height * width * 3];
        renderInto(spec, frames, height, width, out, 0);
        return Tensor.of(out, frames, height, width, 3);
    }

    /** Writes the video into {@code out[off, off + F·H·W·3)} (for batching without copies). */
    public static void renderInto(SceneSpec spec, int frames, int height, int width, float[] out, int off) {
        float[] obj = spec.color().rgb();
        float[] alpha = new float[height * width];
        int frameSize = height * width * 3;
        double r = spec.radiusPx(height, width);
        float[] bg = new float[frameSize];
        fillBackground(spec.background(), height, width, bg, 0);
        for (int f = 0; f < frames; f++) {
            int base = off + f * frameSize;
            System.arraycopy(bg, 0, out, base, frameSize);
            double[] c = spec.centre(f, frames, height, width);
            int[] box = coverage(spec.shape(), c[0], c[1], r, height, width, alpha);
            for (int y = box[0]; y < box[1]; y++) {
                for (int x = box[2]; x < box[3]; x++) {
                    float a = alpha[y * width + x];
                    if (a == 0f) continue;
                    int p = base + (y * width + x) * 3;
                    for (int ch = 0; ch < 3; ch++) out[p + ch] += a * (obj[ch] - out[p + ch]);
                }
            }
        }
    }

    /** Fills one H×W×3 frame at {@code out[base]} with the background. */
    public static void fillBackground(Background bg, int height, int width, float[] out, int base) {
        float[] c = bg.color().rgb();
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                float lift = Background.GRADIENT_LIFT * bg.t(y, x, height, width);
                int p = base + (y * width + x) * 3;
                out[p] = c[0] + lift;
                out[p + 1] = c[1] + lift;
                out[p + 2] = c[2] + lift;
            }
        }
    }

    /**
     * Coverage α of {@code shape} with centre (cx, cy) and scale r pixels, written into {@code alpha[H·W]}
     * (zeroed first): each pixel row is cut into {@link #SUPERSAMPLE} scanlines through the sub-row centres;
     * each scanline's chord of the shape is intersected exactly with every pixel it crosses and adds its
     * covered length / SUPERSAMPLE. Returns the box {y0, y1, x0, x1} (half-open) outside which α is 0.
     */
    public static int[] coverage(ObjectShape shape, double cx, double cy, double r, int height, int width, float[] alpha) {
        Arrays.fill(alpha, 0, height * width, 0f);
        if (!(r > 0)) return new int[]{0, 0, 0, 0};
        int y0 = Math.max(0, (int) Math.floor(cy - r)), y1 = Math.min(height, (int) Math.ceil(cy + r));
        int bx0 = width, bx1 = 0;
        float w = 1f / SUPERSAMPLE;
        double inv = 1.0 / r;
        for (int y = y0; y < y1; y++) {
            int row = y * width;
            for (int s = 0; s < SUPERSAMPLE; s++) {
                double hw = shape.halfWidth((y + (s + 0.5) / SUPERSAMPLE - cy) * inv);
                if (hw < 0) continue;
                double xl = Math.max(0, cx - hw * r), xr = Math.min(width, cx + hw * r);
                if (!(xr > xl)) continue;
                int il = (int) xl, ir = (int) xr;
                if (il == ir) { alpha[row + il] += (float) (xr - xl) * w; }
                else {
                    alpha[row + il] += (float) (il + 1 - xl) * w;
                    for (int x = il + 1; x < ir; x++) alpha[row + x] += w;
                    if (ir < width) alpha[row + ir] += (float) (xr - ir) * w;
                }
                bx0 = Math.min(bx0, il);
                bx1 = Math.max(bx1, Math.min(width, ir + 1));
            }
        }
        if (bx1 <= bx0) return new int[]{0, 0, 0, 0};
        for (int y = y0; y < y1; y++)
            for (int x = bx0; x < bx1; x++) if (alpha[y * width + x] > 1f) alpha[y * width + x] = 1f;
        return new int[]{y0, y1, bx0, bx1};
    }
}
