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

    /**
     * What this hook's tuning aims for, when the recipe left one of its settings to be chosen by sampling (DVD-Quant's
     * δ-GBS with {@code gbs_delta} auto: "δ-GBS: choosing δ for 6.0 mean activation bits"); null when there is nothing
     * to choose, or once {@link #tune} has chosen it. The callers that sample (quantize, demo, sweep, generate) tune
     * through this, so they need not know the method.
     */
    default String tuningGoal() { return null; }

    /**
     * Chooses the setting {@link #tuningGoal} names: {@code sampleCalibration} must sample the calibration prompts with
     * this hook installed, and may be called several times. Returns a one-line note of the choice.
     */
    default String tune(Runnable sampleCalibration) { throw new UnsupportedOperationException("this sampler hook has nothing to tune"); }

    /** The hook's setting in one line for run records (δ-GBS: "δ = 0.05"), or null when it has none. */
    default String setting() { return null; }

    /** The activation width of each step of the last sampling, comma-separated, or null when the hook does not switch widths. */
    default String stepBits() { return null; }

    SamplerHook NONE = (step, steps, t) -> {};

    /** A hook that sets a {@link StepTag}. */
    static SamplerHook tagging(StepTag tag) { return tag::set; }

    /** This hook, then {@code next}, for both calls. */
    default SamplerHook andThen(SamplerHook next) {
        SamplerHook first = this;
        return new SamplerHook() {
            @Override public void beforeStep(int s, int n, float t) { first.beforeStep(s, n, t); next.beforeStep(s, n, t); }
            @Override public void afterStep(int s, float[] out) { first.afterStep(s, out); next.afterStep(s, out); }
            @Override public String tuningGoal() { return first.tuningGoal() != null ? first.tuningGoal() : next.tuningGoal(); }
            @Override public String tune(Runnable sample) { return (first.tuningGoal() != null ? first : next).tune(sample); }
            @Override public String setting() { return first.setting() != null ? first.setting() : next.setting(); }
            @Override public String stepBits() { return first.stepBits() != null ? first.stepBits() : next.stepBits(); }
        };
    }
}
