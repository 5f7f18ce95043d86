package io.vdq.quant;

/**
 * The current denoising step, shared between a sampler (or calibration driver) that sets it before each model
 * call and the layers or recorders that read it: the step index (−1 when unknown), the number of steps and the
 * timestep value (e.g. 0..1000; NaN when unknown). Timestep-aware methods split statistics and parameters by it.
 */
public final class StepTag {
    private volatile int step = -1, steps = 0;
    private volatile float timestep = Float.NaN;

    public int step() { return step; }
    public int steps() { return steps; }
    public float timestep() { return timestep; }

    public void set(int step, int steps, float timestep) {
        this.steps = steps;
        this.timestep = timestep;
        this.step = step;
    }

    public void clear() { set(-1, 0, Float.NaN); }

    @Override public String toString() { return "StepTag[step=" + step + "/" + steps + ", t=" + timestep + "]"; }
}
