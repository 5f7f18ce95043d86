package io.vdq.pipeline;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.diffusion.Denoiser;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Wan2.2-A14B's expert switch: timesteps at or above boundary_ratio·1000 run the high-noise expert. */
class TwoExpertsTest {
    @Test
    void theDenoiserSwitchesExpertsAtTheBoundaryTimestep() {
        WanModel high = WanModel.random(WanConfig.tiny(), 1), low = WanModel.random(WanConfig.tiny(), 2);
        LoadedModel one = LoadedModel.of("x", high, null, ModelDefaults.random(true), null);
        LoadedModel two = new LoadedModel("x", high, null, low, null, 0.875, ModelDefaults.random(true), null, null);
        Tensor x = Tensor.randn(5, 4, 1, 4, 4), text = Tensor.randn(6, 3, 16);
        Denoiser d = two.denoiser();
        assertArrayEquals(high.forward(x, 875f, text).toArray(), d.predict(x, 875f, text).toArray(), "t = 875 is the high-noise expert's");
        assertArrayEquals(high.forward(x, 990f, text).toArray(), d.predict(x, 990f, text).toArray());
        assertArrayEquals(low.forward(x, 874.5f, text).toArray(), d.predict(x, 874.5f, text).toArray(), "below 875 the low-noise expert's");
        assertFalse(java.util.Arrays.equals(high.forward(x, 500f, text).toArray(), d.predict(x, 500f, text).toArray()));
        assertArrayEquals(high.forward(x, 500f, text).toArray(), one.denoiser().predict(x, 500f, text).toArray(), "one expert: always it");
        assertTrue(two.twoExperts());
        assertFalse(one.twoExperts());
    }
}
