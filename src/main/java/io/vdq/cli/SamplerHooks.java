package io.vdq.cli;

import io.vdq.diffusion.StepHook;
import io.vdq.quant.SamplerHook;

/**
 * Glue between the diffusion sampler's {@link StepHook} and quantization's {@link SamplerHook} (the two packages
 * do not know each other): before a step the quant hook learns index, step count and timestep; after it, the
 * guided output (the prediction the scheduler used), which δ-GBS needs to pick the next step's bits.
 */
final class SamplerHooks {
    private SamplerHooks() {}

    /** {@code quant} around {@code inner}: quant's beforeStep runs first, its afterStep before inner's. */
    static StepHook adapt(SamplerHook quant, StepHook inner) {
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

    static StepHook adapt(SamplerHook quant) { return adapt(quant, StepHook.NONE); }
}
