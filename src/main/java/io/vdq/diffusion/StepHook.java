package io.vdq.diffusion;

import io.vdq.tensor.Tensor;

/**
 * Called around each sampling step. Before a step only the index, σ, timestep and the input latents are set;
 * after it the conditional, unconditional (null without CFG) and guided outputs and the updated latents are too.
 * A method that changes the model per step (e.g. activation bits by timestep) does so in {@link #beforeStep}.
 * Tensors are live: copy what you keep.
 */
public interface StepHook {
    StepHook NONE = new StepHook() {};

    record Step(int index, int steps, float sigma, float timestep, Tensor latents,
                Tensor cond, Tensor uncond, Tensor guided) {}

    default void beforeStep(Step s) {}

    /**
     * Just before each model evaluation within a step: the conditional pass, then (with CFG) the unconditional
     * one, so a method can keep separate settings for the two (as ViDiT-Q does).
     */
    default void beforePass(int index, boolean conditional) {}

    default void afterStep(Step s) {}
}
