package io.vdq.model.wan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.diffusion.Sampler;
import io.vdq.diffusion.Scheduler;
import io.vdq.diffusion.StepHook;
import io.vdq.io.InMemoryTensorSource;
import io.vdq.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole forward and two sampling runs of the tiny Wan config against the independent numpy implementation
 * in {@code src/test/python/wan_reference.py} (float64, weights and inputs generated there; regenerate the
 * fixture by running that script).
 */
class WanGoldenTest {
    static GoldenFixture fx;
    static WanModel model;

    @BeforeAll
    static void load() {
        fx = GoldenFixture.load("/wan/tiny_golden.safetensors");
        model = WanModel.load(WanConfig.tiny(), new InMemoryTensorSource(fx.weights));
    }

    private void forwardMatches(int t) {
        Tensor[] block0 = new Tensor[1];
        Tensor y = model.forward(fx.get("input.latents"), t, fx.get("input.text"), new BlockHook() {
            @Override public void afterBlock(int block, Tensor hidden) { if (block == 0) block0[0] = hidden.copy(); }
        });
        Tensor expected = fx.get("expected.forward_t" + t);
        assertEquals(expected.shape(), y.shape());
        double err = GoldenFixture.maxAbsDiff(expected, y);
        assertTrue(err < 1e-4, "forward at t=" + t + ": max abs error " + err);
        double errBlock = GoldenFixture.maxAbsDiff(fx.get("expected.forward_t" + t + ".block0"), block0[0]);
        assertTrue(errBlock < 1e-4, "block 0 output at t=" + t + ": max abs error " + errBlock);
    }

    @Test void forwardMatchesReferenceAtT999() { forwardMatches(999); }

    @Test void forwardMatchesReferenceAtT500() { forwardMatches(500); }

    @Test void forwardMatchesReferenceAtT3() { forwardMatches(3); }

    private void samplingMatches(String kind, int steps, String key) {
        Scheduler s = Scheduler.create(kind, steps, 3.0);
        Tensor x = Sampler.sample(model::forward, s, fx.get("input.noise"), fx.get("input.text"),
                fx.get("input.negative_text"), 5f, StepHook.NONE);
        double err = GoldenFixture.maxAbsDiff(fx.get(key), x);
        assertTrue(err < 2e-4, kind + " sampling: max abs error " + err);
    }

    @Test void eulerSamplingWithGuidanceMatchesReference() { samplingMatches("euler", 4, "expected.euler_steps4_shift3_cfg5"); }

    @Test void unipcSamplingWithGuidanceMatchesReference() { samplingMatches("unipc", 6, "expected.unipc_steps6_shift3_cfg5"); }
}
