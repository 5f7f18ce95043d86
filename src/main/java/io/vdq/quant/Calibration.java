package io.vdq.quant;

import java.util.function.Consumer;

/**
 * Calibration data as an action: {@link #run} drives the model's forward passes (prompts × timesteps × CFG
 * branches, as the driver chooses) and sets the {@link StepTag} before each step's model calls, so recorders
 * installed by a method see every calibration input tagged with its step. Methods decide what to record.
 */
public interface Calibration {
    /** Number of distinct step indices the run tags (0 when it does not tag steps). */
    int steps();

    /** Runs all calibration forward passes once. */
    void run(StepTag tag);

    /** No calibration data (data-free methods); running it does nothing. */
    static Calibration none() { return of(0, tag -> {}); }

    static Calibration of(int steps, Consumer<StepTag> body) {
        return new Calibration() {
            @Override public int steps() { return steps; }
            @Override public void run(StepTag tag) { body.accept(tag); }
        };
    }
}
