package io.vdq.eval;

import io.vdq.VdqException.ShapeException;

/**
 * Fidelity metrics of a candidate against a reference of the same length, accumulated in double.
 * Conventions for degenerate inputs: identical arrays give MSE 0, PSNR +∞, cosine 1; relative L2 against an
 * all-zero reference is the candidate's plain L2 norm; cosine with exactly one all-zero side is 0.
 */
public final class Fidelity {
    private Fidelity() {}

    /** All four metrics at once. */
    public record Metrics(long n, double mse, double relL2, double psnr, double cosine) {}

    public static double mse(float[] ref, float[] cand) {
        check(ref, cand);
        double s = 0;
        for (int i = 0; i < ref.length; i++) { double d = (double) cand[i] - ref[i]; s += d * d; }
        return ref.length == 0 ? 0 : s / ref.length;
    }

    /** ‖cand − ref‖₂ / ‖ref‖₂. */
    public static double relL2(float[] ref, float[] cand) {
        check(ref, cand);
        double e = 0, r = 0;
        for (int i = 0; i < ref.length; i++) { double d = (double) cand[i] - ref[i]; e += d * d; r += (double) ref[i] * ref[i]; }
        return r == 0 ? Math.sqrt(e) : Math.sqrt(e / r);
    }

    /** 10·log10(peak² / MSE) in dB; {@code peak} is the data range (1 for frames in [0, 1], 2 for [−1, 1]). */
    public static double psnr(float[] ref, float[] cand, double peak) {
        double m = mse(ref, cand);
        return m == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(peak * peak / m);
    }

    public static double cosine(float[] ref, float[] cand) {
        check(ref, cand);
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < ref.length; i++) { ab += (double) ref[i] * cand[i]; aa += (double) ref[i] * ref[i]; bb += (double) cand[i] * cand[i]; }
        if (aa == 0 && bb == 0) return 1;
        if (aa == 0 || bb == 0) return 0;
        return ab / Math.sqrt(aa * bb);
    }

    public static Metrics all(float[] ref, float[] cand, double peak) {
        return new Metrics(ref.length, mse(ref, cand), relL2(ref, cand), psnr(ref, cand, peak), cosine(ref, cand));
    }

    private static void check(float[] ref, float[] cand) {
        if (ref.length != cand.length)
            throw new ShapeException("fidelity: reference has " + ref.length + " values, candidate " + cand.length);
    }
}
