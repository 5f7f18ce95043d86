package io.vdq.kernel;

import io.vdq.VdqException.ShapeException;
import io.vdq.tensor.Parallel;

/**
 * Attention with an int8 Q·Kᵀ (SageAttention-style, beyond both papers, which keep attention in 16 bits):
 * per head, K is smoothed by subtracting its mean over the keys per channel (softmax is invariant to the per-query
 * constant q·μ this removes, and the outlier channel means that make K hard to quantize go away), then Q and the
 * smoothed K are quantized symmetric int8 per token, the scores come from the integer GEMM with int32 sums
 * ({@code S = sq_t · sk_j · Σ q·k}, the softmax scale folded into sq_t), and the softmax and P·V run in float32.
 * Queries are processed in blocks of {@link #Q_BLOCK} rows with the full row of scores materialised (Q_BLOCK × nk
 * floats), not with an online softmax.
 *
 * <p>Optionally P·V is integer too ({@code intPV}): V is quantized per channel (symmetric int8 over the keys, one
 * scale per head-dimension column, as SageAttention2 does for its FP8 V), the softmax probabilities P per query row
 * (the row's largest probability at code 127, {@link KernelBackend#softmaxInt8}: the softmax writes the codes
 * directly; P ≥ 0, so 7 of the 8 bits carry information), and P·V runs on the same integer GEMM as Q·Kᵀ. This makes
 * both O(n²·d) products integer; the softmax's exponentials remain float.
 */
public final class Int8Attention {
    /** Query rows per block: the score buffer is Q_BLOCK × nk floats (33 MB at 32 760 keys). */
    public static final int Q_BLOCK = 256;

    private Int8Attention() {}

    /**
     * {@code out = softmax(scale·Q·Kᵀ)·V} per head, layouts as {@link KernelBackend#attention}: head h occupies
     * columns [h·headDim, (h+1)·headDim) of each row.
     *
     * @param smoothK subtract K's per-channel mean over the keys before quantizing (the SageAttention smoothing)
     * @param intPV   int8 P·V (per-channel V, per-row P) instead of a float one
     */
    public static void attention(IntBackend ib, KernelBackend fb, float[] q, int qOff, int qStride, float[] k, int kOff, int kStride,
                                 float[] v, int vOff, int vStride, float[] out, int outOff, int outStride,
                                 int nq, int nk, int heads, int headDim, float scale, boolean smoothK, boolean intPV) {
        if (nq < 1 || nk < 1 || heads < 1 || headDim < 1)
            throw new ShapeException("int8 attention: nq, nk, heads and headDim must be positive, got " + nq + ", " + nk + ", " + heads + ", " + headDim);
        // heads in parallel (each head's GEMMs and softmax then run inline on its worker): the per-head packing of K
        // and V is serial work that an inner split would leave to one thread; with fewer heads than threads the
        // head loop runs on the caller and the inner calls split instead. Same bits either way.
        Parallel.forEachDynamic(heads, h -> head(ib, fb, q, qOff, qStride, k, kOff, kStride, v, vOff, vStride, out, outOff,
                outStride, nq, nk, h, headDim, scale, smoothK, intPV));
    }

    /** One head h: columns [h·hd, (h+1)·hd) of Q, K, V and out. */
    private static void head(IntBackend ib, KernelBackend fb, float[] q, int qOff, int qStride, float[] k, int kOff, int kStride,
                             float[] v, int vOff, int vStride, float[] out, int outOff, int outStride,
                             int nq, int nk, int h, int hd, float scale, boolean smoothK, boolean intPV) {
        float[] kh = new float[nk * hd];
        float[] qh = new float[Math.min(nq, Q_BLOCK) * hd];
        float[] s = new float[Math.min(nq, Q_BLOCK) * nk];
        float[] vt = new float[hd * nk], o = new float[Math.min(nq, Q_BLOCK) * hd];
        for (int j = 0; j < nk; j++) System.arraycopy(k, kOff + j * kStride + h * hd, kh, j * hd, hd);
        if (smoothK) {
            double[] mean = new double[hd];
            for (int j = 0; j < nk; j++) for (int c = 0; c < hd; c++) mean[c] += kh[j * hd + c];
            for (int c = 0; c < hd; c++) mean[c] /= nk;
            for (int j = 0; j < nk; j++) for (int c = 0; c < hd; c++) kh[j * hd + c] -= (float) mean[c];
        }
        PackedInt kp = packRows(ib, kh, nk, hd);
        // Vᵀ (hd × nk) packed once per head for P·V (instead of repacking V for every query block)
        for (int j = 0; j < nk; j++) for (int c = 0; c < hd; c++) vt[c * nk + j] = v[vOff + j * vStride + h * hd + c];
        PackedWeights vp = intPV ? null : fb.pack(vt, 0, hd, nk);
        PackedInt vi = intPV ? packRows(ib, vt, hd, nk) : null;
        ActQuant a = null, pa = null;
        for (int r0 = 0; r0 < nq; r0 += Q_BLOCK) {
            int m = Math.min(Q_BLOCK, nq - r0);
            for (int t = 0; t < m; t++) System.arraycopy(q, qOff + (r0 + t) * qStride + h * hd, qh, t * hd, hd);
            if (a == null || a.m != m) a = new ActQuant(m, hd, 8, 0);
            ib.quantize(qh, 0, a);
            for (int t = 0; t < m; t++) a.scale[t] *= scale;
            ib.gemm(a, kp, s, 0);
            if (intPV) { // softmax straight to P's codes (one pass after the max), then the integer P·V
                if (pa == null || pa.m != m) pa = new ActQuant(m, nk, 8, 0);
                fb.softmaxInt8(s, 0, m, nk, pa.q, pa.kp, pa.scale, pa.xsum);
                ib.gemm(pa, vi, o, 0);
            } else {
                fb.softmax(s, 0, m, nk);
                fb.gemm(s, 0, m, vp, null, o, 0);
            }
            for (int t = 0; t < m; t++) System.arraycopy(o, t * hd, out, outOff + (r0 + t) * outStride + h * hd, hd);
        }
    }

    /** The rows of x (rows × cols) as int8 GEMM weights, symmetric per row (one scale per row). */
    private static PackedInt packRows(IntBackend ib, float[] x, int rows, int cols) {
        ActQuant xq = new ActQuant(rows, cols, 8, 0);
        ib.quantize(x, 0, xq);
        byte[] codes = new byte[rows * cols];
        for (int j = 0; j < rows; j++) System.arraycopy(xq.q, j * xq.kp, codes, j * cols, cols);
        return ib.pack(new IntWeights(rows, cols, 8, 0, codes, xq.scale, null, null));
    }
}
