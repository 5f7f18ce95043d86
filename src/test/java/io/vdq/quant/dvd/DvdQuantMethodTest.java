package io.vdq.quant.dvd;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ConfigException;
import io.vdq.kernel.ExecutionContext;
import io.vdq.model.FloatLinear;
import io.vdq.model.Linear;
import io.vdq.model.LinearRegistry;
import io.vdq.quant.Calibration;
import io.vdq.quant.Granularity;
import io.vdq.quant.LayerReport;
import io.vdq.quant.IntExec;
import io.vdq.quant.Presets;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.QuantReport;
import io.vdq.quant.Recipe;
import io.vdq.quant.RecipeJson;
import io.vdq.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;
import org.junit.jupiter.api.Test;

class DvdQuantMethodTest {
    /** A Wan-named set of linears with heavy-tailed weights (one block) plus float-only globals. */
    static final class Model implements LinearRegistry {
        final SequencedMap<String, Linear> layers = new LinkedHashMap<>();

        Model(int dim, int ffn) {
            long seed = 100;
            layers.put("condition_embedder.time_proj", linear(seed++, 6 * dim, dim));
            for (String a : new String[]{"attn1", "attn2"})
                for (String p : new String[]{"to_q", "to_k", "to_v", "to_out.0"}) layers.put("blocks.0." + a + "." + p, linear(seed++, dim, dim));
            layers.put("blocks.0.ffn.net.0.proj", linear(seed++, ffn, dim));
            layers.put("blocks.0.ffn.net.2", linear(seed++, dim, ffn));
            layers.put("proj_out", linear(seed, 8, dim));
        }

        static FloatLinear linear(long seed, int out, int in) {
            float[] w = BgrTest.studentT(seed, out * in, 4);
            float sc = (float) (1 / Math.sqrt(in));
            for (int i = 0; i < w.length; i++) w[i] *= sc;
            return new FloatLinear(w, Tensor.randn(seed + 1, out).data(), out, in);
        }

        @Override public SequencedMap<String, Linear> linears() { return layers; }
        @Override public void replaceLinear(String name, Linear l) {
            if (!layers.containsKey(name)) throw new ConfigException("no layer " + name);
            layers.put(name, l);
        }
    }

    static double[] forward(Linear l, float[] x, int rows) {
        float[] y = new float[rows * l.outFeatures()];
        l.forward(x, 0, rows, y, 0);
        double[] d = new double[y.length];
        for (int i = 0; i < y.length; i++) d[i] = y[i];
        return d;
    }

    @Test
    void presetsResolveToTheDocumentedDecisions() {
        assertInstanceOf(DvdQuantMethod.class, QuantMethods.get("dvd"));
        DvdQuantMethod.Settings a4 = DvdQuantMethod.settings(Presets.get("w4a4-dvd"));
        assertEquals(Bgr.Init.SEARCH, a4.bgr().init());
        assertEquals(50, a4.bgr().maxIterations());
        assertEquals(0, a4.bgr().groupSize());
        assertEquals(new Arq.Options(true, true, 1024, Arq.Scaling.CHANNEL, 128, Arq.Granularity.PER_TOKEN, 1e-8, true), a4.arq());
        assertEquals(new Arq.Options(true, true, 1024, Arq.Scaling.BLOCK, 128, Arq.Granularity.PER_TOKEN, 1e-8, false),
                DvdQuantMethod.settings(Presets.get("w4a4-dvd-paper")).arq());
        assertNull(a4.gbs());
        assertTrue(a4.bgr().separateBounds(), "the paper's separate lower/upper shrink (issue #25)");
        assertFalse(DvdQuantMethod.settings(Presets.get("w4a4-dvd").withOption("bgr_bounds", "tied")).bgr().separateBounds());
        assertEquals(Presets.get("w4a4/8-dvd"), Presets.get("w4a6-dvd"), "the old name is an alias of the mix");
        DvdQuantMethod.Settings a6 = DvdQuantMethod.settings(Presets.get("w4a4/8-dvd"));
        assertTrue(a6.autoDelta());
        assertEquals(6.0, a6.targetBits(), 0);
        assertEquals(new BitSwitcher.Options(0.1, 4, 8, BitSwitcher.PAPER, BitSwitcher.PAPER), a6.gbs());
        assertEquals(new BitSwitcher.Options(0.1, 4, 8, 2, 0), DvdQuantMethod.settings(Presets.get("w4a4/8-dvd")
                .withOption("gbs_force_first", 2L).withOption("gbs_force_last", 0L)).gbs(), "the pre-#25 ends stay reachable");
        DvdQuantMethod.Settings arq6 = DvdQuantMethod.settings(Presets.get("w4a6-arq"));
        assertNull(arq6.gbs(), "w4a6-arq: uniform 6-bit activations");
        assertEquals(6, Presets.get("w4a6-arq").activationBits());
        assertEquals(8, DvdQuantMethod.settings(Presets.get("w4a8-dvd")).gbs() == null ? 8 : -1);
        DvdQuantMethod.Settings bgrOnly = DvdQuantMethod.settings(Presets.get("w4a4-dvd-bgr-only"));
        assertFalse(bgrOnly.arq().rotate());
        assertEquals(Arq.Scaling.OFF, bgrOnly.arq().scaling());
        DvdQuantMethod.Settings arqOnly = DvdQuantMethod.settings(Presets.get("w4a4-dvd-arq-only"));
        assertEquals(0, arqOnly.bgr().maxIterations());
        assertEquals(1.0, arqOnly.bgr().fixedAlpha(), 0);
        // a calibrated δ is stored as a number and survives JSON
        Recipe stored = RecipeJson.parse(RecipeJson.write(DvdQuantMethod.withDelta(Presets.get("w4a4/8-dvd"), 0.0875)), "test");
        assertFalse(DvdQuantMethod.settings(stored).autoDelta());
        assertEquals(0.0875, DvdQuantMethod.settings(stored).gbs().delta(), 0);
    }

    /**
     * Centring's correction μ·Wᵀ (option center_weights): on an input whose tokens are all the same row x₀, the
     * centred activation is zero, so the layer's output is exactly the correction, bias + x₀·Wᵀ computed with the
     * chosen weights. With "float" that is the float layer's own output (hand-derived: nothing is quantized on
     * this path); with "w8" it is off by at most an 8-bit rounding of each weight, with "quantized" by the 4-bit
     * weight error. Only the float copy is exact, and the three are ordered by weight precision.
     */
    @Test
    void centringCorrectionUsesTheChosenWeights() {
        int dim = 128, rows = 6;
        float[] x0 = ArqTest.activations(11, 1, dim);
        for (int j = 0; j < dim; j += 17) x0[j] *= 40; // a few large channels, as a residual offset carries
        float[] x = new float[rows * dim];
        for (int t = 0; t < rows; t++) System.arraycopy(x0, 0, x, t * dim, dim);
        double[] err = new double[3];
        String[] modes = {"float", "w8", "quantized"};
        for (int i = 0; i < 3; i++) {
            Model m = new Model(dim, 256);
            Linear ref = m.layers.get("blocks.0.attn1.to_q");
            QuantMethods.apply(m, Presets.get("w4a4-dvd").withOption("center_weights", modes[i]), Calibration.none());
            ArqLinear q = assertInstanceOf(ArqLinear.class, m.layers.get("blocks.0.attn1.to_q"));
            assertEquals(modes[i].equals("quantized"), q.shiftWeights() == null, modes[i]);
            double[] want = forward(ref, x, rows), got = forward(q, x, rows);
            err[i] = ArqTest.relErr(want, got);
        }
        assertTrue(err[0] < 1e-6, "float copy: the correction is the float layer's output, rel err " + err[0]);
        assertTrue(err[1] < 0.01 && err[1] > err[0], "8-bit copy: within 8-bit weight rounding, rel err " + err[1]);
        assertTrue(err[2] > 0.03 && err[2] > 4 * err[1], "4-bit Ŵ: the weight error stays in the correction, rel err " + err[2]);
        ConfigException e = assertThrows(ConfigException.class,
                () -> DvdQuantMethod.settings(Presets.get("w4a4-dvd").withOption("center_weights", "fp16")));
        assertTrue(e.getMessage().contains("center_weights"), e.getMessage());
    }

    @Test
    void badOptionsAreRejectedByName() {
        Recipe r = Presets.get("w4a4-dvd");
        ConfigException e = assertThrows(ConfigException.class, () -> DvdQuantMethod.settings(r.withOption("scaling", "diagonal")));
        assertTrue(e.getMessage().contains("scaling"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> DvdQuantMethod.settings(r.withOption("bgr_init", "grid")));
        assertTrue(e.getMessage().contains("bgr_init"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> DvdQuantMethod.settings(r.withOption("scalling", "channel")));
        assertTrue(e.getMessage().contains("'scalling'") && e.getMessage().contains("scaling"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> DvdQuantMethod.settings(r.withOption("gbs", true).withOption("gbs_delta", "big")));
        assertTrue(e.getMessage().contains("gbs_delta"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> DvdQuantMethod.settings(r.withWeightGranularity(Granularity.PER_TENSOR, 0)));
        assertTrue(e.getMessage().contains("weight_granularity"), e.getMessage());
    }

    @Test
    void quantizesTheBlockLinearsAndReportsThreeWeightErrors() {
        int dim = 128;
        Model m = new Model(dim, 256);
        Linear timeProj = m.layers.get("condition_embedder.time_proj"), head = m.layers.get("proj_out");
        Map<String, Linear> before = new LinkedHashMap<>(m.layers);
        QuantReport rep = QuantMethods.apply(m, Presets.get("w4a4-dvd"), Calibration.none());
        assertEquals(10, rep.layers().size());
        assertSame(timeProj, m.layers.get("condition_embedder.time_proj"));
        assertSame(head, m.layers.get("proj_out"));
        float[] x = ArqTest.activations(3, 16, dim);
        for (LayerReport lr : rep.layers()) {
            ArqLinear q = assertInstanceOf(ArqLinear.class, m.layers.get(lr.name()));
            Bgr.LayerError e = q.weights().error();
            assertTrue(e.refined() <= e.boundedInit() && e.boundedInit() <= e.minMax(), lr.name() + " " + e);
            assertTrue(lr.note().contains("minmax") && lr.note().contains("bgr"), lr.note());
            assertEquals(Math.sqrt(e.refined() / e.weightSquares()), lr.weightRelL2(), 1e-12);
            if (lr.in() == dim) { // the layer still computes its float function approximately at W4A4
                double err = ArqTest.relErr(forward(before.get(lr.name()), x, 16), forward(q, x, 16));
                assertTrue(err < 0.2, lr.name() + " output error " + err);
            }
        }
        assertThrows(ConfigException.class, () -> QuantMethods.apply(m, Presets.get("w4a4-dvd"), Calibration.none()),
                "quantizing twice is refused");
    }

    @Test
    void reportGivesOrderedStageErrorsOnGaussianAndStudentTLayers() {
        int dim = 256, ffn = 512;
        for (boolean heavy : new boolean[]{false, true}) {
            Model m = new Model(dim, ffn);
            if (!heavy) // Gaussian weights, same shapes and names
                for (var e : new java.util.ArrayList<>(m.layers.entrySet())) {
                    Linear l = e.getValue();
                    float[] w = Tensor.randn(e.getKey().hashCode(), l.outFeatures() * l.inFeatures()).data();
                    m.layers.put(e.getKey(), new FloatLinear(w, null, l.outFeatures(), l.inFeatures()));
                }
            Map<String, Linear> before = new LinkedHashMap<>(m.layers);
            QuantReport rep = QuantMethods.apply(m, Presets.get("w4a4-dvd"), Calibration.none());
            assertTrue(rep.table().contains("refined²"), rep.table());
            double sumRed = 0;
            for (LayerReport lr : rep.layers()) {
                LayerReport.WeightStages st = lr.stages();
                assertNotNull(st, lr.name());
                assertTrue(st.refined() <= st.boundedInit() && st.boundedInit() <= st.minMax(), lr.name() + " " + st);
                // Independent check of two stages: MinMax and the stored result, from the float weight rotated by
                // the layer's own rotation (an orthogonal map, tested in ArqTest/HadamardTest).
                ArqLinear q = (ArqLinear) m.layers.get(lr.name());
                FloatLinear f = (FloatLinear) before.get(lr.name());
                float[] w = f.weight().clone();
                q.arq().rotateWeights(w, 0, lr.out());
                double wsq = 0, mm = 0, ref = 0;
                for (int r = 0; r < lr.out(); r++) mm += BgrTest.minMaxReference(w, r * lr.in(), lr.in(), 4);
                for (int i = 0; i < w.length; i++) {
                    wsq += (double) w[i] * w[i];
                    double d = (double) w[i] - q.weights().dequantized()[i];
                    ref += d * d;
                }
                assertEquals(mm / wsq, st.minMax(), 1e-9 * st.minMax(), lr.name());
                assertEquals(ref / wsq, st.refined(), 1e-9 * st.refined(), lr.name());
                sumRed += st.reductionVsMinMax();
            }
            double mean = sumRed / rep.layers().size();
            // rows of 256-512 rotated weights are near-Gaussian. The doc's §2.6 range (37-52 %) is for rows of
            // 3072 (BgrTest checks it); short rows have a smaller maximum relative to their spread, so MinMax wastes
            // less range and BGR gains less (measured here: 15.7 % Gaussian, 15.6 % Student-t(4) after rotation)
            assertTrue(mean > 0.12 && mean < 0.3, (heavy ? "Student-t" : "Gaussian") + " mean reduction " + mean);
        }
    }

    @Test
    void arqOnlyAblationKeepsMinMaxWeightsAndIntegerReferenceMatchesFakeQuant() {
        Model m = new Model(64, 128);
        QuantMethods.apply(m, Presets.get("w4a4-dvd-arq-only"), Calibration.none());
        ArqLinear q = (ArqLinear) m.layers.get("blocks.0.attn1.to_q");
        assertEquals(q.weights().error().minMax(), q.weights().error().refined(), 0);
        Model m2 = new Model(64, 128);
        QuantMethods.apply(m2, Presets.get("w4a4-dvd").withOption("integer_reference", true), Calibration.none());
        Model m3 = new Model(64, 128);
        QuantMethods.apply(m3, Presets.get("w4a4-dvd"), Calibration.none());
        float[] x = ArqTest.activations(8, 10, 64);
        String n = "blocks.0.ffn.net.0.proj";
        assertTrue(((ArqLinear) m2.layers.get(n)).integerPath());
        double[] ref = forward(m2.layers.get(n), x, 10);
        ExecutionContext.setQuantExec(ExecutionContext.QuantExec.FAKEQUANT);
        try {
            assertEquals(0, ArqTest.relErr(forward(m3.layers.get(n), x, 10), ref), 2e-6);
        } finally {
            ExecutionContext.setQuantExec(ExecutionContext.QuantExec.INT);
        }
        // the integer kernels write per-channel Λ as a 15-bit fixed point (≤ 1/64768 of a token's largest |x̂|)
        assertEquals(0, ArqTest.relErr(forward(m3.layers.get(n), x, 10), ref), 1e-4);
    }

    @Test
    void bitSwitchingDrivesEveryLayerAndAutoDeltaHitsSixBits() {
        Model m = new Model(64, 128);
        QuantReport rep = QuantMethods.apply(m, Presets.get("w4a6-dvd"), Calibration.none());
        GbsController g = DvdQuantMethod.controller(rep).orElseThrow();
        ArqLinear q = (ArqLinear) m.layers.get("blocks.0.attn2.to_v");
        assertSame(rep.activationBits(), q.activationBits());
        // A toy "sampler": 40 steps whose guided output changes by a U-shaped relative L1, as in the paper's figure.
        int steps = 40;
        float[] x = ArqTest.activations(9, 4, 64);
        Runnable prompts = () -> {
            for (int p = 0; p < 2; p++) {
                float[] out = Tensor.randn(50 + p, 32).data().clone();
                for (int i = 0; i < steps; i++) {
                    g.beforeStep(i, steps, 1000f * (steps - i) / steps);
                    assertEquals(g.schedule()[i], q.activationBits().get());
                    forward(q, x, 4); // the layer runs at the step's width
                    double u = 2.0 * i / (steps - 1) - 1, l1 = 0.02 + 0.01 * p + 0.3 * Math.pow(u, 8);
                    for (int j = 0; j < out.length; j++) out[j] *= (float) (1 + l1);
                    g.afterStep(out, 0, out.length);
                }
            }
        };
        AutoDelta.Result r = g.calibrate(6.0, 0.25, prompts);
        assertTrue(r.withinTolerance(), r.toString());
        prompts.run();
        double mean = g.runs().stream().mapToDouble(BitSwitcher::meanBits).average().orElseThrow();
        assertEquals(6.0, mean, 0.25);
        assertEquals(2, g.runs().size());
        int[] s = g.schedule();
        assertEquals(8, s[0]);
        assertEquals(8, s[1]);
        // a sampler that never reports outputs gets high bits throughout, not silently low ones
        for (int i = 0; i < 5; i++) { g.beforeStep(i, 5, 1f); assertEquals(8, q.activationBits().get()); }
        assertEquals("88888", BitSwitcher.format(g.schedule()));
    }
}
