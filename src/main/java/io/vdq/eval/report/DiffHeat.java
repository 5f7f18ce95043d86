package io.vdq.eval.report;

import io.vdq.VdqException.ShapeException;
import io.vdq.tensor.Tensor;

/**
 * Where two videos differ, as frames to show: per pixel the mean over channels of |a − b|, divided by
 * {@code fullScale} and clamped to [0, 1], square-rooted (small differences stay visible next to large ones) to t,
 * coloured black → red → yellow → white (r = 3t, g = 3t − 1, b = 3t − 2, each clamped to [0, 1]): black is no
 * difference, pure red 1/9 of {@code fullScale}, yellow 4/9, white {@code fullScale} or more.
 */
public final class DiffHeat {
    private DiffHeat() {}

    /** The colour ramp's CSS gradient (the same three linear pieces), for a legend next to the images. */
    public static final String CSS_GRADIENT = "linear-gradient(to right,#000 0%,#f00 33.333%,#ff0 66.667%,#fff 100%)";

    /**
     * Samples {@code a} and {@code b} {@code [C, F, H, W]} (same shape) to frames {@code [F, H, W, 3]} in [0, 1]
     * (what {@code GifWriter} takes).
     */
    public static Tensor frames(Tensor a, Tensor b, double fullScale) {
        if (a.rank() != 4 || !a.shape().equals(b.shape()))
            throw new ShapeException("difference view: expected two samples [C, F, H, W] of one shape, got " + a.shape() + " and " + b.shape());
        if (!(fullScale > 0)) throw new ShapeException("difference view: full scale must be > 0, got " + fullScale);
        int c = a.dim(0), f = a.dim(1), h = a.dim(2), w = a.dim(3), n = f * h * w;
        float[] x = a.toArray(), y = b.toArray();
        Tensor out = Tensor.zeros(f, h, w, 3);
        float[] o = out.data();
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int ch = 0; ch < c; ch++) s += Math.abs((double) x[ch * n + i] - y[ch * n + i]);
            double t = Math.sqrt(Math.min(1, s / c / fullScale));
            o[i * 3] = (float) clamp(3 * t);
            o[i * 3 + 1] = (float) clamp(3 * t - 1);
            o[i * 3 + 2] = (float) clamp(3 * t - 2);
        }
        return out;
    }

    private static double clamp(double v) { return v > 0 ? Math.min(1, v) : 0; }
}
