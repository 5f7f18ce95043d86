package io.vdq.quant.s2q;

import io.vdq.VdqException.ConfigException;
import io.vdq.quant.Granularity;
import io.vdq.quant.QuantParams;
import io.vdq.tensor.Parallel;

/**
 * GPTQ (Frantar et al., 2023) for S²Q's final step: symmetric per-output-channel weights whose scales are fixed
 * beforehand by the learned clipping ({@code Δ_r = sigmoid(γ_r)·max|W_r|/qmax}), so the error feedback works
 * inside the learned range. H = XᵀX of the transformed calibration inputs; dead inputs (H_ii = 0) are zeroed;
 * H is damped by {@code damp·mean(diag H)}; U is the upper Cholesky factor of H⁻¹ (in double) and each row is
 * quantized column by column in natural order (no act-order), spreading {@code (w_i − ŵ_i)/U_ii · U_ij} onto
 * later columns. Rows are independent: bit-identical for any thread count. Kept apart from quant.gptq because a
 * method package does not depend on another method's package, and that one fits its own scales.
 */
public final class ClippedGptq {
    private ClippedGptq() {}

    /** Codes (out × k), the parameters and the dequantized weights. */
    public record Result(int[] codes, QuantParams params, float[] dequantized) {}

    /** Per-row scales from clipping ratios: {@code ratio_r·max|W_r|/qmax}; an all-zero row gets scale 1. */
    public static float[] clippedScales(float[] w, int out, int k, int bits, float[] ratio) {
        int qmax = (1 << (bits - 1)) - 1;
        float[] s = new float[out];
        for (int r = 0; r < out; r++) {
            float m = 0f;
            for (int j = 0; j < k; j++) m = Math.max(m, Math.abs(w[r * k + j]));
            s[r] = m == 0f ? 1f : ratio[r] * m / qmax;
        }
        return s;
    }

    public static Result quantize(String layer, float[] w, int out, int k, double[] hessian, int bits, float[] scales, double damp) {
        if (hessian.length != (long) k * k) throw new ConfigException("S²Q GPTQ " + layer + ": Hessian has " + hessian.length + " entries, expected " + k + "²");
        if (scales.length != out) throw new ConfigException("S²Q GPTQ " + layer + ": " + scales.length + " scales for " + out + " rows");
        double[] h = hessian.clone();
        boolean[] dead = new boolean[k];
        double mean = 0;
        for (int i = 0; i < k; i++) {
            if (h[i * k + i] == 0) { dead[i] = true; h[i * k + i] = 1; }
            mean += h[i * k + i];
        }
        mean /= k;
        for (int i = 0; i < k; i++) h[i * k + i] += damp * mean;
        double[] u = upperCholeskyOfInverse(h, k, layer);
        int qmin = -(1 << (bits - 1)), qmax = (1 << (bits - 1)) - 1;
        int[] codes = new int[out * k];
        float[] deq = new float[out * k];
        Parallel.range(out, (from, to) -> {
            double[] row = new double[k];
            for (int r = from; r < to; r++) {
                for (int i = 0; i < k; i++) row[i] = dead[i] ? 0 : w[r * k + i];
                float s = scales[r];
                for (int i = 0; i < k; i++) {
                    int q = (int) Math.max(qmin, Math.min(qmax, Math.rint(row[i] / s)));
                    codes[r * k + i] = q;
                    deq[r * k + i] = q * s;
                    double e = (row[i] - (double) (q * s)) / u[i * k + i];
                    for (int j = i + 1; j < k; j++) row[j] -= e * u[i * k + j];
                }
            }
        });
        QuantParams p = new QuantParams(bits, true, Granularity.PER_CHANNEL, 0, out, k, scales.clone(), new int[out]);
        return new Result(codes, p, deq);
    }

    /** U upper triangular with Uᵀ·U = A⁻¹: A = L·Lᵀ, A⁻¹ = L⁻ᵀ·L⁻¹, then U = (lower Cholesky of A⁻¹)ᵀ. */
    static double[] upperCholeskyOfInverse(double[] a, int k, String layer) {
        double[] l = cholesky(a, k, layer);
        double[] li = new double[k * k]; // L⁻¹, lower
        for (int i = 0; i < k; i++) {
            li[i * k + i] = 1 / l[i * k + i];
            for (int j = 0; j < i; j++) {
                double s = 0;
                for (int m = j; m < i; m++) s -= l[i * k + m] * li[m * k + j];
                li[i * k + j] = s / l[i * k + i];
            }
        }
        double[] inv = new double[k * k]; // L⁻ᵀ·L⁻¹: inv[i][j] = Σ_{m ≥ max(i,j)} li[m][i]·li[m][j]
        Parallel.range(k, (from, to) -> {
            for (int i = from; i < to; i++)
                for (int j = 0; j < k; j++) {
                    double s = 0;
                    for (int m = Math.max(i, j); m < k; m++) s += li[m * k + i] * li[m * k + j];
                    inv[i * k + j] = s;
                }
        });
        double[] l2 = cholesky(inv, k, layer);
        double[] u = new double[k * k];
        for (int i = 0; i < k; i++) for (int j = 0; j <= i; j++) u[j * k + i] = l2[i * k + j];
        return u;
    }

    private static double[] cholesky(double[] a, int k, String layer) {
        double[] l = new double[k * k];
        for (int j = 0; j < k; j++) {
            double d = a[j * k + j];
            for (int m = 0; m < j; m++) d -= l[j * k + m] * l[j * k + m];
            if (!(d > 0))
                throw new ConfigException("S²Q GPTQ " + layer + ": Hessian is not positive definite at column " + j
                        + " (pivot " + d + "); raise recipe option 'damp' or use more calibration data");
            double ljj = Math.sqrt(d);
            l[j * k + j] = ljj;
            int jj = j;
            Parallel.range(k - j - 1, (from, to) -> {
                for (int i = jj + 1 + from; i < jj + 1 + to; i++) {
                    double s = a[i * k + jj];
                    for (int m = 0; m < jj; m++) s -= l[i * k + m] * l[jj * k + m];
                    l[i * k + jj] = s / ljj;
                }
            });
        }
        return l;
    }
}
