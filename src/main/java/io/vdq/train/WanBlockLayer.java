package io.vdq.train;

import java.util.SplittableRandom;

/**
 * diffusers {@code WanTransformerBlock}, forward and backward. With (shift, scale, gate, c_shift, c_scale,
 * c_gate) = scale_shift_table + timestep_proj[b] (six chunks of dim):
 * <pre>
 *   h1 = x  + gate·attn1(LN(x)·(1+scale) + shift)          (LN without affine; RoPE self-attention)
 *   h2 = h1 + attn2(LN_affine(h1), text)                    (cross-attention, no modulation, no gate)
 *   y  = h2 + c_gate·ffn(LN(h2)·(1+c_scale) + c_shift)       (ffn = Linear, GELU-tanh, Linear)
 * </pre>
 * Activations are batch·n rows of dim; the modulation input is [batch, 6·dim].
 */
public final class WanBlockLayer {
    private final int dim;
    private final Param table;
    private final LayerNormLayer norm1, norm2, norm3;
    private final AttentionLayer attn1, attn2;
    private final LinearLayer ffn0, ffn2;

    public WanBlockLayer(ParamSet ps, String name, int dim, int heads, int headDim, int ffnDim, float eps) {
        this.dim = dim;
        table = ps.add(name + ".scale_shift_table", 1, 6, dim).decay(false);
        norm1 = new LayerNormLayer(dim, eps);
        attn1 = new AttentionLayer(ps, name + ".attn1", dim, heads, headDim, eps);
        norm2 = new LayerNormLayer(ps, name + ".norm2", dim, eps);
        attn2 = new AttentionLayer(ps, name + ".attn2", dim, heads, headDim, eps);
        norm3 = new LayerNormLayer(dim, eps);
        ffn0 = new LinearLayer(ps, name + ".ffn.net.0.proj", dim, ffnDim, true);
        ffn2 = new LinearLayer(ps, name + ".ffn.net.2", ffnDim, dim, true);
    }

    /** The block's linear layers in forward order (attn1 q,k,v,out; attn2 q,k,v,out; ffn up, down). */
    public LinearLayer[] linears() {
        LinearLayer[] a = attn1.linears(), b = attn2.linears();
        return new LinearLayer[]{a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3], ffn0, ffn2};
    }

    /** Linear layers uniform in ±1/√in; the modulation table N(0, 1/dim) as in diffusers. */
    public void init(SplittableRandom rng) {
        for (LinearLayer l : linears()) l.initUniform(rng);
        float[] t = table.v();
        double s = 1.0 / Math.sqrt(dim);
        for (int i = 0; i < t.length; i += 2) {
            double u1 = rng.nextDouble(), u2 = rng.nextDouble(), r = Math.sqrt(-2 * Math.log(1 - u1));
            t[i] = (float) (s * r * Math.cos(2 * Math.PI * u2));
            if (i + 1 < t.length) t[i + 1] = (float) (s * r * Math.sin(2 * Math.PI * u2));
        }
    }

    public record Cache(int batch, int n, int m, float[] mod, LayerNormLayer.Cache n1, float[] m1, AttentionLayer.Cache a1,
                        float[] h1, LayerNormLayer.Cache n2, AttentionLayer.Cache a2, float[] h2, LayerNormLayer.Cache n3,
                        float[] m3, LinearLayer.Cache f0, float[] g, LinearLayer.Cache f2, float[] y) {
        /** The block's input hidden states. */
        public float[] x() { return n1.x(); }
    }

    /**
     * @param x     batch·n rows of dim (video tokens)
     * @param text  batch·m rows of dim (projected text)
     * @param tproj [batch, 6·dim] timestep projection (condition_embedder output)
     * @param rope  table for the n tokens of one example
     */
    public Cache forward(float[] x, float[] text, float[] tproj, int batch, int n, int m, RopeTable rope) {
        int st = 6 * dim;
        float[] mod = new float[batch * st], t = table.v();
        for (int b = 0; b < batch; b++) for (int i = 0; i < st; i++) mod[b * st + i] = t[i] + tproj[b * st + i];
        int rows = batch * n;
        LayerNormLayer.Cache n1 = norm1.forward(x, rows);
        float[] m1 = Ops.modulate(n1.y(), batch, n, dim, mod, st, 0, dim);
        AttentionLayer.Cache a1 = attn1.forward(m1, null, batch, n, n, rope);
        float[] h1 = Ops.gate(x, a1.y(), batch, n, dim, mod, st, 2 * dim);
        LayerNormLayer.Cache n2 = norm2.forward(h1, rows);
        AttentionLayer.Cache a2 = attn2.forward(n2.y(), text, batch, n, m, null);
        float[] h2 = h1.clone();
        Ops.addInPlace(h2, a2.y());
        LayerNormLayer.Cache n3 = norm3.forward(h2, rows);
        float[] m3 = Ops.modulate(n3.y(), batch, n, dim, mod, st, 3 * dim, 4 * dim);
        LinearLayer.Cache f0 = ffn0.forward(m3, rows);
        float[] g = Ops.gelu(f0.y());
        LinearLayer.Cache f2 = ffn2.forward(g, rows);
        float[] y = Ops.gate(h2, f2.y(), batch, n, dim, mod, st, 5 * dim);
        return new Cache(batch, n, m, mod, n1, m1, a1, h1, n2, a2, h2, n3, m3, f0, g, f2, y);
    }

    /** dL/dx, and the gradients that flow to the shared inputs (added into dText and dTproj). */
    public float[] backward(Cache c, float[] dy, float[] dText, float[] dTproj) {
        int batch = c.batch(), n = c.n(), st = 6 * dim;
        float[] dmod = new float[batch * st];
        // 3. feed-forward
        float[] df2 = Ops.gateBackward(c.f2().y(), dy, batch, n, dim, c.mod(), dmod, st, 5 * dim);
        float[] dg = ffn2.backward(c.f2(), df2);
        float[] dm3 = ffn0.backward(c.f0(), Ops.geluBackward(c.f0().y(), dg));
        float[] dn3 = Ops.modulateBackward(c.n3().y(), dm3, batch, n, dim, c.mod(), dmod, st, 3 * dim, 4 * dim);
        float[] dh2 = dy.clone();
        Ops.addInPlace(dh2, norm3.backward(c.n3(), dn3));
        // 2. cross-attention
        AttentionLayer.Grads g2 = attn2.backward(c.a2(), dh2);
        Ops.addInPlace(dText, g2.dctx());
        float[] dh1 = dh2;
        Ops.addInPlace(dh1, norm2.backward(c.n2(), g2.dx()));
        // 1. self-attention
        float[] da1 = Ops.gateBackward(c.a1().y(), dh1, batch, n, dim, c.mod(), dmod, st, 2 * dim);
        AttentionLayer.Grads g1 = attn1.backward(c.a1(), da1);
        float[] dn1 = Ops.modulateBackward(c.n1().y(), g1.dx(), batch, n, dim, c.mod(), dmod, st, 0, dim);
        float[] dx = dh1;
        Ops.addInPlace(dx, norm1.backward(c.n1(), dn1));
        // modulation = table + tproj
        float[] tg = table.g();
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < st; i++) { tg[i] += dmod[b * st + i]; dTproj[b * st + i] += dmod[b * st + i]; }
        return dx;
    }
}
