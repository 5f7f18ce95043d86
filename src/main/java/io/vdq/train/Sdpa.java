package io.vdq.train;

import io.vdq.kernel.KernelBackend;
import io.vdq.kernel.Kernels;

/**
 * Multi-head scaled dot-product attention {@code softmax(Q·Kᵀ/√d)·V} with its backward. The forward
 * materialises each (example, head) probability matrix [nq × nk] and keeps it for the backward: memory is
 * batch·heads·nq·nk floats, fine for training sequences of up to ~512 tokens, not for inference-size videos
 * (the inference model uses the kernel's blockwise attention instead). Work is split by (example, head),
 * each writing only its own columns, so results do not depend on the thread count.
 */
public final class Sdpa {
    private Sdpa() {}

    /** Inputs (rows of heads·headDim), the probabilities per (example, head) and the output. */
    public record Cache(float[] q, float[] k, float[] v, float[] p, int batch, int nq, int nk, int heads, int headDim, float[] out) {}

    public static Cache forward(float[] q, float[] k, float[] v, int batch, int nq, int nk, int heads, int headDim) {
        int inner = heads * headDim;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        float[] p = new float[batch * heads * nq * nk], out = new float[batch * nq * inner];
        KernelBackend kb = Kernels.get();
        Ops.par(batch * heads, (long) nq * nk * headDim, (bh0, bh1) -> { for (int bh = bh0; bh < bh1; bh++) {
            int b = bh / heads, h = bh % heads, po = bh * nq * nk;
            int qo = b * nq * inner + h * headDim, ko = b * nk * inner + h * headDim;
            Ops.nt(nq, nk, headDim, q, qo, inner, k, ko, inner, 0f, p, po, nk);
            for (int i = po; i < po + nq * nk; i++) p[i] *= scale;
            kb.softmax(p, po, nq, nk);
            Ops.nn(nq, headDim, nk, p, po, nk, v, ko, inner, 0f, out, qo, inner);
        } });
        return new Cache(q, k, v, p, batch, nq, nk, heads, headDim, out);
    }

    /** Writes dL/dq, dL/dk, dL/dv (each overwritten) from dL/dout. */
    public static void backward(Cache c, float[] dOut, float[] dq, float[] dk, float[] dv) {
        int heads = c.heads(), hd = c.headDim(), nq = c.nq(), nk = c.nk(), inner = heads * hd;
        float scale = (float) (1.0 / Math.sqrt(hd));
        Ops.par(c.batch() * heads, (long) nq * nk * hd, (bh0, bh1) -> { for (int bh = bh0; bh < bh1; bh++) {
            int b = bh / heads, h = bh % heads, po = bh * nq * nk;
            int qo = b * nq * inner + h * hd, ko = b * nk * inner + h * hd;
            float[] p = c.p(), ds = new float[nq * nk];
            // dV = Pᵀ·dO, dP = dO·Vᵀ, dQ = dS·K, dK = dSᵀ·Q
            Ops.tn(nk, hd, nq, p, po, nk, dOut, qo, inner, 0f, dv, ko, inner);
            Ops.nt(nq, nk, hd, dOut, qo, inner, c.v(), ko, inner, 0f, ds, 0, nk);
            for (int i = 0; i < nq; i++) {
                double dot = 0;
                for (int j = 0; j < nk; j++) dot += (double) ds[i * nk + j] * p[po + i * nk + j];
                for (int j = 0; j < nk; j++) ds[i * nk + j] = (float) (p[po + i * nk + j] * (ds[i * nk + j] - dot)) * scale;
            }
            Ops.nn(nq, hd, nk, ds, 0, nk, c.k(), ko, inner, 0f, dq, qo, inner);
            Ops.tn(nk, hd, nq, ds, 0, nk, c.q(), qo, inner, 0f, dk, ko, inner);
        } });
    }
}
