package io.vdq.train;

/**
 * diffusers {@code WanAttention}: to_q/to_k/to_v (with bias), RMSNorm across heads on q and k (norm_q,
 * norm_k), optional RoPE on q and k (self-attention), SDPA, to_out.0. Self-attention when the context is
 * null; otherwise cross-attention to the (already projected) text rows.
 */
public final class AttentionLayer {
    private final LinearLayer toQ, toK, toV, toOut;
    private final RmsNormLayer normQ, normK;
    private final int heads, headDim;

    public AttentionLayer(ParamSet ps, String name, int dim, int heads, int headDim, float eps) {
        int inner = heads * headDim;
        this.heads = heads;
        this.headDim = headDim;
        toQ = new LinearLayer(ps, name + ".to_q", dim, inner, true);
        toK = new LinearLayer(ps, name + ".to_k", dim, inner, true);
        toV = new LinearLayer(ps, name + ".to_v", dim, inner, true);
        toOut = new LinearLayer(ps, name + ".to_out.0", inner, dim, true);
        normQ = new RmsNormLayer(ps, name + ".norm_q", inner, eps);
        normK = new RmsNormLayer(ps, name + ".norm_k", inner, eps);
    }

    public LinearLayer[] linears() { return new LinearLayer[]{toQ, toK, toV, toOut}; }

    public record Cache(LinearLayer.Cache q, LinearLayer.Cache k, LinearLayer.Cache v, RmsNormLayer.Cache nq,
                        RmsNormLayer.Cache nk, Sdpa.Cache att, LinearLayer.Cache out, RopeTable rope, boolean self, float[] y) {}

    /**
     * {@code x}: batch·n rows of dim; {@code ctx}: batch·m rows of dim, or null for self-attention (then m = n);
     * {@code rope}: table for n tokens or null.
     */
    public Cache forward(float[] x, float[] ctx, int batch, int n, int m, RopeTable rope) {
        boolean self = ctx == null;
        float[] c = self ? x : ctx;
        int mk = self ? n : m;
        LinearLayer.Cache q = toQ.forward(x, batch * n), k = toK.forward(c, batch * mk), v = toV.forward(c, batch * mk);
        RmsNormLayer.Cache nq = normQ.forward(q.y(), batch * n), nk = normK.forward(k.y(), batch * mk);
        float[] qr = nq.y(), kr = nk.y();
        if (rope != null) { qr = rope.apply(qr, batch, heads, false); kr = rope.apply(kr, batch, heads, false); }
        Sdpa.Cache att = Sdpa.forward(qr, kr, v.y(), batch, n, mk, heads, headDim);
        LinearLayer.Cache o = toOut.forward(att.out(), batch * n);
        return new Cache(q, k, v, nq, nk, att, o, rope, self, o.y());
    }

    /** Gradients of a forward: w.r.t. x, and w.r.t. the context (null for self-attention, folded into dx). */
    public record Grads(float[] dx, float[] dctx) {}

    public Grads backward(Cache c, float[] dy) {
        float[] dAtt = toOut.backward(c.out(), dy);
        float[] dq = new float[c.q().y().length], dk = new float[c.k().y().length], dv = new float[c.v().y().length];
        Sdpa.backward(c.att(), dAtt, dq, dk, dv);
        if (c.rope() != null) {
            int batch = c.att().batch();
            dq = c.rope().apply(dq, batch, heads, true);
            dk = c.rope().apply(dk, batch, heads, true);
        }
        float[] dxq = toQ.backward(c.q(), normQ.backward(c.nq(), dq));
        float[] dck = toK.backward(c.k(), normK.backward(c.nk(), dk));
        float[] dcv = toV.backward(c.v(), dv);
        Ops.addInPlace(dck, dcv);
        if (c.self()) {
            Ops.addInPlace(dxq, dck);
            return new Grads(dxq, null);
        }
        return new Grads(dxq, dck);
    }
}
