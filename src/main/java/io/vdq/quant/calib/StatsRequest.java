package io.vdq.quant.calib;

/**
 * Which input statistics to record per layer.
 *
 * @param absMax     per-channel max |x| over all tokens
 * @param perStep    also per-channel max |x| per step index (needs a calibration that tags steps)
 * @param xtx        Σ xᵀx over tokens (K×K, double) — K² doubles per layer, choose layers accordingly
 * @param maxSamples keep up to this many input tokens per layer (uniform reservoir sample, seeded), 0 = none
 * @param seed       seed of the token reservoir
 * @param xtxStride  XᵀX uses every xtxStride-th token of each call (1 = all; video calls have ~10⁴–10⁵ tokens and
 *                   XᵀX costs K² per token)
 */
public record StatsRequest(boolean absMax, boolean perStep, boolean xtx, int maxSamples, long seed, int xtxStride) {
    public StatsRequest {
        if (maxSamples < 0) throw new io.vdq.VdqException.ConfigException("maxSamples = " + maxSamples + ": expected >= 0");
        if (xtxStride < 1) throw new io.vdq.VdqException.ConfigException("XᵀX token stride = " + xtxStride + ": expected >= 1");
    }

    public StatsRequest(boolean absMax, boolean perStep, boolean xtx, int maxSamples, long seed) {
        this(absMax, perStep, xtx, maxSamples, seed, 1);
    }

    public static StatsRequest absMaxOnly() { return new StatsRequest(true, false, false, 0, 0); }
    public static StatsRequest absMaxPerStep() { return new StatsRequest(true, true, false, 0, 0); }
    public static StatsRequest hessian() { return hessian(1); }
    public static StatsRequest hessian(int stride) { return new StatsRequest(false, false, true, 0, 0, stride); }
}
