package io.vdq.eval;

import io.vdq.VdqException.ShapeException;

/**
 * Summary statistics for paired comparisons of two recipes measured on the same pairs (same seed, same calibration
 * set): mean, sample standard deviation (n − 1 in the denominator), and for the differences candidate − baseline
 * their mean, sample sd, a sign count and the paired t statistic {@code t = mean / (sd / √n)}. Sums run in double
 * in index order, so the figures do not depend on anything but the inputs.
 */
public final class PairedStats {
    private PairedStats() {}

    /** Arithmetic mean; NaN for no values. */
    public static double mean(double[] v) {
        if (v.length == 0) return Double.NaN;
        double t = 0;
        for (double x : v) t += x;
        return t / v.length;
    }

    /** Sample standard deviation √(Σ(x − mean)² / (n − 1)); NaN for fewer than two values. */
    public static double sd(double[] v) {
        if (v.length < 2) return Double.NaN;
        double m = mean(v), ss = 0;
        for (double x : v) ss += (x - m) * (x - m);
        return Math.sqrt(ss / (v.length - 1));
    }

    /**
     * The paired comparison of {@code candidate} with {@code baseline} (element i of both from pair i).
     * {@code higherIsBetter} decides which sign counts as the candidate being ahead.
     *
     * @param n         pairs
     * @param mean      mean of candidate − baseline
     * @param sd        sample sd of the differences (NaN for n &lt; 2)
     * @param ahead     pairs where the candidate is better (difference &gt; 0, or &lt; 0 when lower is better)
     * @param behind    pairs where it is worse; n − ahead − behind pairs are ties
     * @param t         paired t = mean / (sd / √n), with n − 1 degrees of freedom; NaN for n &lt; 2 or when every
     *                  difference is 0; ±∞ when the differences are all equal and non-zero
     */
    public record Paired(int n, double mean, double sd, int ahead, int behind, double t) {}

    public static Paired paired(double[] candidate, double[] baseline, boolean higherIsBetter) {
        if (candidate.length != baseline.length)
            throw new ShapeException("paired statistics: " + candidate.length + " candidate values, " + baseline.length + " baseline values");
        int n = candidate.length, ahead = 0, behind = 0;
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = candidate[i] - baseline[i];
            if (d[i] != 0 && (d[i] > 0) == higherIsBetter) ahead++;
            else if (d[i] != 0) behind++;
        }
        double m = mean(d), s = sd(d);
        double t;
        if (n < 2) t = Double.NaN;
        else if (s == 0) t = m == 0 ? Double.NaN : Math.copySign(Double.POSITIVE_INFINITY, m);
        else t = m / (s / Math.sqrt(n));
        return new Paired(n, m, s, ahead, behind, t);
    }
}
