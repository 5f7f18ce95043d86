package io.vdq.diffusion;

import io.vdq.VdqException.ConfigException;

/**
 * A flow-matching solver over a fixed schedule of N steps: σ_0 > … > σ_{N−1} > σ_N = 0, the model input
 * {@link #timestep(int)} for each step, and {@link #step} which moves the sample from σ_i to σ_{i+1}. Multistep
 * solvers keep history, so one instance serves one sampling run with steps taken in order 0 … N−1.
 */
public sealed interface Scheduler permits FlowMatchEuler, UniPC {
    int TRAIN_TIMESTEPS = 1000;

    String name();

    int steps();

    /** σ_i as float32, for 0 ≤ i ≤ steps (σ_steps = 0). */
    float sigma(int i);

    /** The timestep fed to the model at step i. */
    float timestep(int i);

    /** Advances {@code sample} in place from σ_i to σ_{i+1} given the (guided) model output at step i. */
    void step(int i, float[] modelOutput, float[] sample);

    /** A fresh scheduler: {@code euler} (FlowMatchEulerDiscreteScheduler) or {@code unipc} (UniPCMultistepScheduler). */
    static Scheduler create(String kind, int steps, double shift) {
        if (steps < 1 || steps > 10_000) throw new ConfigException("steps must be 1..10000, got " + steps);
        if (!(shift > 0)) throw new ConfigException("shift must be > 0, got " + shift);
        return switch (kind.toLowerCase()) {
            case "euler" -> new FlowMatchEuler(steps, shift);
            case "unipc" -> new UniPC(steps, shift);
            default -> throw new ConfigException("unknown sampler '" + kind + "': expected euler or unipc");
        };
    }

    /** numpy's {@code linspace(start, stop, num)}: {@code i·step + start}, the last value exactly {@code stop}. */
    static double[] linspace(double start, double stop, int num) {
        double[] y = new double[num];
        if (num == 1) { y[0] = start; return y; }
        double step = (stop - start) / (num - 1);
        for (int i = 0; i < num; i++) y[i] = i * step + start;
        y[num - 1] = stop;
        return y;
    }

    /** The flow shift σ' = s·σ / (1 + (s − 1)·σ). */
    static double shift(double s, double sigma) { return s * sigma / (1 + (s - 1) * sigma); }
}
