package io.vdq.kernel;

import static io.vdq.kernel.VectorGemm.MR;
import static io.vdq.kernel.VectorGemm.NR;

import io.vdq.tensor.Parallel;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Multi-head attention, blockwise with an online softmax, computed transposed so that the softmax runs down
 * columns: for a block of {@link #BQ} queries and a block of {@link #BK} keys, {@code Sᵀ = K·Qᵀ} (keys × queries),
 * then per query column the running max and sum, {@code Pᵀ = exp(scale·Sᵀ − max)}, and {@code Oᵀ += Vᵀ·Pᵀ}.
 * Both products go through the GEMM micro-kernel (or, when {@link VectorGemm#macroKernel()} is set, the native
 * macro-kernel, which gives the same bits). Why transposed: Sᵀ comes out of the kernel already in the B-panel
 * layout [query panel][key][NR] that Oᵀ += Vᵀ·Pᵀ reads, so P is never repacked, and the softmax statistics are
 * element-wise vector operations across NR queries (no horizontal reductions).
 *
 * <p>Per head, K is packed once as A row panels of MR keys and Vᵀ once as A row panels of MR head dimensions per
 * key block; per task, the query block is packed as B panels of Qᵀ. Per-thread scratch is O(BQ·BK + BQ·headDim);
 * the nq×nk matrix is never formed. Each (query block, head) task is computed in one fixed order (every S and
 * O element one FMA chain in index order), so the result does not depend on the thread count.
 *
 * <p>When {@link ExecutionContext#flashAttention()} names a native {@link FlashKernel} (the default where
 * libvdqnative.so loads), {@link #attention} hands the work to it instead: K and V packed once per head by the
 * kernel, then one call per block of queries of one head, on the same thread pool and with the same
 * thread-count independence. This class's own blockwise code is then the fallback (ARM, {@code -Dvdq.native=off}).
 */
final class VectorAttention {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Query rows per task (a multiple of the panel width NR). */
    static final int BQ = 2 * NR;
    /** Keys per block (a multiple of the micro-tile's MR). */
    static final int BK = 128;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Per-thread buffers, grown on demand. */
    private static final class Scratch {
        float[] qb = new float[0], st = new float[BQ * BK], ot = new float[0];
        final float[] m = new float[BQ], l = new float[BQ], corr = new float[BQ];

        Scratch ensure(int d4, int d) {
            if (qb.length < BQ * d) qb = new float[BQ * d];
            if (ot.length < BQ * d4) ot = new float[BQ * d4];
            return this;
        }
    }

    private VectorAttention() {}

    static void attention(float[] q, int qOff, int qStride, float[] k, int kOff, int kStride,
                          float[] v, int vOff, int vStride, float[] out, int outOff, int outStride,
                          int nq, int nk, int heads, int headDim, float scale) {
        if (nq <= 0 || heads <= 0 || headDim <= 0) return;
        int d = headDim;
        if (nk <= 0) {
            for (int i = 0; i < nq; i++) Arrays.fill(out, outOff + i * outStride, outOff + i * outStride + heads * d, 0f);
            return;
        }
        FlashKernel fk = ExecutionContext.flashAttention();
        if (fk != null && scale > 0) { // the flash kernels take the running max of unscaled scores: scale > 0 only
            flash(fk, q, qOff, qStride, k, kOff, kStride, v, vOff, vStride, out, outOff, outStride, nq, nk, heads, d, scale);
            return;
        }
        int d4 = VectorGemm.roundUp(d, MR), nk4 = VectorGemm.roundUp(nk, MR), kBlocks = (nk + BK - 1) / BK;
        float[] ka = new float[Math.multiplyExact(nk4, d)];
        float[] vt = new float[Math.multiplyExact(d4, nk4)];
        int qBlocks = (nq + BQ - 1) / BQ;
        for (int h = 0; h < heads; h++) {
            int kh = kOff + h * d, vh = vOff + h * d, head = h;
            // K as A row panels of MR keys (kc = d, keys past nk zero): the GEMM's own A packing
            VectorGemm.packA(k, kh, kStride, false, 0, nk, 0, d, ka);
            Parallel.range(kBlocks, (b0, b1) -> packVt(v, vh, vStride, nk, d, d4, b0, b1, vt));
            Parallel.forEachDynamic(qBlocks, qb -> block(q, qOff + head * d, qStride, ka, vt, out,
                    outOff + head * d, outStride, qb * BQ, Math.min(BQ, nq - qb * BQ), nk, d, d4, scale));
        }
    }

    /** {@link #attention} on a native flash kernel: per head, K and V packed in parallel, then the query blocks. */
    private static void flash(FlashKernel fk, float[] q, int qOff, int qStride, float[] k, int kOff, int kStride,
                              float[] v, int vOff, int vStride, float[] out, int outOff, int outStride,
                              int nq, int nk, int heads, int d, float scale) {
        int mr = fk.keyPanel(), qb = fk.queryBlock();
        int panels = (nk + mr - 1) / mr, nkp = Math.multiplyExact(panels, mr);
        float[] kp = new float[Math.multiplyExact(nkp, d)], vp = new float[Math.multiplyExact(nkp, VectorGemm.roundUp(d, mr))];
        int qBlocks = (nq + qb - 1) / qb;
        for (int h = 0; h < heads; h++) {
            int kh = kOff + h * d, vh = vOff + h * d, qh = qOff + h * d, oh = outOff + h * d;
            Parallel.range(panels, (p0, p1) -> fk.packKV(k, kh, kStride, v, vh, vStride, nk, d, kp, vp, p0, p1));
            Parallel.forEachDynamic(qBlocks, b -> fk.block(q, qh + b * qb * qStride, qStride, Math.min(qb, nq - b * qb),
                    kp, vp, nk, d, scale, out, oh + b * qb * outStride, outStride));
        }
    }

    /**
     * Vᵀ per key block [k0, k0 + bk4) as A row panels of MR head dimensions with kc = bk4 (bk rounded up to MR):
     * {@code vt[k0·d4 + ir·bk4 + (j − k0)·MR + r] = V[j][ir + r]}, zero for j ≥ nk or ir + r ≥ d.
     */
    private static void packVt(float[] v, int vh, int vStride, int nk, int d, int d4, int b0, int b1, float[] vt) {
        for (int b = b0; b < b1; b++) {
            int k0 = b * BK, bk = Math.min(BK, nk - k0), bk4 = VectorGemm.roundUp(bk, MR), base = k0 * d4;
            for (int jj = 0; jj < bk4; jj++) {
                int src = vh + (k0 + jj) * vStride;
                for (int ir = 0; ir < d4; ir += MR) {
                    int dst = base + ir * bk4 + jj * MR;
                    if (jj < bk && ir + MR <= d) {
                        vt[dst] = v[src + ir]; vt[dst + 1] = v[src + ir + 1]; vt[dst + 2] = v[src + ir + 2]; vt[dst + 3] = v[src + ir + 3];
                    } else {
                        for (int r = 0; r < MR; r++) vt[dst + r] = jj < bk && ir + r < d ? v[src + ir + r] : 0f;
                    }
                }
            }
        }
    }

    /** One query block [q0, q0+bq) of one head, over all keys. */
    private static void block(float[] q, int qh, int qStride, float[] ka, float[] vt, float[] out, int oh,
                              int outStride, int q0, int bq, int nk, int d, int d4, float scale) {
        Scratch sc = SCRATCH.get().ensure(d4, d);
        float[] qb = sc.qb, st = sc.st, ot = sc.ot, m = sc.m, l = sc.l, corr = sc.corr;
        int qPan = (bq + NR - 1) / NR, bq16 = qPan * NR;
        FloatMacroKernel mk = VectorGemm.macroKernel();
        // Qᵀ as B panels: qb[p·d·NR + kk·NR + j] = Q[q0 + p·NR + j][kk] (queries past bq are zero)
        for (int p = 0; p < qPan; p++)
            for (int j = 0; j < NR; j++) {
                int i = p * NR + j, dst = p * d * NR + j;
                if (i < bq) for (int kk = 0, src = qh + (q0 + i) * qStride; kk < d; kk++) qb[dst + kk * NR] = q[src + kk];
                else for (int kk = 0; kk < d; kk++) qb[dst + kk * NR] = 0f;
            }
        Arrays.fill(ot, 0, d4 * bq16, 0f);
        Arrays.fill(m, 0, bq16, Float.NEGATIVE_INFINITY);
        Arrays.fill(l, 0, bq16, 0f);
        for (int k0 = 0; k0 < nk; k0 += BK) {
            int bk = Math.min(BK, nk - k0), bk4 = VectorGemm.roundUp(bk, MR);
            // Sᵀ panel p = K[k0 .. k0+bk4) · Qᵀ panel p, stored as [p][key][NR] (ldc = NR)
            for (int p = 0; p < qPan; p++) product(mk, ka, k0 * d, bk4, d, qb, p * d * NR, st, p * bk4 * NR, NR, false);
            for (int p = 0; p < qPan; p++) softmaxColumns(st, p * bk4 * NR, bk, bk4, scale, m, l, corr, p * NR);
            // rescale the accumulated Oᵀ columns, then Oᵀ += Vᵀ[:, block] · Pᵀ
            for (int c = 0; c < d4; c++) scaleRow(ot, c * bq16, corr, bq16);
            for (int p = 0; p < qPan; p++) product(mk, vt, k0 * d4, d4, bk4, st, p * bk4 * NR, ot, p * NR, bq16, true);
        }
        for (int i = 0; i < bq; i++) {
            float inv = 1f / l[i];
            int dst = oh + (q0 + i) * outStride;
            for (int c = 0; c < d; c++) out[dst + c] = ot[c * bq16 + i] * inv;
        }
    }

    /** C[mc × NR] (leading dimension ldc) (+)= A block (mc rows, kc, row panels of MR) · one B panel (kc × NR). */
    private static void product(FloatMacroKernel mk, float[] a, int aOff, int mc, int kc, float[] b, int bOff,
                                float[] c, int cOff, int ldc, boolean load) {
        if (mk != null) {
            mk.run(a, aOff, mc, kc, b, bOff, 0, 1, NR, c, cOff, ldc, load);
            return;
        }
        for (int ir = 0; ir < mc; ir += MR) VectorGemm.kernel(kc, a, aOff + ir * kc, b, bOff, c, cOff + ir * ldc, ldc, load);
    }

    /**
     * Online softmax down the NR query columns of one Sᵀ panel (keys × NR at {@code st[base + kk·NR + j]}):
     * scales the scores, updates each column's running max m and sum l, turns the scores into
     * exp(score − new max) in place, zeroes the padded key rows [bk, bk4), and leaves in {@code corr} the factor
     * exp(old max − new max) by which each column's accumulated output must be rescaled.
     */
    private static void softmaxColumns(float[] st, int base, int bk, int bk4, float scale, float[] m, float[] l, float[] corr, int col) {
        for (int c = 0; c < NR; c += L) {
            FloatVector mx = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (int kk = 0; kk < bk; kk++) {
                int o = base + kk * NR + c;
                FloatVector x = FloatVector.fromArray(S, st, o).mul(scale);
                x.intoArray(st, o);
                mx = mx.max(x);
            }
            FloatVector mOld = FloatVector.fromArray(S, m, col + c), mNew = mOld.max(mx);
            FloatVector sum = FloatVector.zero(S);
            for (int kk = 0; kk < bk; kk++) {
                int o = base + kk * NR + c;
                FloatVector e = VectorOps.exp(FloatVector.fromArray(S, st, o).sub(mNew));
                e.intoArray(st, o);
                sum = sum.add(e);
            }
            for (int kk = bk; kk < bk4; kk++) Arrays.fill(st, base + kk * NR + c, base + kk * NR + c + L, 0f);
            FloatVector cr = VectorOps.exp(mOld.sub(mNew)); // e^−∞ = 0 on the first block
            cr.intoArray(corr, col + c);
            FloatVector.fromArray(S, l, col + c).mul(cr).add(sum).intoArray(l, col + c);
            mNew.intoArray(m, col + c);
        }
    }

    /** x[off + j] *= f[j] for j in [0, n), n a multiple of the vector length. */
    private static void scaleRow(float[] x, int off, float[] f, int n) {
        for (int j = 0; j < n; j += L) FloatVector.fromArray(S, x, off + j).mul(FloatVector.fromArray(S, f, j)).intoArray(x, off + j);
    }
}
