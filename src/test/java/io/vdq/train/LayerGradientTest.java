package io.vdq.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Finite-difference checks of every layer's backward (parameters and input). */
class LayerGradientTest {
    static final double TOL = 1e-3;

    /** Runs the check for a layer with one input array whose gradient the backward returns. */
    private static void checkLayer(String what, ParamSet ps, float[] x, java.util.function.Function<float[], Object> fwd,
                                   java.util.function.Function<Object, float[]> out,
                                   java.util.function.BiFunction<Object, float[], float[]> bwd) {
        Object[] cache = new Object[1];
        float[][] dx = new float[1][];
        List<GradCheck.Target> targets = new ArrayList<>(GradCheck.targets(ps));
        targets.add(new GradCheck.Target("input", x, () -> dx[0]));
        GradCheck.check(what, () -> { cache[0] = fwd.apply(x); return out.apply(cache[0]); },
                dy -> { cache[0] = fwd.apply(x); dx[0] = bwd.apply(cache[0], dy); }, targets, ps, 1000, TOL, 7);
    }

    @Test
    void linearWithBias() {
        ParamSet ps = new ParamSet();
        LinearLayer l = new LinearLayer(ps, "lin", 5, 4, true);
        GradCheck.randomize(ps, 1, 0.5);
        checkLayer("linear", ps, GradCheck.randn(2, 3 * 5, 1), x -> l.forward(x, 3),
                c -> ((LinearLayer.Cache) c).y(), (c, dy) -> l.backward((LinearLayer.Cache) c, dy));
    }

    @Test
    void linearComputesXWtPlusB() {
        ParamSet ps = new ParamSet();
        LinearLayer l = new LinearLayer(ps, "lin", 2, 3, true);
        System.arraycopy(new float[]{1, 2, 3, 4, 5, 6}, 0, l.weight().v(), 0, 6);
        System.arraycopy(new float[]{0.5f, -1, 2}, 0, l.bias().v(), 0, 3);
        float[] y = l.forward(new float[]{1, -1, 2, 0.5f}, 2).y();
        // row 0: (1·1 + 2·−1, 3 − 4, 5 − 6) + b; row 1: (2 + 1, 6 + 2, 10 + 3) + b
        float[] expected = {-0.5f, -2, 1, 3.5f, 7, 15};
        for (int i = 0; i < 6; i++) assertEquals(expected[i], y[i], 1e-6);
    }

    @Test
    void layerNormAffineAndPlain() {
        ParamSet ps = new ParamSet();
        LayerNormLayer ln = new LayerNormLayer(ps, "norm2", 6, 1e-6f);
        GradCheck.randomize(ps, 3, 0.7);
        checkLayer("layernorm affine", ps, GradCheck.randn(4, 4 * 6, 1.5), x -> ln.forward(x, 4),
                c -> ((LayerNormLayer.Cache) c).y(), (c, dy) -> ln.backward((LayerNormLayer.Cache) c, dy));
        LayerNormLayer plain = new LayerNormLayer(6, 1e-6f);
        checkLayer("layernorm plain", new ParamSet(), GradCheck.randn(5, 4 * 6, 1.5), x -> plain.forward(x, 4),
                c -> ((LayerNormLayer.Cache) c).y(), (c, dy) -> plain.backward((LayerNormLayer.Cache) c, dy));
    }

    @Test
    void layerNormNormalisesRows() {
        LayerNormLayer plain = new LayerNormLayer(4, 0f);
        float[] y = plain.forward(new float[]{1, 2, 3, 4}, 1).y();
        double sd = Math.sqrt(1.25); // population variance of 1..4 is 1.25
        for (int i = 0; i < 4; i++) assertEquals((i + 1 - 2.5) / sd, y[i], 1e-6);
    }

    @Test
    void rmsNormAcrossHeads() {
        ParamSet ps = new ParamSet();
        RmsNormLayer n = new RmsNormLayer(ps, "norm_q", 8, 1e-6f);
        GradCheck.randomize(ps, 8, 0.8);
        checkLayer("rmsnorm", ps, GradCheck.randn(9, 3 * 8, 1.2), x -> n.forward(x, 3),
                c -> ((RmsNormLayer.Cache) c).y(), (c, dy) -> n.backward((RmsNormLayer.Cache) c, dy));
        float[] y = new RmsNormLayer(new ParamSet(), "n", 2, 0f).forward(new float[]{3, 4}, 1).y();
        double rms = Math.sqrt((9 + 16) / 2.0);
        assertEquals(3 / rms, y[0], 1e-6);
        assertEquals(4 / rms, y[1], 1e-6);
    }

    @Test
    void siluAndGeluTanh() {
        checkLayer("silu", new ParamSet(), GradCheck.randn(10, 20, 2), x -> x, c -> Ops.silu((float[]) c),
                (c, dy) -> Ops.siluBackward((float[]) c, dy));
        checkLayer("gelu-tanh", new ParamSet(), GradCheck.randn(11, 20, 2), x -> x, c -> Ops.gelu((float[]) c),
                (c, dy) -> Ops.geluBackward((float[]) c, dy));
        double v = 1.3, expected = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
        assertEquals(expected, Ops.gelu(new float[]{(float) v})[0], 1e-6);
        assertEquals(v / (1 + Math.exp(-v)), Ops.silu(new float[]{(float) v})[0], 1e-6);
    }
}
