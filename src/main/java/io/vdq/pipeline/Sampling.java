package io.vdq.pipeline;

import io.vdq.diffusion.Sampler;
import io.vdq.diffusion.Scheduler;
import io.vdq.diffusion.StepHook;
import io.vdq.model.wan.WanModel;
import io.vdq.quant.SamplerHook;
import io.vdq.tensor.Tensor;

/**
 * Sampling with a quantized model's {@link SamplerHook}: the glue between the diffusion sampler's {@link StepHook}
 * and quantization's hook (the two packages do not know each other). Before a step the hook learns index, step
 * count and timestep; after it, the guided output (δ-GBS picks the next step's bits from it).
 */
public final class Sampling {
    private Sampling() {}

    /** {@code quant} around {@code inner}: quant's beforeStep runs first, its afterStep before inner's. */
    public static StepHook adapt(SamplerHook quant, StepHook inner) {
        return new StepHook() {
            @Override public void beforeStep(Step s) {
                quant.beforeStep(s.index(), s.steps(), s.timestep());
                inner.beforeStep(s);
            }

            @Override public void beforePass(int index, boolean conditional) { inner.beforePass(index, conditional); }

            @Override public void afterStep(Step s) {
                quant.afterStep(s.index(), s.guided().toArray());
                inner.afterStep(s);
            }
        };
    }

    /** One video latent: UniPC or Euler with the given flow shift and CFG (text null-negative = zeros), hook before each step. */
    public static Tensor sample(WanModel m, String sampler, int steps, double shift, float guidance, long noiseSeed,
                                int[] latentShape, Tensor text, SamplerHook hook) {
        return sample(m, sampler, steps, shift, guidance, noiseSeed, latentShape, text, null, hook);
    }

    /** As above with negative embeddings (null = zeros shaped like {@code text}). */
    public static Tensor sample(WanModel m, String sampler, int steps, double shift, float guidance, long noiseSeed,
                                int[] latentShape, Tensor text, Tensor negative, SamplerHook hook) {
        return Sampler.sample(m::forward, Scheduler.create(sampler, steps, shift), Sampler.noise(noiseSeed, latentShape), text,
                negative, guidance, adapt(hook, StepHook.NONE));
    }
}
