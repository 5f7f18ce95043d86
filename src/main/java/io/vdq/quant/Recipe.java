package io.vdq.quant;

import io.vdq.VdqException.ConfigException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A quantization recipe as a value: which method, at which widths and granularities, on which layers, with which
 * method options. Activation bits 0 or 16 mean float activations; weight bits 16 means float weights. Layers are
 * chosen by include/exclude globs on diffusers prefixes ({@link NamePatterns}). JSON form: {@link RecipeJson}.
 *
 * @param options method-specific values (numbers, booleans, strings, lists) as written; the method reads them once into
 *                its typed settings ({@link QuantMethod#parseSettings}, {@link QuantMethods#settings})
 */
public record Recipe(String name, String method, int weightBits, int activationBits, Granularity weightGranularity,
                     int groupSize, boolean weightSymmetric, boolean activationSymmetric,
                     Granularity activationGranularity, List<String> include, List<String> exclude,
                     Map<String, Object> options) {
    public Recipe {
        if (name == null || name.isBlank()) name = "custom";
        if (method == null || method.isBlank()) throw new ConfigException("recipe field 'method' is missing or empty");
        if (!(weightBits == 16 || (weightBits >= 2 && weightBits <= 8)))
            throw new ConfigException("recipe field 'weight_bits' = " + weightBits + ": expected 2..8 or 16 (float)");
        if (!ActivationBits.valid(activationBits))
            throw new ConfigException("recipe field 'activation_bits' = " + activationBits + ": expected 2..8, or 0/16 (float)");
        if (weightGranularity == null || weightGranularity == Granularity.PER_TOKEN)
            throw new ConfigException("recipe field 'weight_granularity' = " + weightGranularity
                    + ": expected per_tensor, per_channel or per_group");
        if (activationGranularity == null || activationGranularity == Granularity.PER_CHANNEL)
            throw new ConfigException("recipe field 'activation_granularity' = " + activationGranularity
                    + ": expected per_tensor, per_token or per_group");
        if ((weightGranularity == Granularity.PER_GROUP || activationGranularity == Granularity.PER_GROUP) && groupSize < 1)
            throw new ConfigException("recipe field 'group_size' = " + groupSize + ": expected >= 1 for per_group");
        include = List.copyOf(include == null ? ArchitectureDefaults.WAN_INCLUDE : include);
        exclude = List.copyOf(exclude == null ? ArchitectureDefaults.WAN_EXCLUDE : exclude);
        options = options == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(options));
    }

    /** A recipe with Wan default patterns, per-channel symmetric weights and per-token symmetric activations. */
    public static Recipe of(String name, String method, int weightBits, int activationBits, Map<String, Object> options) {
        return new Recipe(name, method, weightBits, activationBits, Granularity.PER_CHANNEL, 128, true, true,
                Granularity.PER_TOKEN, null, null, options);
    }

    public boolean floatActivations() { return activationBits == 0 || activationBits == 16; }

    public boolean floatWeights() { return weightBits == 16; }

    /** True when the layer of this diffusers prefix is to be quantized. */
    public boolean selects(String layerName) { return NamePatterns.selects(include, exclude, layerName); }

    public Recipe withName(String n) {
        return new Recipe(n, method, weightBits, activationBits, weightGranularity, groupSize, weightSymmetric,
                activationSymmetric, activationGranularity, include, exclude, options);
    }

    public Recipe withBits(int w, int a) {
        return new Recipe(name, method, w, a, weightGranularity, groupSize, weightSymmetric,
                activationSymmetric, activationGranularity, include, exclude, options);
    }

    public Recipe withWeightGranularity(Granularity g, int group) {
        return new Recipe(name, method, weightBits, activationBits, g, group, weightSymmetric,
                activationSymmetric, activationGranularity, include, exclude, options);
    }

    public Recipe withPatterns(List<String> inc, List<String> exc) {
        return new Recipe(name, method, weightBits, activationBits, weightGranularity, groupSize, weightSymmetric,
                activationSymmetric, activationGranularity, inc, exc, options);
    }

    public Recipe withOption(String key, Object value) {
        Map<String, Object> m = new LinkedHashMap<>(options);
        m.put(key, value);
        return new Recipe(name, method, weightBits, activationBits, weightGranularity, groupSize, weightSymmetric,
                activationSymmetric, activationGranularity, include, exclude, m);
    }

    /** This recipe with {@code opts} as its options, in place of all it had. */
    public Recipe withOptions(Map<String, Object> opts) {
        return new Recipe(name, method, weightBits, activationBits, weightGranularity, groupSize, weightSymmetric,
                activationSymmetric, activationGranularity, include, exclude, opts);
    }

    /** This recipe without option {@code key} (itself when it has none). */
    public Recipe withoutOption(String key) {
        if (!options.containsKey(key)) return this;
        Map<String, Object> m = new LinkedHashMap<>(options);
        m.remove(key);
        return new Recipe(name, method, weightBits, activationBits, weightGranularity, groupSize, weightSymmetric,
                activationSymmetric, activationGranularity, include, exclude, m);
    }
}
