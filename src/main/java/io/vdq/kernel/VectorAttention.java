package io.vdq.kernel;

import static io.vdq.kernel.VectorGemm.MR;
import static io.vdq.kernel.VectorGemm.NR;

import io.vdq.tensor.Parallel;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Multi-head attention, blockwise with an online softmax (running max and sum per query row): for each head,
 * Kᵀ and V are packed once into the GEMM panel layout (shared, read-only); query blocks of {@link #BQ} rows then
 * run in parallel, each looping over key blocks of {@link #BK}: S = Q·Kᵀ and O += P·V both go through the GEMM
 * micro-kernel. Per-thread scratch is O(BQ·BK + BQ·headDim); the nq×nk matrix is never formed.
 * Each (query block, head) task is computed in one fixed order, so the result does not depend on threads.
 * When {@link VectorGemm#macroKernel()} is set (the native AVX2 macro-kernel), both products of a key block
 * go to it in one call each; it computes the same FMA chains as the Java micro-kernel, so the bits do not change.
 */
final class VectorAttention {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Query rows per task (a multiple of the micro-tile's MR). */
    static final int BQ = 8 * MR;
    /** Keys per block (a multiple of the micro-tile's NR). */
    static final int BK = VectorGemm.roundUp(128, NR);

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Per-thread buffers, grown on demand. */
    private static final class Scratch {
        float[] qp = new float[0], s = new float[BQ * BK], pp = new float[BQ * BK], o = new float[0];
        final float[] m = new float[BQ], l = new float[BQ];

        Scratch ensure(int d, int dP) {
            if (qp.length < BQ * d) qp = new float[BQ * d];
            if (o.length < BQ * dP) o = new float[BQ * dP];
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
        int dPan = VectorGemm.panels(d), dP = dPan * NR, kPan = VectorGemm.panels(nk);
        float[] kp = new float[Math.multiplyExact(kPan * NR, d)];
        float[] vp = new float[Math.multiplyExact(dP, nk)];
        int qBlocks = (nq + BQ - 1) / BQ;
        for (int h = 0; h < heads; h++) {
            int kh = kOff + h * d, vh = vOff + h * d, head = h;
            Parallel.range(kPan, (p0, p1) -> packKt(k, kh, kStride, nk, d, p0, p1, kp));
            Parallel.range(nk, (j0, j1) -> packV(v, vh, vStride, nk, d, dP, j0, j1, vp));
            Parallel.forEachDynamic(qBlocks, qb -> block(q, qOff + head * d, qStride, kp, vp, out,
                    outOff + head * d, outStride, qb * BQ, Math.min(BQ, nq - qb * BQ), nk, d, dP, scale));
        }
    }

    /** Kᵀ panels of NR keys: {@code kp[p·d·NR + kk·NR + j] = K[p·NR + j][kk]} (keys past nk stay zero). */
    private static void packKt(float[] k, int kh, int kStride, int nk, int d, int p0, int p1, float[] kp) {
        for (int p = p0; p < p1; p++) {
            int nv = Math.min(NR, nk - p * NR), base = p * d * NR;
            for (int j = 0; j < nv; j++) {
                int src = kh + (p * NR + j) * kStride;
                for (int kk = 0; kk < d; kk++) kp[base + kk * NR + j] = k[src + kk];
            }
        }
    }

    /**
     * V, per key block of {@link #BK} keys, as the key block's B panels of NR columns:
     * {@code vp[k0·dP + p·bk·NR + (j − k0)·NR + c] = V[j][p·NR + c]} for the block [k0, k0 + bk) holding key j
     * (columns past d stay zero). So one key block of all column panels is contiguous, as the macro-kernel wants.
     */
    private static void packV(float[] v, int vh, int vStride, int nk, int d, int dP, int j0, int j1, float[] vp) {
        for (int j = j0; j < j1; j++) {
            int k0 = j / BK * BK, bk = Math.min(BK, nk - k0), base = k0 * dP + (j - k0) * NR;
            for (int p = 0, c0 = 0; c0 < d; p++, c0 += NR)
                System.arraycopy(v, vh + j * vStride + c0, vp, base + p * bk * NR, Math.min(NR, d - c0));
        }
    }

    /** One query block [q0, q0+bq) of one head, over all keys. */
    private static void block(float[] q, int qh, int qStride, float[] kp, float[] vp, float[] out, int oh,
                              int outStride, int q0, int bq, int nk, int d, int dP, float scale) {
        Scratch sc = SCRATCH.get().ensure(d, dP);
        float[] qp = sc.qp, s = sc.s, pp = sc.pp, o = sc.o, m = sc.m, l = sc.l;
        int bqP = VectorGemm.roundUp(bq, MR), dPan = dP / NR;
        FloatMacroKernel mk = VectorGemm.macroKernel();
        VectorGemm.packA(q, qh, qStride, false, q0, bq, 0, d, qp);
        Arrays.fill(o, 0, bqP * dP, 0f);
        Arrays.fill(m, Float.NEGATIVE_INFINITY);
        Arrays.fill(l, 0f);
        for (int k0 = 0; k0 < nk; k0 += BK) {
            int bk = Math.min(BK, nk - k0), kpn = (bk + NR - 1) / NR;
            if (mk != null) mk.run(qp, bqP, d, kp, k0 / NR * d * NR, 0, kpn, kpn * NR, s, 0, BK, false);
            else for (int ir = 0; ir < bqP; ir += MR)
                for (int pj = 0; pj < kpn; pj++)
                    VectorGemm.kernel(d, qp, ir * d, kp, (k0 / NR + pj) * d * NR, s, ir * BK + pj * NR, BK, false);
            for (int i = 0; i < bq; i++) {
                float corr = rowUpdate(s, i * BK, bk, scale, m, l, i);
                if (corr != 1f) VectorOps.scale(o, i * dP, dP, corr);
            }
            // P in the packed-A layout [row panel][key][MR]; rows past bq are zero.
            for (int ir = 0; ir < bqP; ir += MR) {
                int base = ir * bk;
                for (int r = 0; r < MR; r++) {
                    int i = ir + r;
                    if (i < bq) for (int j = 0; j < bk; j++) pp[base + j * MR + r] = s[i * BK + j];
                    else for (int j = 0; j < bk; j++) pp[base + j * MR + r] = 0f;
                }
            }
            if (mk != null) mk.run(pp, bqP, bk, vp, k0 * dP, 0, dPan, dP, o, 0, dP, true);
            else for (int ir = 0; ir < bqP; ir += MR)
                for (int pd = 0; pd < dPan; pd++)
                    VectorGemm.kernel(bk, pp, ir * bk, vp, k0 * dP + pd * bk * NR, o, ir * dP + pd * NR, dP, true);
        }
        for (int i = 0; i < bq; i++) {
            float inv = 1f / l[i];
            int dst = oh + (q0 + i) * outStride, src = i * dP;
            for (int c = 0; c < d; c++) out[dst + c] = o[src + c] * inv;
        }
    }

    /**
     * Online-softmax step for query row i over this key block's raw scores s[so..so+bk): scales them, updates
     * the running max m[i] and sum l[i], turns the scores into exp(score − new max) in place and returns the
     * factor exp(old max − new max) by which the row's accumulated output must be rescaled.
     */
    private static float rowUpdate(float[] s, int so, int bk, float scale, float[] m, float[] l, int i) {
        int vb = S.loopBound(bk), j = 0;
        float max = Float.NEGATIVE_INFINITY;
        if (vb > 0) {
            FloatVector mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (; j < vb; j += L) {
                FloatVector x = FloatVector.fromArray(S, s, so + j).mul(scale);
                x.intoArray(s, so + j);
                mv = mv.max(x);
            }
            max = mv.reduceLanes(VectorOperators.MAX);
        }
        for (; j < bk; j++) { s[so + j] *= scale; max = Math.max(max, s[so + j]); }
        float mOld = m[i], mNew = Math.max(mOld, max);
        float corr = mOld == Float.NEGATIVE_INFINITY ? 0f : VectorOps.exp(mOld - mNew);
        float sum = 0f;
        j = 0;
        if (vb > 0) {
            FloatVector mx = FloatVector.broadcast(S, mNew), sv = FloatVector.zero(S);
            for (; j < vb; j += L) {
                FloatVector e = VectorOps.exp(FloatVector.fromArray(S, s, so + j).sub(mx));
                e.intoArray(s, so + j);
                sv = sv.add(e);
            }
            sum = VectorOps.sumLanes(sv);
        }
        for (; j < bk; j++) { float e = VectorOps.exp(s[so + j] - mNew); s[so + j] = e; sum += e; }
        m[i] = mNew;
        l[i] = l[i] * corr + sum;
        return corr;
    }
}
