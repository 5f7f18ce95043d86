package io.vdq.quant.s2q;

import io.vdq.VdqException.ConfigException;
import io.vdq.quant.Granularity;
import io.vdq.quant.HessianFactor;
import io.vdq.quant.QuantParams;
import io.vdq.tensor.Parallel;

/**
 * GPTQ (Frantar et al., 2023) for S²Q's final step: symmetric per-output-channel (or per-group along K) weights whose scales are fixed
 * beforehand by the learned clipping ({@code Δ_r = sigmoid(γ_r)·max|W_r|/qmax}), so the error feedback works
 * inside the learned range. H = XᵀX of the transformed calibration inputs; dead inputs (H_ii = 0) are zeroed;
 * H is damped by {@code damp·mean(diag H)}; U is the upper Cholesky factor of H⁻¹ (in double) and each row is
 * quantized column by column in natural order (no act-order), spreading {@code (w_i − ŵ_i)/U_ii · U_ij} onto
 * later columns. Rows are independent: bit-identical for any thread count. U comes from the shared
 * {@link HessianFactor}; the loop is kept apart from quant.gptq because a method package does not depend on
 * another method's package, and that one fits its own scales.
 */
public final class ClippedGptq {
    private ClippedGptq() {}

    /** Codes (out × k), the parameters and the dequantized weights. */
    public record Result(int[] codes, QuantParams params, float[] dequantized) {}

    /** Per-row scales from clipping ratios: {@code ratio_r·max|W_r|/qmax}; an all-zero row gets scale 1. */
    public static float[] clippedScales(float[] w, int out, int k, int bits, float[] ratio) {
        return clippedScales(w, out, k, bits, ratio, 0);
    }

    /**
     * Per-row (groupSize 0, or ≥ k) or per-group scales from clipping ratios, {@code ratio_u·max|W_u|/qmax} for each
     * row / run of groupSize columns u (out × ceil(k/groupSize), row-major; the last group may be shorter); an
     * all-zero unit gets scale 1.
     */
    public static float[] clippedScales(float[] w, int out, int k, int bits, float[] ratio, int groupSize) {
        int qmax = (1 << (bits - 1)) - 1, gs = width(k, groupSize), groups = (k + gs - 1) / gs;
        float[] s = new float[out * groups];
        for (int r = 0; r < out; r++)
            for (int g = 0; g < groups; g++) {
                float m = 0f;
                for (int j = g * gs; j < Math.min(k, (g + 1) * gs); j++) m = Math.max(m, Math.abs(w[r * k + j]));
                int u = r * groups + g;
                s[u] = m == 0f ? 1f : ratio[u] * m / qmax;
            }
        return s;
    }

    /** Columns per scale: k for per row (groupSize 0 or ≥ k), else groupSize. */
    static int width(int k, int groupSize) { return groupSize <= 0 || groupSize >= k ? k : groupSize; }

    public static Result quantize(String layer, float[] w, int out, int k, double[] hessian, int bits, float[] scales, double damp) {
        return quantize(layer, w, out, k, hessian, bits, scales, 0, damp);
    }

    /** As above with scales per row and group of {@code groupSize} columns along K (0 = per row). */
    public static Result quantize(String layer, float[] w, int out, int k, double[] hessian, int bits, float[] scales, int groupSize,
                                  double damp) {
        int gs = width(k, groupSize), groups = (k + gs - 1) / gs;
        if (hessian.length != (long) k * k) throw new ConfigException("S²Q GPTQ " + layer + ": Hessian has " + hessian.length + " entries, expected " + k + "²");
        if (scales.length != out * groups)
            throw new ConfigException("S²Q GPTQ " + layer + ": " + scales.length + " scales for " + out + " rows × " + groups + " groups");
        double[] h = hessian.clone();
        boolean[] dead = new boolean[k];
        double mean = 0;
        for (int i = 0; i < k; i++) {
            if (h[i * k + i] == 0) { dead[i] = true; h[i * k + i] = 1; }
            mean += h[i * k + i];
        }
        mean /= k;
        for (int i = 0; i < k; i++) h[i * k + i] += damp * mean;
        double[] u = HessianFactor.upperCholeskyOfInverse(h, k, "S²Q GPTQ " + layer);
        int qmin = -(1 << (bits - 1)), qmax = (1 << (bits - 1)) - 1;
        int[] codes = new int[out * k];
        float[] deq = new float[out * k];
        Parallel.range(out, (from, to) -> {
            double[] row = new double[k];
            for (int r = from; r < to; r++) {
                for (int i = 0; i < k; i++) row[i] = dead[i] ? 0 : w[r * k + i];
                for (int i = 0; i < k; i++) {
                    float s = scales[r * groups + i / gs];
                    int q = (int) Math.max(qmin, Math.min(qmax, Math.rint(row[i] / s)));
                    codes[r * k + i] = q;
                    deq[r * k + i] = q * s;
                    double e = (row[i] - (double) (q * s)) / u[i * k + i];
                    for (int j = i + 1; j < k; j++) row[j] -= e * u[i * k + j];
                }
            }
        });
        QuantParams p = groups == 1 ? new QuantParams(bits, true, Granularity.PER_CHANNEL, 0, out, k, scales.clone(), new int[out])
                : new QuantParams(bits, true, Granularity.PER_GROUP, gs, out, k, scales.clone(), new int[out * groups]);
        return new Result(codes, p, deq);
    }
}
