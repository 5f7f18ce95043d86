package io.vdq.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vdq.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Finite-difference checks of modulation, RoPE, attention, the Wan block and the whole 1-block model. */
class BlockGradientTest {
    static final double TOL = 1e-3;

    @Test
    void modulationAndGate() {
        int batch = 2, n = 3, dim = 4, st = 3 * dim;
        ParamSet ps = new ParamSet();
        Param mod = ps.add("mod", batch * st);
        GradCheck.randomize(ps, 21, 0.6);
        float[] xhat = GradCheck.randn(22, batch * n * dim, 1), a = GradCheck.randn(23, batch * n * dim, 1);
        float[][] dx = new float[2][];
        List<GradCheck.Target> t = new ArrayList<>(GradCheck.targets(ps));
        t.add(new GradCheck.Target("xhat", xhat, () -> dx[0]));
        t.add(new GradCheck.Target("branch", a, () -> dx[1]));
        // y = gate(xhat, modulate(xhat)·a): exercises shift/scale at 0/dim and gate at 2·dim
        GradCheck.check("modulate+gate", () -> {
            float[] m = Ops.modulate(xhat, batch, n, dim, mod.v(), st, 0, dim);
            for (int i = 0; i < m.length; i++) m[i] *= a[i];
            return Ops.gate(xhat, m, batch, n, dim, mod.v(), st, 2 * dim);
        }, dy -> {
            float[] m = Ops.modulate(xhat, batch, n, dim, mod.v(), st, 0, dim);
            float[] ma = m.clone();
            for (int i = 0; i < m.length; i++) ma[i] *= a[i];
            float[] dma = Ops.gateBackward(ma, dy, batch, n, dim, mod.v(), mod.g(), st, 2 * dim);
            float[] dm = new float[m.length];
            dx[1] = new float[m.length];
            for (int i = 0; i < m.length; i++) { dm[i] = dma[i] * a[i]; dx[1][i] = dma[i] * m[i]; }
            dx[0] = Ops.modulateBackward(xhat, dm, batch, n, dim, mod.v(), mod.g(), st, 0, dim);
            for (int i = 0; i < dy.length; i++) dx[0][i] += dy[i];
        }, t, ps, 1000, TOL, 24);
    }

    @Test
    void ropeTableMatchesWanSplitAndRotatesPairs() {
        // head_dim 12: h = w = 2·⌊12/6⌋ = 4, t = 4; 6 pairs per token: t(2), h(2), w(2)
        RopeTable r = RopeTable.wan(12, 2, 3, 2, 10000);
        int tok = (1 * 3 + 2) * 2 + 1; // f=1, h=2, w=1
        double[] angles = {1, 1 / 100.0, 2, 2 / 100.0, 1, 1 / 100.0};
        for (int p = 0; p < 6; p++) {
            assertEquals(Math.cos(angles[p]), r.cos()[tok * 6 + p], 1e-6, "pair " + p);
            assertEquals(Math.sin(angles[p]), r.sin()[tok * 6 + p], 1e-6, "pair " + p);
        }
        float[] x = GradCheck.randn(30, r.tokens() * 24, 1); // 2 heads
        float[] y = r.apply(x, 1, 2, false);
        int o = tok * 24 + 12 + 2 * 3; // second head, pair 3
        double c = Math.cos(angles[3]), s = Math.sin(angles[3]);
        assertEquals(x[o] * c - x[o + 1] * s, y[o], 1e-5);
        assertEquals(x[o] * s + x[o + 1] * c, y[o + 1], 1e-5);
        float[] back = r.apply(y, 1, 2, true);
        for (int i = 0; i < x.length; i++) assertEquals(x[i], back[i], 1e-5);
    }

    @Test
    void sdpaMatchesKernelAttentionAndBackward() {
        int batch = 2, nq = 4, nk = 3, heads = 2, hd = 3, inner = heads * hd;
        float[] q = GradCheck.randn(40, batch * nq * inner, 1), k = GradCheck.randn(41, batch * nk * inner, 1),
                v = GradCheck.randn(42, batch * nk * inner, 1);
        float[] ref = new float[batch * nq * inner];
        for (int b = 0; b < batch; b++)
            io.vdq.kernel.ScalarBackend.INSTANCE.attention(q, b * nq * inner, inner, k, b * nk * inner, inner, v, b * nk * inner, inner,
                    ref, b * nq * inner, inner, nq, nk, heads, hd, (float) (1 / Math.sqrt(hd)));
        float[] out = Sdpa.forward(q, k, v, batch, nq, nk, heads, hd).out();
        for (int i = 0; i < ref.length; i++) assertEquals(ref[i], out[i], 1e-5);
        float[][] g = new float[3][];
        List<GradCheck.Target> t = List.of(new GradCheck.Target("q", q, () -> g[0]),
                new GradCheck.Target("k", k, () -> g[1]), new GradCheck.Target("v", v, () -> g[2]));
        GradCheck.check("sdpa", () -> Sdpa.forward(q, k, v, batch, nq, nk, heads, hd).out(), dy -> {
            Sdpa.Cache c = Sdpa.forward(q, k, v, batch, nq, nk, heads, hd);
            g[0] = new float[q.length]; g[1] = new float[k.length]; g[2] = new float[v.length];
            Sdpa.backward(c, dy, g[0], g[1], g[2]);
        }, t, null, 1000, TOL, 43);
    }

    @Test
    void selfAttentionWithRopeAndCrossAttention() {
        int batch = 2, heads = 2, hd = 6, dim = 8, m = 3;
        RopeTable rope = RopeTable.wan(hd, 2, 2, 1, 10000);
        int n = rope.tokens();
        ParamSet ps = new ParamSet();
        AttentionLayer self = new AttentionLayer(ps, "attn1", dim, heads, hd, 1e-6f);
        GradCheck.randomize(ps, 50, 0.5);
        float[] x = GradCheck.randn(51, batch * n * dim, 1);
        float[][] dx = new float[1][];
        List<GradCheck.Target> t = new ArrayList<>(GradCheck.targets(ps));
        t.add(new GradCheck.Target("x", x, () -> dx[0]));
        GradCheck.check("self-attention", () -> self.forward(x, null, batch, n, n, rope).y(),
                dy -> dx[0] = self.backward(self.forward(x, null, batch, n, n, rope), dy).dx(), t, ps, 64, TOL, 52);

        ParamSet ps2 = new ParamSet();
        AttentionLayer cross = new AttentionLayer(ps2, "attn2", dim, heads, hd, 1e-6f);
        GradCheck.randomize(ps2, 53, 0.5);
        float[] ctx = GradCheck.randn(54, batch * m * dim, 1);
        float[][] d = new float[2][];
        List<GradCheck.Target> t2 = new ArrayList<>(GradCheck.targets(ps2));
        t2.add(new GradCheck.Target("x", x, () -> d[0]));
        t2.add(new GradCheck.Target("ctx", ctx, () -> d[1]));
        GradCheck.check("cross-attention", () -> cross.forward(x, ctx, batch, n, m, null).y(), dy -> {
            AttentionLayer.Grads g = cross.backward(cross.forward(x, ctx, batch, n, m, null), dy);
            d[0] = g.dx();
            d[1] = g.dctx();
        }, t2, ps2, 64, TOL, 55);
    }

    @Test
    void wanBlock() {
        int batch = 2, heads = 2, hd = 6, dim = 12, m = 3;
        RopeTable rope = RopeTable.wan(hd, 2, 1, 2, 10000);
        int n = rope.tokens();
        ParamSet ps = new ParamSet();
        WanBlockLayer block = new WanBlockLayer(ps, "blocks.0", dim, heads, hd, 16, 1e-6f);
        GradCheck.randomize(ps, 60, 0.4);
        float[] x = GradCheck.randn(61, batch * n * dim, 1), text = GradCheck.randn(62, batch * m * dim, 1),
                tproj = GradCheck.randn(63, batch * 6 * dim, 0.5);
        float[][] d = new float[3][];
        List<GradCheck.Target> t = new ArrayList<>(GradCheck.targets(ps));
        t.add(new GradCheck.Target("x", x, () -> d[0]));
        t.add(new GradCheck.Target("text", text, () -> d[1]));
        t.add(new GradCheck.Target("timestep_proj", tproj, () -> d[2]));
        GradCheck.check("wan block", () -> block.forward(x, text, tproj, batch, n, m, rope).y(), dy -> {
            d[1] = new float[text.length];
            d[2] = new float[tproj.length];
            d[0] = block.backward(block.forward(x, text, tproj, batch, n, m, rope), dy, d[1], d[2]);
        }, t, ps, 48, TOL, 64);
    }

    /** The 1-block tiny model: every parameter tensor, the latent input and the text input. */
    @Test
    void wholeTinyModel() {
        WanTrainConfig cfg = new WanTrainConfig(2, 2, 1, 2, 2, 2, 6, 16, 1, 5, 8, 1e-6f, 10000);
        WanTrainModel model = WanTrainModel.create(cfg, 70);
        GradCheck.randomize(model.params(), 71, 0.4);
        Tensor x = Tensor.randn(72, 2, 2, 2, 4, 2), text = Tensor.randn(73, 2, 3, 5);
        float[] ts = {250f, 730f};
        Tensor[] d = new Tensor[1];
        WanTrainModel.Grads[] g = new WanTrainModel.Grads[1];
        List<GradCheck.Target> t = new ArrayList<>(GradCheck.targets(model.params()));
        t.add(new GradCheck.Target("hidden_states", x.data(), () -> g[0].dx().data()));
        t.add(new GradCheck.Target("encoder_hidden_states", text.data(), () -> g[0].dText().data()));
        GradCheck.check("tiny wan model", () -> model.forward(x, ts, text).output().data(), dy -> {
            WanTrainModel.Cache c = model.forward(x, ts, text);
            g[0] = model.backward(c, Tensor.of(dy, c.output().shape().dims()));
        }, t, model.params(), 24, TOL, 74);
    }
}
