package io.vdq.quant.s2q;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.diffusion.Sampler;
import io.vdq.diffusion.Scheduler;
import io.vdq.diffusion.StepHook;
import io.vdq.io.InMemoryTensorSource;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import java.util.List;
import io.vdq.quant.Calibration;
import io.vdq.quant.Granularity;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.QuantReport;
import io.vdq.quant.QuantizedLinear;
import io.vdq.quant.Recipe;
import io.vdq.tensor.Tensor;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The whole S²Q pipeline on a tiny Wan whose modulation makes outlier activation channels. */
class S2qMethodTest {
    static final WanConfig CFG = new WanConfig(1, 2, 2, 2, 12, 4, 4, 16, 32, 48, 2, true, WanConfig.QK_NORM_ACROSS_HEADS, 1e-6f, 32);
    static final int[] LATENT = {4, 2, 8, 8};

    /** Random weights; modulation scales of channels 3 and 17 (attn1 and FFN inputs) at 12: ~13× outlier channels. */
    static Map<String, Tensor> weights() {
        Map<String, Tensor> t = new HashMap<>(WanModel.random(CFG, 11).toTensors());
        int d = CFG.dim();
        for (int b = 0; b < CFG.numLayers(); b++) {
            float[] tab = t.get("blocks." + b + ".scale_shift_table").data();
            for (int ch : new int[]{3, 17}) { tab[d + ch] = 12f; tab[4 * d + ch] = 12f; }
        }
        return t;
    }

    static WanModel model() { return WanModel.load(CFG, new InMemoryTensorSource(weights())); }

    /** UniPC, 6 steps, CFG 4, over two prompts, tagging each step (what the CLI's drivers do). */
    static Calibration calibration(WanModel m) {
        return Calibration.of(6, tag -> {
            for (int p = 0; p < 2; p++) {
                Sampler.sample(m::forward, Scheduler.create("unipc", 6, 3.0), Sampler.noise(100 + p, LATENT), Tensor.randn(200 + p, 6, 16),
                        null, 4f, new StepHook() {
                            @Override public void beforeStep(Step s) { tag.set(s.index(), s.steps(), s.timestep()); }
                        });
            }
            tag.clear();
        });
    }

    /** Mean relative L2 of the model output against FP on fixed probes (3 timesteps). */
    static double error(WanModel fp, WanModel q) {
        double sum = 0;
        float[] ts = {900, 500, 100};
        for (int i = 0; i < ts.length; i++) {
            Tensor x = Tensor.randn(300 + i, LATENT), text = Tensor.randn(400 + i, 6, 16);
            float[] a = fp.forward(x, ts[i], text).toArray(), b = q.forward(x, ts[i], text).toArray();
            double se = 0, ref = 0;
            for (int j = 0; j < a.length; j++) { se += (a[j] - b[j]) * (double) (a[j] - b[j]); ref += (double) a[j] * a[j]; }
            sum += Math.sqrt(se / ref);
        }
        return sum / ts.length;
    }

    @Test
    void theSelectionSpreadCountsChosenCandidatesPerStepAndPrompt() {
        List<Candidate> pool = new java.util.ArrayList<>();
        for (int p = 0; p < 3; p++) for (int st = 0; st < 4; st++) pool.add(new Candidate(p, st, 1000 - 250 * st, 0, 0));
        List<Candidate> chosen = List.of(pool.get(0), pool.get(1), pool.get(4), pool.get(8), pool.get(11));
        // prompt 0 steps 0, 1; prompt 1 step 0; prompt 2 steps 0, 3
        assertEquals("per step [3 1 0 1], 3 prompts", S2qMethod.spread(chosen, pool));
        assertEquals("per step [0 0 0 1], 1 prompt", S2qMethod.spread(List.of(pool.get(3)), pool));
    }

    @Test
    void s2qBeatsRoundToNearestAndGptqAloneAtW4A6OnOutlierActivations() {
        WanModel fp = model();
        WanModel rtn = model(), gptq = model(), s2q = model();
        QuantMethods.apply(rtn, Recipe.of("rtn", "minmax", 4, 6, Map.of()), Calibration.none());
        QuantMethods.apply(gptq, new Recipe("g", "gptq", 4, 6, Granularity.PER_CHANNEL, 128, true, true, Granularity.PER_TOKEN,
                null, null, Map.of()), calibration(gptq));
        QuantReport rep = QuantMethods.apply(s2q, Recipe.of("s", "s2q", 4, 6, Map.of("samples", 6, "epochs", 6)), calibration(s2q));
        assertEquals(2 * 10, rep.layers().size(), "every block linear is quantized");
        QuantizedLinear q = assertInstanceOf(QuantizedLinear.class, s2q.linears().get("blocks.0.attn1.to_q"));
        assertInstanceOf(KroneckerTransform.class, q.transform());
        assertNotNull(q.codes());
        assertEquals(4, q.weightBits());
        double eR = error(fp, rtn), eG = error(fp, gptq), eS = error(fp, s2q);
        assertTrue(eS < eR && eS < eG, "output rel. L2 vs FP: s2q " + eS + ", RTN " + eR + ", GPTQ " + eG);
    }

    @Test
    void w4a4AndTheAblationPresetsRunAndW4A4BeatsRoundToNearest() {
        WanModel fp = model(), rtn = model(), s2q = model();
        QuantMethods.apply(rtn, Recipe.of("rtn", "minmax", 4, 4, Map.of()), Calibration.none());
        QuantMethods.apply(s2q, Recipe.of("s", "s2q", 4, 4, Map.of("samples", 6, "epochs", 6)), calibration(s2q));
        double eR = error(fp, rtn), eS = error(fp, s2q);
        assertTrue(eS < eR, "W4A4 output rel. L2 vs FP: s2q " + eS + ", RTN " + eR);
        for (String preset : new String[]{"w4a6-s2q-nosds", "w4a6-s2q-nostd", "w4a6-s2q-atop", "w4a6-s2q-atfp", "w4a6-s2q-rtfp"}) {
            Recipe p = io.vdq.quant.Presets.get(preset);
            Map<String, Object> o = new HashMap<>(p.options());
            o.put("samples", 4);
            o.put("epochs", 1);
            WanModel m = model();
            QuantReport rep = QuantMethods.apply(m, Recipe.of(preset, "s2q", 4, 6, o), calibration(m));
            assertEquals(20, rep.layers().size(), preset);
            assertTrue(Double.isFinite(error(fp, m)), preset);
            assertTrue(!rep.layers().getFirst().note().contains("not larger than K"), preset + ": " + rep.layers().getFirst().note());
        }
        WanModel all = model(); // K above the pool: the run says the selector had no choice
        QuantReport rep = QuantMethods.apply(all, Recipe.of("k", "s2q", 4, 6, Map.of("samples", 1000, "epochs", 1)), calibration(all));
        for (var l : rep.layers()) assertTrue(l.note().contains("is not larger than K = 1000: every candidate is used"), l.note());
    }

    /** act_clip: the clipping ratio learned in calibration is the deployed quantizer's (it used to be dropped). */
    @Test
    void aLearnedActivationClipIsDeployed() {
        WanModel m = model();
        QuantMethods.apply(m, Recipe.of("c", "s2q", 4, 4, Map.of("samples", 4, "epochs", 2, "act_clip", true)), calibration(m));
        float c = assertInstanceOf(QuantizedLinear.class, m.linears().get("blocks.0.ffn.net.2")).activations().clip();
        assertTrue(c > 0.5f && c < 1f, "learned ratio " + c);
        WanModel plain = model();
        QuantMethods.apply(plain, Recipe.of("c", "s2q", 4, 4, Map.of("samples", 4, "epochs", 1)), calibration(plain));
        assertEquals(1f, assertInstanceOf(QuantizedLinear.class, plain.linears().get("blocks.0.ffn.net.2")).activations().clip());
    }

    @Test
    void thePoolNoteAppearsExactlyWhenThePoolIsNotLargerThanK() {
        assertEquals("", S2qMethod.poolNote(41, 40));
        assertTrue(S2qMethod.poolNote(40, 40).startsWith("candidate pool (40) is not larger than K = 40"));
        assertTrue(S2qMethod.poolNote(18, 40).startsWith("candidate pool (18) is not larger than K = 40"));
    }

    @Test
    void groupedWeightsFollowTheRecipesGroupSizeAndLowerTheWeightError() {
        // issue #25: S²Q's learned clipping and GPTQ scales per row and group of 8 along K (K = 24 or 48 here)
        double[] err = new double[2];
        for (int v = 0; v < 2; v++) {
            WanModel m = model();
            Recipe r = Recipe.of("s", "s2q", 4, 16, Map.of("samples", 4, "epochs", 1));
            if (v == 1) r = r.withWeightGranularity(Granularity.PER_GROUP, 8);
            QuantReport rep = QuantMethods.apply(m, r, calibration(m));
            for (var l : rep.layers()) err[v] += l.weightRelL2() / rep.layers().size();
            QuantizedLinear q = assertInstanceOf(QuantizedLinear.class, m.linears().get("blocks.1.ffn.net.2"));
            assertEquals(v == 0 ? Granularity.PER_CHANNEL : Granularity.PER_GROUP, q.weightParams().granularity());
            assertEquals(v == 0 ? 24 : 24 * 48 / 8, q.weightParams().scale().length, "one scale per row (and group)");
        }
        assertTrue(err[1] < err[0], "mean weight rel. L2: g8 " + err[1] + " vs per channel " + err[0]);
    }
}
