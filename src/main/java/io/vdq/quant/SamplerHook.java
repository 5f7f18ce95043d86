package io.vdq.quant;

/**
 * Called by the sampler before each denoising step of a generation, so quantized layers can follow the step
 * (timestep-aware scales, per-step activation bits). {@link #NONE} does nothing.
 */
@FunctionalInterface
public interface SamplerHook {
    /** @param step 0-based step index, @param steps total steps, @param timestep the scheduler's timestep value */
    void beforeStep(int step, int steps, float timestep);

    SamplerHook NONE = (step, steps, t) -> {};

    /** A hook that sets a {@link StepTag}. */
    static SamplerHook tagging(StepTag tag) { return tag::set; }

    default SamplerHook andThen(SamplerHook next) {
        return (s, n, t) -> { beforeStep(s, n, t); next.beforeStep(s, n, t); };
    }
}
