package io.vdq.quant.calib;

/**
 * Which input statistics to record per layer.
 *
 * @param absMax     per-channel max |x| over all tokens
 * @param perStep    also per-channel max |x| per step index (needs a calibration that tags steps)
 * @param xtx        Σ xᵀx over tokens (K×K, double) — K² doubles per layer, choose layers accordingly
 * @param maxSamples keep up to this many input tokens per layer (uniform reservoir sample, seeded), 0 = none
 * @param seed       seed of the token reservoir
 */
public record StatsRequest(boolean absMax, boolean perStep, boolean xtx, int maxSamples, long seed) {
    public static StatsRequest absMaxOnly() { return new StatsRequest(true, false, false, 0, 0); }
    public static StatsRequest absMaxPerStep() { return new StatsRequest(true, true, false, 0, 0); }
    public static StatsRequest hessian() { return new StatsRequest(false, false, true, 0, 0); }
}
