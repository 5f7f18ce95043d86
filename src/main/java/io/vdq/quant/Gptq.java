package io.vdq.quant;

import io.vdq.VdqException.ConfigException;
import io.vdq.tensor.Parallel;
import java.util.Arrays;

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

    /** Rows processed together (shares each row of U across the tile). */
    static final int TILE = 32;

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
            Arrays.sort(idx, (a, b) -> Double.compare(h[b * k + b], h[a * k + a]));
            for (int i = 0; i < k; i++) perm[i] = idx[i];
        }
        double mean = 0;
        for (int i = 0; i < k; i++) mean += h[i * k + i];
        mean /= k;
        double[] hp = new double[k * k];
        for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) hp[i * k + j] = h[perm[i] * k + perm[j]];
        for (int i = 0; i < k; i++) hp[i * k + i] += damp * mean;
        double[] u = HessianFactor.upperCholeskyOfInverse(hp, k, "GPTQ " + layer);

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
        // rows are independent; a tile of rows walks the columns together so that each row of U is read from cache
        // once per tile instead of once per row (same arithmetic per row, so the same bits for any tiling)
        Parallel.range(out, TILE, (from, to) -> {
            double[] rows = new double[TILE * k];
            double[] err = new double[TILE];
            for (int t0 = from; t0 < to; t0 += TILE) {
                int nt = Math.min(TILE, to - t0);
                for (int t = 0; t < nt; t++) for (int i = 0; i < k; i++) rows[t * k + i] = wf[(t0 + t) * k + perm[i]];
                for (int i = 0; i < k; i++) {
                    int col = perm[i];
                    for (int t = 0; t < nt; t++) {
                        int r = t0 + t, bt = t * k;
                        int pi = p.index(r, col);
                        if (lazyGroups && col % groupSize == 0) {
                            double mn = 0, mx = 0;
                            for (int j = i; j < Math.min(k, i + groupSize); j++) { mn = Math.min(mn, rows[bt + j]); mx = Math.max(mx, rows[bt + j]); }
                            UniformQuantizer.setParams(mn, mx, bits, symmetric, p.scale(), p.zero(), pi);
                        }
                        float s = p.scale()[pi];
                        int z = p.zero()[pi];
                        int q = UniformQuantizer.code((float) rows[bt + i], s, z, qmin, qmax);
                        codes[r * k + col] = q;
                        err[t] = (rows[bt + i] - (double) (s * (q - z))) / u[i * k + i];
                    }
                    int bu = i * k;
                    for (int t = 0; t < nt; t++) {
                        double e = err[t];
                        int bt = t * k;
                        for (int j = i + 1; j < k; j++) rows[bt + j] -= e * u[bu + j];
                    }
                }
            }
        });
        float[] deq = new float[out * k];
        UniformQuantizer.dequantize(codes, 0, out, k, p, deq, 0);
        return new Result(codes, p, deq);
    }
}
