package io.vdq.quant;

/** SmoothQuant-style channel-balancing factors, shared by the smoothing methods (SmoothQuant, ViDiT-Q). */
public final class Smoothing {
    private Smoothing() {}

    /** Smallest and largest factor allowed (keeps dead or huge channels finite). */
    public static final double MIN = 1e-5, MAX = 1e5;

    /**
     * {@code s_j = max|X_j|^α / max|W_j|^(1−α)} with W out × in; a channel where either maximum is 0 gets s = 1.
     * Computed in double, clamped to [MIN, MAX].
     */
    public static float[] factors(float[] actAbsMax, float[] w, int out, int in, double alpha) {
        double[] wmax = new double[in];
        for (int o = 0; o < out; o++) for (int j = 0; j < in; j++) wmax[j] = Math.max(wmax[j], Math.abs(w[o * in + j]));
        float[] s = new float[in];
        for (int j = 0; j < in; j++) {
            double a = actAbsMax[j], b = wmax[j];
            double v = a > 0 && b > 0 ? Math.pow(a, alpha) / Math.pow(b, 1 - alpha) : 1;
            s[j] = (float) Math.max(MIN, Math.min(MAX, v));
        }
        return s;
    }
}
