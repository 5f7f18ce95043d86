package io.vdq.quant;

import io.vdq.VdqException.ConfigException;
import io.vdq.model.FloatLinear;
import io.vdq.model.Linear;
import io.vdq.model.LinearRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;

/** The float layers of a model that a recipe selects, in forward order. */
public final class QuantTargets {
    private QuantTargets() {}

    /**
     * Selected layers; each must still be a {@link FloatLinear} (quantizing twice is refused), and at least one
     * layer must be selected (a recipe whose patterns match nothing is almost surely wrong).
     */
    public static SequencedMap<String, FloatLinear> select(LinearRegistry model, Recipe recipe) {
        SequencedMap<String, FloatLinear> out = new LinkedHashMap<>();
        for (Map.Entry<String, Linear> e : model.linears().entrySet()) {
            if (!recipe.selects(e.getKey())) continue;
            if (!(e.getValue() instanceof FloatLinear f))
                throw new ConfigException("layer '" + e.getKey() + "' is a " + e.getValue().getClass().getSimpleName()
                        + ", expected a float layer: is the model already quantized?");
            requireFinite(e.getKey(), f);
            out.put(e.getKey(), f);
        }
        if (out.isEmpty())
            throw new ConfigException("recipe '" + recipe.name() + "' selects no layer of the model (include "
                    + recipe.include() + ", exclude " + recipe.exclude() + ")");
        return out;
    }

    /**
     * Refuses a layer whose weight or bias holds NaN or ±Inf, naming the layer, row and column: no quantizer can
     * give such a row a finite scale (MinMax would silently zero its other weights, BGR and GPTQ would store NaN).
     */
    public static void requireFinite(String layer, FloatLinear f) {
        requireFinite(layer, f.weight(), f.outFeatures(), f.inFeatures(), f.bias());
    }

    /** As {@link #requireFinite(String, FloatLinear)} on a row-major {@code out × in} weight and an optional bias. */
    public static void requireFinite(String layer, float[] w, int out, int in, float[] bias) {
        for (int i = 0; i < w.length; i++)
            if (!Float.isFinite(w[i]))
                throw new ConfigException("layer '" + layer + "': weight row " + i / in + " column " + i % in + " is " + w[i]
                        + "; refusing to quantize non-finite weights");
        if (bias != null)
            for (int o = 0; o < bias.length; o++)
                if (!Float.isFinite(bias[o]))
                    throw new ConfigException("layer '" + layer + "': bias element " + o + " is " + bias[o]
                            + "; refusing to quantize a layer with non-finite values");
    }

    /** The recipe's activation quantizer over a shared width (null when activations stay float). */
    public static ActivationQuantizer activationQuantizer(Recipe r, ActivationBits bits) {
        if (r.floatActivations()) return null;
        return new ActivationQuantizer(bits, r.activationSymmetric(), r.activationGranularity(), r.groupSize(), null);
    }

    /**
     * A static per-tensor symmetric activation quantizer from calibrated per-channel abs maxima of the layer's
     * (transformed) input: scale = max_j absMax_j / (2^(b−1) − 1). Needs integer activation bits.
     */
    public static ActivationQuantizer staticActivationQuantizer(Recipe r, ActivationBits bits, float[] inputAbsMax) {
        if (r.floatActivations())
            throw new ConfigException("recipe '" + r.name() + "': static activations need activation_bits 2..8");
        if (!r.activationSymmetric())
            throw new ConfigException("recipe '" + r.name() + "': static activations are symmetric only (set activation_symmetric true)");
        double m = 0;
        for (float v : inputAbsMax) m = Math.max(m, v);
        float[] scale = new float[1];
        int[] zero = new int[1];
        UniformQuantizer.setParams(-m, m, r.activationBits(), true, scale, zero, 0);
        QuantParams p = new QuantParams(r.activationBits(), true, Granularity.PER_TENSOR, 0, 1, inputAbsMax.length, scale, zero);
        return new ActivationQuantizer(bits, true, Granularity.PER_TENSOR, 0, p);
    }
}
