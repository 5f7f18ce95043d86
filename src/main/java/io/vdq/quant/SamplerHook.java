package io.vdq.quant;

/**
 * Called by the sampler around each denoising step of a generation, so quantized layers can follow the step
 * (timestep-aware scales, per-step activation bits): {@link #beforeStep} before the step's model calls and
 * {@link #afterStep} with the step's guided output (the prediction the scheduler uses; under classifier-free
 * guidance the combined one), which δ-GBS needs to pick the next width. {@link #NONE} does nothing.
 */
@FunctionalInterface
public interface SamplerHook {
    /** @param step 0-based step index, @param steps total steps, @param timestep the scheduler's timestep value */
    void beforeStep(int step, int steps, float timestep);

    /**
     * After step {@code step}: its guided model output, flattened (live: copy what you keep). Hooks that only
     * act before a step ignore it.
     */
    default void afterStep(int step, float[] guidedOutput) {}

    SamplerHook NONE = (step, steps, t) -> {};

    /** A hook that sets a {@link StepTag}. */
    static SamplerHook tagging(StepTag tag) { return tag::set; }

    /** This hook, then {@code next}, for both calls. */
    default SamplerHook andThen(SamplerHook next) {
        SamplerHook first = this;
        return new SamplerHook() {
            @Override public void beforeStep(int s, int n, float t) { first.beforeStep(s, n, t); next.beforeStep(s, n, t); }
            @Override public void afterStep(int s, float[] out) { first.afterStep(s, out); next.afterStep(s, out); }
        };
    }
}
