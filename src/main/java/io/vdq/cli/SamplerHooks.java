package io.vdq.cli;

import io.vdq.diffusion.StepHook;
import io.vdq.pipeline.Sampling;
import io.vdq.quant.SamplerHook;

/**
 * Glue between the diffusion sampler's {@link StepHook} and quantization's {@link SamplerHook} (the two packages
 * do not know each other): before a step the quant hook learns index, step count and timestep; after it, the
 * guided output (the prediction the scheduler used), which δ-GBS needs to pick the next step's bits.
 */
final class SamplerHooks {
    private SamplerHooks() {}

    /** {@code quant} around {@code inner}: quant's beforeStep runs first, its afterStep before inner's. */
    static StepHook adapt(SamplerHook quant, StepHook inner) { return Sampling.adapt(quant, inner); }

    static StepHook adapt(SamplerHook quant) { return adapt(quant, StepHook.NONE); }
}
