package io.vdq.diffusion;

/**
 * diffusers' {@code FlowMatchEulerDiscreteScheduler(shift)}: x ← x + (σ_{i+1} − σ_i)·v. The schedule reproduces
 * diffusers exactly, including its quirk that σ_min comes from the already shifted training table (computed in
 * float32) and is shifted again with the inference sigmas; timesteps are σ·1000 in float32.
 */
public final class FlowMatchEuler implements Scheduler {
    private final float[] sigmas;
    private final float[] timesteps;

    FlowMatchEuler(int steps, double shift) {
        // training table: σ = t/1000 for t = 1000 … 1, shifted, in float32; σ_max and σ_min are its ends
        float fs = (float) shift, fs1 = (float) (shift - 1);
        float sMax = shiftF32(fs, fs1, 1000f / 1000f), sMin = shiftF32(fs, fs1, 1f / 1000f);
        double[] t = Scheduler.linspace((double) sMax * TRAIN_TIMESTEPS, (double) sMin * TRAIN_TIMESTEPS, steps);
        sigmas = new float[steps + 1];
        timesteps = new float[steps];
        for (int i = 0; i < steps; i++) {
            sigmas[i] = (float) Scheduler.shift(shift, t[i] / TRAIN_TIMESTEPS);
            timesteps[i] = sigmas[i] * (float) TRAIN_TIMESTEPS;
        }
        sigmas[steps] = 0f;
    }

    private static float shiftF32(float s, float s1, float sigma) {
        float num = s * sigma;
        float den = 1f + s1 * sigma;
        return num / den;
    }

    @Override public String name() { return "euler"; }
    @Override public int steps() { return timesteps.length; }
    @Override public float sigma(int i) { return sigmas[i]; }
    @Override public float timestep(int i) { return timesteps[i]; }

    @Override
    public void step(int i, float[] v, float[] x) {
        float dt = sigmas[i + 1] - sigmas[i];
        for (int j = 0; j < x.length; j++) x[j] = x[j] + dt * v[j];
    }
}
