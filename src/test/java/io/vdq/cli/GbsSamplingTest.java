package io.vdq.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.diffusion.Sampler;
import io.vdq.diffusion.Scheduler;
import io.vdq.diffusion.StepHook;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.quant.Calibration;
import io.vdq.quant.Presets;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.QuantReport;
import io.vdq.quant.dvd.AutoDelta;
import io.vdq.quant.dvd.BitSwitcher;
import io.vdq.quant.dvd.DvdQuantMethod;
import io.vdq.quant.dvd.GbsController;
import io.vdq.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** δ-GBS driven by the real sampler: the step hook hands the guided output to the controller through SamplerHook. */
class GbsSamplingTest {
    static final int STEPS = 16;

    @Test
    void w4a6DvdModelSampledThroughTheSamplerSwitchesBitsAndAutoDeltaHitsTheTarget() {
        WanModel wan = WanModel.random(WanConfig.tiny(), 5);
        QuantReport rep = QuantMethods.apply(wan, Presets.get("w4a4/8-dvd"), Calibration.none());
        GbsController g = DvdQuantMethod.controller(rep).orElseThrow();
        Tensor text = Tensor.randn(21, 6, 16);

        // what every model call ran at, and the guided outputs the sampler produced, seen from outside the controller
        List<Integer> bitsPerCall = new ArrayList<>();
        List<float[]> guided = new ArrayList<>();
        StepHook record = new StepHook() {
            @Override public void afterStep(Step s) { guided.add(s.guided().toArray()); }
        };
        Runnable prompts = () -> {
            for (int p = 0; p < 2; p++) {
                bitsPerCall.clear();
                guided.clear();
                Sampler.sample((x, t, txt) -> {
                    bitsPerCall.add(rep.activationBits().get());
                    return wan.forward(x, t, txt);
                }, Scheduler.create("unipc", STEPS, 3.0), Sampler.noise(100 + p, 4, 2, 8, 8), text, null, 4f,
                        SamplerHooks.adapt(rep.hook(), record));
            }
        };
        AutoDelta.Result r = g.calibrate(6.0, 0.25, prompts);
        assertTrue(r.withinTolerance(), r.toString());

        prompts.run(); // two more runs at the calibrated δ
        List<int[]> runs = g.runs();
        assertEquals(2, runs.size());
        double mean = runs.stream().mapToDouble(BitSwitcher::meanBits).average().orElseThrow();
        assertEquals(6.0, mean, 0.25);
        int[] last = g.schedule();
        assertEquals(STEPS, last.length);
        boolean has4 = false, has8 = false;
        for (int b : last) { has4 |= b == 4; has8 |= b == 8; assertTrue(b == 4 || b == 8, "bits " + b); }
        assertTrue(has4 && has8, "schedule " + BitSwitcher.format(last));
        assertEquals(8, last[0]);
        assertEquals(8, last[1]);

        // both CFG passes of step i ran at the scheduled width
        assertEquals(2 * STEPS, bitsPerCall.size());
        for (int i = 0; i < STEPS; i++) {
            assertEquals(last[i], bitsPerCall.get(2 * i), "cond pass of step " + i);
            assertEquals(last[i], bitsPerCall.get(2 * i + 1), "uncond pass of step " + i);
        }
        // the controller saw the guided outputs: its L1 trace is ‖F_t − F_{t−1}‖₁ / ‖F_{t−1}‖₁ of what the sampler used
        double[] trace = g.l1Trace();
        assertEquals(STEPS, trace.length);
        assertTrue(Double.isNaN(trace[0]));
        for (int i = 1; i < STEPS; i++) {
            float[] a = guided.get(i - 1), b = guided.get(i);
            double num = 0, den = 0;
            for (int j = 0; j < a.length; j++) { num += Math.abs((double) b[j] - a[j]); den += Math.abs((double) a[j]); }
            assertEquals(num / den, trace[i], 1e-9 * Math.max(1, num / den), "L1 of step " + i);
        }
        // a schedule recomputed from that trace (the paper's δ-GBS rule, docs/DVD.md: step i is decided before it runs, from
        // Σ L1 of the steps since the last high one; the first two are high, and the last round(6·16/50) = 2 as in the
        // paper's figure, issue #25) is the one that ran
        int[] expect = new int[STEPS];
        double acc = 0;
        for (int i = 0; i < STEPS; i++) {
            if (i < 2 || i >= STEPS - 2 || acc >= g.delta()) { expect[i] = 8; acc = 0; } else expect[i] = 4;
            if (i >= 1) acc += trace[i]; // known once step i's output is in
        }
        assertArrayEquals(expect, last, BitSwitcher.format(expect) + " vs " + BitSwitcher.format(last));
    }

    @Test
    void aReportForAStepOtherThanTheCurrentOneIsIgnoredAndChainedHooksForwardIt() {
        io.vdq.quant.ActivationBits bits = new io.vdq.quant.ActivationBits(8);
        GbsController g = new GbsController(BitSwitcher.Options.of(1e9), bits); // δ huge: low as soon as allowed
        io.vdq.quant.SamplerHook hook = io.vdq.quant.SamplerHook.NONE.andThen(g); // afterStep must pass through
        float[] out = {1, 2, 3, 4};
        for (int i = 0; i < 4; i++) {
            hook.beforeStep(i, 4, 1000f - 250 * i);
            hook.afterStep(i + 1, new float[]{9, 9, 9, 9}); // wrong index: ignored
            out[0] += 1;                                   // ‖Δ‖₁ = 1 against ‖F‖₁ = 10, 11, …
            hook.afterStep(i, out);
        }
        assertEquals("8844", BitSwitcher.format(g.schedule()));
        double[] t = g.l1Trace();
        assertEquals(1.0 / 11, t[1], 1e-12); // F0 = (2,2,3,4) sums to 11; F1 differs by 1
        assertEquals(1.0 / 12, t[2], 1e-12);
        assertEquals(1.0 / 13, t[3], 1e-12);
        assertEquals(4, bits.get());
    }
}
