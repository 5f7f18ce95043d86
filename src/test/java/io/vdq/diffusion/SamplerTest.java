package io.vdq.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.tensor.Parallel;
import io.vdq.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SamplerTest {

    @Test
    void sameSeedGivesBitIdenticalLatentsForOneAndTwoThreads() {
        WanModel m = WanModel.random(WanConfig.tiny(), 7);
        Tensor text = Tensor.randn(8, 6, 16);
        int saved = Parallel.threads();
        try {
            float[][] out = new float[2][];
            for (int threads = 1; threads <= 2; threads++) {
                Parallel.setThreads(threads);
                Tensor noise = Sampler.noise(123, 4, 2, 8, 8);
                out[threads - 1] = Sampler.sample(m::forward, Scheduler.create("unipc", 3, 3.0), noise, text, null, 4f,
                        StepHook.NONE).toArray();
            }
            assertArrayEquals(out[0], out[1]);
        } finally {
            Parallel.setThreads(saved);
        }
        assertArrayEquals(Sampler.noise(5, 2, 3).toArray(), Sampler.noise(5, 2, 3).toArray());
    }

    /** A linear "model" v = a·x + b(text) makes the guided output and each hook call checkable by hand. */
    @Test
    void guidanceCombinesConditionalAndUnconditionalAndHooksSeeEachStep() {
        Denoiser model = (x, t, text) -> {
            Tensor y = Tensor.zeros(x.shape().dims());
            for (int i = 0; i < y.size(); i++) y.data()[i] = 0.5f * x.data()[x.offset() + i] + text.data()[0] + t / 1000f;
            return y;
        };
        Tensor text = Tensor.of(new float[]{2f}, 1, 1), neg = Tensor.of(new float[]{-1f}, 1, 1);
        Tensor noise = Tensor.of(new float[]{1f, -1f}, 2);
        List<String> events = new ArrayList<>();
        Scheduler s = Scheduler.create("euler", 2, 1.0);
        float g = 3f;
        Tensor x = Sampler.sample(model, s, noise, text, neg, g, new StepHook() {
            @Override public void beforeStep(Step st) {
                assertNull(st.cond());
                events.add("before " + st.index() + "/" + st.steps());
            }
            @Override public void beforePass(int index, boolean conditional) {
                events.add((conditional ? "cond " : "uncond ") + index);
            }
            @Override public void afterStep(Step st) {
                for (int i = 0; i < 2; i++) {
                    float c = st.cond().data()[i], u = st.uncond().data()[i];
                    assertEquals(u + g * (c - u), st.guided().data()[i], 1e-6);
                    assertEquals(3f, c - u, 1e-5); // text 2 vs −1
                }
                events.add("after " + st.index());
            }
        });
        assertEquals(List.of("before 0/2", "cond 0", "uncond 0", "after 0", "before 1/2", "cond 1", "uncond 1", "after 1"), events);
        // by hand: guided v = 0.5x + t/1000 + (−1) + 3·3 ; Euler x += (σ_{i+1} − σ_i)·v
        float[] ref = {1f, -1f};
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++) {
                float v = 0.5f * ref[j] + s.timestep(i) / 1000f - 1f + g * 3f;
                ref[j] += (s.sigma(i + 1) - s.sigma(i)) * v;
            }
        assertArrayEquals(ref, x.toArray(), 1e-5f);
        assertArrayEquals(new float[]{1f, -1f}, noise.toArray()); // the noise tensor itself is left alone
    }
}
