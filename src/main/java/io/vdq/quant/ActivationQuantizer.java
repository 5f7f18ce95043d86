package io.vdq.quant;

import io.vdq.VdqException.ConfigException;

/**
 * Fake quantization of a linear layer's input per call. Dynamic (staticParams null): parameters are fitted to
 * each call's input at the granularity given (PER_TOKEN by default), at the width {@link ActivationBits} holds at
 * that moment, so a sampler hook can switch bits per step. Static: the calibrated PER_TENSOR parameters are used
 * as is (their own bits; the shared width only switches them off when it says float).
 */
public record ActivationQuantizer(ActivationBits bits, boolean symmetric, Granularity granularity, int groupSize,
                                  QuantParams staticParams) {
    public ActivationQuantizer {
        if (bits == null) throw new ConfigException("activation quantizer needs an ActivationBits");
        if (granularity == Granularity.PER_CHANNEL)
            throw new ConfigException("activation granularity per_channel is not supported: use per_token, per_group or per_tensor");
        if (granularity == Granularity.PER_GROUP && groupSize < 1)
            throw new ConfigException("activation group size = " + groupSize + ": expected >= 1");
        if (staticParams != null && staticParams.granularity() != Granularity.PER_TENSOR)
            throw new ConfigException("static activation params must be per_tensor, got " + staticParams.granularity().jsonName());
    }

    /** Dynamic per-token quantizer. */
    public static ActivationQuantizer perToken(ActivationBits bits, boolean symmetric) {
        return new ActivationQuantizer(bits, symmetric, Granularity.PER_TOKEN, 0, null);
    }

    /** Fake-quantizes rows × cols values at off, in place (no-op when the current width is float). */
    public void apply(float[] x, int off, int rows, int cols) {
        int b = bits.get();
        if (b == 0 || b == 16) return;
        if (staticParams != null) UniformQuantizer.fakeQuant(x, off, rows, cols, staticParams, x, off);
        else UniformQuantizer.fakeQuantDynamic(x, off, rows, cols, b, symmetric, granularity, groupSize, x, off);
    }
}
