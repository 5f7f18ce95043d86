package io.vdq.eval;

import io.vdq.VdqException.ShapeException;

/**
 * Structural similarity (Wang et al. 2004) of single-channel planes, accumulated in double.
 * <p>Window: Gaussian 11×11, σ = 1.5, centred on every pixel. Near the borders the window is cut to the plane
 * and its weights renormalised to sum 1 (so planes smaller than 11×11, such as 8×8 latent frames, still get a
 * per-pixel map; for pixels at least 5 from every border this is the usual Gaussian-window SSIM). The SSIM of a
 * plane is the mean of the per-pixel map. Constants C1 = (0.01·L)², C2 = (0.03·L)² with L the data range,
 * which callers take from the reference (max − min). Local variances and covariance use the biased (weighted)
 * estimate.
 */
public final class Ssim {
    private Ssim() {}

    public static final int WINDOW = 11;
    public static final double SIGMA = 1.5;
    private static final double[] KERNEL = kernel();

    private static double[] kernel() {
        double[] k = new double[WINDOW];
        int r = WINDOW / 2;
        for (int i = 0; i < WINDOW; i++) k[i] = Math.exp(-((i - r) * (i - r)) / (2 * SIGMA * SIGMA));
        return k; // normalised per window (after cutting at the borders)
    }

    /**
     * SSIM of plane {@code cand} against {@code ref}, both {@code h × w} row-major starting at the given offsets.
     * {@code range} is L (must be > 0).
     */
    public static double plane(float[] ref, int refOff, float[] cand, int candOff, int h, int w, double range) {
        if (h <= 0 || w <= 0) throw new ShapeException("ssim: plane " + h + "×" + w + ", expected positive size");
        if (!(range > 0) || Double.isInfinite(range)) throw new ShapeException("ssim: data range " + range + ", expected a finite L > 0");
        if (refOff + h * w > ref.length || candOff + h * w > cand.length)
            throw new ShapeException("ssim: plane " + h + "×" + w + " does not fit the arrays (" + ref.length + ", " + cand.length + ")");
        double c1 = (0.01 * range) * (0.01 * range), c2 = (0.03 * range) * (0.03 * range);
        int r = WINDOW / 2;
        double total = 0;
        for (int y = 0; y < h; y++) {
            int y0 = Math.max(0, y - r), y1 = Math.min(h - 1, y + r);
            for (int x = 0; x < w; x++) {
                int x0 = Math.max(0, x - r), x1 = Math.min(w - 1, x + r);
                double sw = 0, sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
                for (int yy = y0; yy <= y1; yy++) {
                    double ky = KERNEL[yy - y + r];
                    int ra = refOff + yy * w, rb = candOff + yy * w;
                    for (int xx = x0; xx <= x1; xx++) {
                        double k = ky * KERNEL[xx - x + r];
                        double a = ref[ra + xx], b = cand[rb + xx];
                        sw += k; sa += k * a; sb += k * b; saa += k * a * a; sbb += k * b * b; sab += k * a * b;
                    }
                }
                double ma = sa / sw, mb = sb / sw;
                double va = Math.max(0, saa / sw - ma * ma), vb = Math.max(0, sbb / sw - mb * mb), cov = sab / sw - ma * mb;
                total += (2 * ma * mb + c1) * (2 * cov + c2) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
            }
        }
        return total / ((double) h * w);
    }

    /**
     * Mean SSIM over {@code planes} consecutive {@code h × w} planes (e.g. channels × frames of a
     * {@code [C, F, H, W]} video) with data range {@code range}.
     */
    public static double mean(float[] ref, float[] cand, int planes, int h, int w, double range) {
        if (ref.length != cand.length || (long) planes * h * w != ref.length)
            throw new ShapeException("ssim: reference has " + ref.length + " values, candidate " + cand.length
                    + ", expected " + planes + " planes of " + h + "×" + w);
        double s = 0;
        for (int p = 0; p < planes; p++) s += plane(ref, p * h * w, cand, p * h * w, h, w, range);
        return s / planes;
    }

    /** The data range max − min of the values (0 for constant or empty input). */
    public static double range(float[] a) {
        if (a.length == 0) return 0;
        float lo = a[0], hi = a[0];
        for (float v : a) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        return (double) hi - lo;
    }
}
