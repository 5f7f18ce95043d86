package io.vdq.quant;

import io.vdq.VdqException.ConfigException;

/**
 * Fake quantization of a linear layer's input per call. Dynamic (staticParams null): parameters are fitted to
 * each call's input at the granularity given (PER_TOKEN by default), at the width {@link ActivationBits} holds at
 * that moment, so a sampler hook can switch bits per step. Static: the calibrated PER_TENSOR parameters are used
 * as is (their own bits; the shared width only switches them off when it says float).
 */
public record ActivationQuantizer(ActivationBits bits, boolean symmetric, Granularity granularity, int groupSize,
                                  QuantParams staticParams, float clip) {
    /** Without clipping (clip 1). */
    public ActivationQuantizer(ActivationBits bits, boolean symmetric, Granularity granularity, int groupSize, QuantParams staticParams) {
        this(bits, symmetric, granularity, groupSize, staticParams, 1f);
    }

    /**
     * @param clip learned clipping ratio in (0, 1] of a dynamic symmetric quantizer (S²Q / FlatQuant): each unit's
     *             scale is {@code clip·max|x|/(2^(b−1)−1)} and codes beyond the range are clamped; 1 = plain min/max
     */
    public ActivationQuantizer {
        if (!(clip > 0 && clip <= 1))
            throw new ConfigException("activation clipping ratio = " + clip + ": expected a value in (0, 1]");
        if (clip != 1f && (!symmetric || staticParams != null))
            throw new ConfigException("activation clipping needs a dynamic symmetric quantizer");
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
        else if (clip == 1f) UniformQuantizer.fakeQuantDynamic(x, off, rows, cols, b, symmetric, granularity, groupSize, x, off);
        else {
            QuantParams p = UniformQuantizer.fit(x, off, rows, cols, b, true, granularity, groupSize);
            float[] sc = p.scale().clone();
            for (int i = 0; i < sc.length; i++) sc[i] *= clip;
            UniformQuantizer.fakeQuant(x, off, rows, cols, new QuantParams(p.bits(), true, p.granularity(), p.groupSize(), p.rows(),
                    p.cols(), sc, p.zero()), x, off);
        }
    }
}
