package io.vdq.quant.gptq;

import io.vdq.VdqException.ConfigException;
import io.vdq.quant.Granularity;
import io.vdq.quant.QuantParams;
import io.vdq.quant.UniformQuantizer;
import io.vdq.tensor.Parallel;

/**
 * The GPTQ algorithm (Frantar et al., 2023) on one weight matrix W (out × K) with Hessian H = XᵀX (K × K):
 * dead inputs (H_ii = 0) are zeroed, H is damped by {@code damp · mean(diag H)}, U is the upper Cholesky factor of
 * H⁻¹, and each row is quantized column by column (in act order if asked: decreasing H_ii) with the rounding error
 * of column i spread over the later columns j by {@code w_j −= (w_i − ŵ_i)/U_ii · U_ij}. Rows are independent, so
 * they are processed in parallel with bit-identical results for any thread count (the blocked "lazy batch"
 * update of the reference code only reorders the same arithmetic for cache reuse). Parameters: per tensor / per
 * channel are fitted on the original W; groups are fitted on the updated weights when their first column is reached
 * (as the reference), or on the original W ("static groups") when act order is on.
 */
public final class Gptq {
    private Gptq() {}

    /** Codes, parameters and dequantized weights of one layer. */
    public record Result(int[] codes, QuantParams params, float[] dequantized) {}

    public static Result quantize(String layer, float[] w, int out, int k, double[] hessian, int bits, boolean symmetric,
                                  Granularity g, int groupSize, double damp, boolean actOrder) {
        if (hessian.length != k * k) throw new ConfigException("GPTQ " + layer + ": Hessian has " + hessian.length + " entries, expected " + k + "²");
        if (g == Granularity.PER_TOKEN) throw new ConfigException("GPTQ " + layer + ": per_token is not a weight granularity");
        double[] h = hessian.clone();
        boolean[] dead = new boolean[k];
        for (int i = 0; i < k; i++) if (h[i * k + i] == 0) { dead[i] = true; h[i * k + i] = 1; }
        int[] perm = new int[k];
        for (int i = 0; i < k; i++) perm[i] = i;
        if (actOrder) {
            Integer[] idx = new Integer[k];
            for (int i = 0; i < k; i++) idx[i] = i;
            java.util.Arrays.sort(idx, (a, b) -> Double.compare(h[b * k + b], h[a * k + a]));
            for (int i = 0; i < k; i++) perm[i] = idx[i];
        }
        double mean = 0;
        for (int i = 0; i < k; i++) mean += h[i * k + i];
        mean /= k;
        double[] hp = new double[k * k];
        for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) hp[i * k + j] = h[perm[i] * k + perm[j]];
        for (int i = 0; i < k; i++) hp[i * k + i] += damp * mean;
        double[] u = upperCholeskyOfInverse(hp, k, layer);

        boolean lazyGroups = g == Granularity.PER_GROUP && !actOrder;
        float[] wf = w.clone();
        for (int r = 0; r < out; r++) for (int i = 0; i < k; i++) if (dead[i]) wf[r * k + i] = 0;
        QuantParams p;
        if (lazyGroups) {
            int n = g.count(out, k, groupSize);
            p = new QuantParams(bits, symmetric, g, groupSize, out, k, new float[n], new int[n]);
        } else {
            p = UniformQuantizer.fit(wf, 0, out, k, bits, symmetric, g, groupSize);
        }
        int[] codes = new int[out * k];
        int qmin = p.qmin(), qmax = p.qmax();
        Parallel.range(out, (from, to) -> {
            double[] row = new double[k];
            for (int r = from; r < to; r++) {
                for (int i = 0; i < k; i++) row[i] = wf[r * k + perm[i]];
                for (int i = 0; i < k; i++) {
                    int col = perm[i];
                    int pi = p.index(r, col);
                    if (lazyGroups && col % groupSize == 0) {
                        double mn = 0, mx = 0;
                        for (int j = i; j < Math.min(k, i + groupSize); j++) { mn = Math.min(mn, row[j]); mx = Math.max(mx, row[j]); }
                        UniformQuantizer.setParams(mn, mx, bits, symmetric, p.scale(), p.zero(), pi);
                    }
                    float s = p.scale()[pi];
                    int z = p.zero()[pi];
                    int q = UniformQuantizer.code((float) row[i], s, z, qmin, qmax);
                    codes[r * k + col] = q;
                    double err = (row[i] - (double) (s * (q - z))) / u[i * k + i];
                    for (int j = i + 1; j < k; j++) row[j] -= err * u[i * k + j];
                }
            }
        });
        float[] deq = new float[out * k];
        UniformQuantizer.dequantize(codes, 0, out, k, p, deq, 0);
        return new Result(codes, p, deq);
    }

    /** U (upper triangular, row-major K×K) with Uᵀ·U = A⁻¹ for a symmetric positive definite A. */
    static double[] upperCholeskyOfInverse(double[] a, int k, String layer) {
        double[] l = cholesky(a, k, layer);
        // Linv: inverse of the lower triangular L, by forward substitution, one column per task
        double[] li = new double[k * k];
        Parallel.range(k, (from, to) -> {
            for (int c = from; c < to; c++) {
                li[c * k + c] = 1 / l[c * k + c];
                for (int i = c + 1; i < k; i++) {
                    double s = 0;
                    for (int m = c; m < i; m++) s -= l[i * k + m] * li[m * k + c];
                    li[i * k + c] = s / l[i * k + i];
                }
            }
        });
        // A⁻¹ = Linvᵀ · Linv: (i, j) = Σ_{m ≥ max(i,j)} Linv[m][i] · Linv[m][j]
        double[] inv = new double[k * k];
        Parallel.range(k, (from, to) -> {
            for (int i = from; i < to; i++)
                for (int j = i; j < k; j++) {
                    double s = 0;
                    for (int m = j; m < k; m++) s += li[m * k + i] * li[m * k + j];
                    inv[i * k + j] = s;
                    inv[j * k + i] = s;
                }
        });
        double[] l2 = cholesky(inv, k, layer);
        double[] u = new double[k * k];
        for (int i = 0; i < k; i++) for (int j = i; j < k; j++) u[i * k + j] = l2[j * k + i];
        return u;
    }

    /** Lower Cholesky factor of a symmetric positive definite K×K matrix (row-major). */
    static double[] cholesky(double[] a, int k, String layer) {
        double[] l = new double[k * k];
        for (int j = 0; j < k; j++) {
            double d = a[j * k + j];
            for (int m = 0; m < j; m++) d -= l[j * k + m] * l[j * k + m];
            if (!(d > 0))
                throw new ConfigException("GPTQ " + layer + ": Hessian is not positive definite at column " + j
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
