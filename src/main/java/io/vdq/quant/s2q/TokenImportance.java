package io.vdq.quant.s2q;

import io.vdq.VdqException.ConfigException;
import io.vdq.kernel.KernelBackend;
import io.vdq.kernel.Kernels;
import io.vdq.tensor.Parallel;
import java.util.Arrays;

/**
 * Attention-guided token importance for Sparse Token Distillation (S²Q-VDiT §4). For one block and one sample,
 * {@code S_j = Σ_h Σ_i A[h,i,j]}, the attention key token j receives over all heads and queries of the
 * full-precision model, and {@code λ_j} maps S linearly into {@code [λ_min, λ_max]}.
 *
 * <p>S is computed in query chunks: logits {@code scale·Q_c·K_hᵀ} for a chunk of rows, a row softmax with the
 * max subtracted (the same softmax as the forward), then column sums. Extra memory is one chunk of scores, never
 * the nq×nk map. Callers pass Q and K exactly as the forward uses them (after QK-norm and RoPE).
 * Heads run in parallel, each into its own double accumulator; heads are then added in order, so the result does
 * not depend on the thread count.
 */
public final class TokenImportance {
    /** Query rows per chunk. */
    public static final int DEFAULT_CHUNK = 256;

    private TokenImportance() {}

    /** S_j for j in [0, nk); rows of Q/K at the given strides, head h in columns [h·headDim, (h+1)·headDim). */
    public static double[] receivedAttention(float[] q, int qOff, int qStride, float[] k, int kOff, int kStride,
                                             int nq, int nk, int heads, int headDim, float scale, int chunk) {
        if (chunk <= 0) throw new ConfigException("token importance chunk must be positive, got " + chunk);
        KernelBackend kb = Kernels.get();
        double[][] perHead = new double[heads][nk];
        Parallel.forEach(heads, h -> {
            float[] scores = new float[Math.min(chunk, nq) * nk];
            double[] acc = perHead[h];
            for (int r0 = 0; r0 < nq; r0 += chunk) {
                int rows = Math.min(chunk, nq - r0);
                kb.sgemm(false, true, rows, nk, headDim, q, qOff + r0 * qStride + h * headDim, qStride,
                        k, kOff + h * headDim, kStride, 0f, scores, 0, nk);
                for (int i = 0; i < rows * nk; i++) scores[i] *= scale;
                kb.softmax(scores, 0, rows, nk);
                for (int r = 0; r < rows; r++) {
                    int o = r * nk;
                    for (int j = 0; j < nk; j++) acc[j] += scores[o + j];
                }
            }
        });
        double[] s = new double[nk];
        for (double[] ph : perHead) for (int j = 0; j < nk; j++) s[j] += ph[j];
        return s;
    }

    /**
     * How concentrated the received attention is: the share of Σ S that goes to the ceil(fraction·n) tokens that
     * receive most (uniform attention gives about {@code fraction}; the paper's CogVideoX blocks give most of it).
     */
    public static double topShare(double[] s, double fraction) {
        if (!(fraction > 0 && fraction <= 1)) throw new ConfigException("top share fraction must be in (0, 1], got " + fraction);
        double[] sorted = s.clone();
        Arrays.sort(sorted);
        int top = (int) Math.ceil(fraction * sorted.length);
        double all = 0, head = 0;
        for (int j = 0; j < sorted.length; j++) { all += sorted[j]; if (j >= sorted.length - top) head += sorted[j]; }
        return all == 0 ? Double.NaN : head / all;
    }

    /**
     * λ_j = (S_j − min S)/(max S − min S)·(λ_max − λ_min) + λ_min. When every S_j is equal, every token gets
     * λ_max (uniform weighting, as without STD).
     */
    public static float[] lambdas(double[] s, float lambdaMin, float lambdaMax) {
        if (!(lambdaMin >= 0 && lambdaMin <= lambdaMax))
            throw new ConfigException("STD lambda range must satisfy 0 <= lambda_min <= lambda_max, got ["
                    + lambdaMin + ", " + lambdaMax + "]");
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (double v : s) { min = Math.min(min, v); max = Math.max(max, v); }
        float[] out = new float[s.length];
        for (int j = 0; j < s.length; j++)
            out[j] = max == min ? lambdaMax : (float) ((s[j] - min) / (max - min) * (lambdaMax - lambdaMin) + lambdaMin);
        return out;
    }
}
