package io.vdq.quant;

import io.vdq.VdqException.ConfigException;
import io.vdq.model.AttentionKernel;
import io.vdq.model.LinearRegistry;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;

/**
 * Registry of {@link QuantMethod}s by name: every implementation listed in
 * {@code META-INF/services/io.vdq.quant.QuantMethod} plus any added with {@link #register}.
 */
public final class QuantMethods {
    private QuantMethods() {}

    private static Map<String, QuantMethod<?>> methods;

    private static synchronized Map<String, QuantMethod<?>> all() {
        if (methods == null) {
            methods = new TreeMap<>();
            for (QuantMethod<?> m : ServiceLoader.load(QuantMethod.class, QuantMethods.class.getClassLoader()))
                methods.putIfAbsent(m.name(), m);
        }
        return methods;
    }

    /** Adds or replaces a method (tests, plug-ins outside the service file). */
    public static synchronized void register(QuantMethod<?> m) { all().put(m.name(), m); }

    public static synchronized QuantMethod<?> get(String name) {
        QuantMethod<?> m = all().get(name);
        if (m == null) throw new ConfigException("unknown quantization method '" + name + "': known methods are " + names());
        return m;
    }

    /** Whether a method of this name is registered. */
    public static synchronized boolean known(String name) { return all().containsKey(name); }

    public static synchronized List<String> names() { return List.copyOf(all().keySet()); }

    /**
     * The recipe's method settings, parsed and checked (an unknown method, an option key the method does not read, a
     * value of the wrong type or out of range: one-line {@code ConfigException}s); what {@link #apply} hands the method.
     * Commands call it before any slow work so that a misspelt option fails at once.
     */
    public static MethodSettings settings(Recipe recipe) {
        QuantMethod<?> m = get(recipe.method());
        attention(recipe);
        return m.parseSettings(recipe);
    }

    /**
     * The recipe's options as the current settings version of its method, from those of a file written at settings
     * version {@code version} (files from before versioning are version 1); a version newer than the method's is an
     * error naming {@code source}. Recipes of a method not registered here are returned as they are.
     */
    public static Map<String, Object> upgrade(String method, int version, Map<String, Object> options, String source) {
        if (!known(method)) return options;
        QuantMethod<?> m = get(method);
        int current = m.settingsVersion();
        if (version == current) return options;
        if (version < 1 || version > current)
            throw new ConfigException("recipe " + source + ": settings_version " + version + " is not a settings version of method '"
                    + method + "' in this vdq (1.." + current + ")" + (version > current ? "; the file was written by a newer vdq" : ""));
        return m.upgradeOptions(version, options);
    }

    /**
     * The recipe's layer-at-a-time form ({@link QuantMethod#layerwise}) after its options are parsed; a one-line
     * refusal when its method needs calibration data.
     */
    public static Layerwise layerwise(Recipe recipe) { return layerwise(get(recipe.method()), recipe); }

    private static <S extends MethodSettings> Layerwise layerwise(QuantMethod<S> m, Recipe recipe) {
        attention(recipe);
        Layerwise l = m.layerwise(recipe, m.parseSettings(recipe));
        if (l == null) throw needsData(recipe, "method " + recipe.method());
        return l;
    }

    /** One recipe's stored bytes per layer ({@link QuantMethod#storedBytes}), its settings parsed once. */
    public interface LayerBytes {
        OptionalLong of(String layer, int out, int in, long biasBytes);
    }

    /** The stored-bytes model of the recipe's method for this recipe (its settings parsed and checked here, once). */
    public static LayerBytes storedBytes(Recipe recipe) { return storedBytes(get(recipe.method()), recipe); }

    private static <S extends MethodSettings> LayerBytes storedBytes(QuantMethod<S> m, Recipe recipe) {
        S settings = m.parseSettings(recipe);
        return (layer, out, in, biasBytes) -> m.storedBytes(recipe, settings, layer, out, in, biasBytes);
    }

    /** The refusal of a recipe that streaming quantization cannot run because {@code what} needs calibration data. */
    public static ConfigException needsData(Recipe recipe, String what) {
        return new ConfigException("recipe '" + recipe.name() + "' (" + what + ") needs calibration data; streaming quantization runs "
                + "the data-free recipes (dvd with a fixed gbs_delta, minmax without static_activations, quarot with weights=rtn "
                + "and no vo_fold): use vdq quantize without --stream");
    }

    /** The framework's options, valid for every method. */
    private static final String INT8_ATTENTION = "int8_attention", INT8_ATTENTION_PV = "int8_attention_pv";
    static final Set<String> FRAMEWORK_OPTIONS = Set.of(INT8_ATTENTION, INT8_ATTENTION_PV);

    /**
     * The framework's settings, valid for every method: {@code int8_attention} (int8 Q·Kᵀ self-attention) and
     * {@code int8_attention_pv} (its P·V int8 as well; needs {@code int8_attention}), both false by default.
     */
    public record Int8Attention(boolean qk, boolean pv) {}

    /** The recipe's int8 attention settings; a one-line refusal of a non-boolean or of pv without qk. */
    public static Int8Attention attention(Recipe recipe) {
        boolean qk = flag(recipe, INT8_ATTENTION), pv = flag(recipe, INT8_ATTENTION_PV);
        if (pv && !qk) throw new ConfigException("recipe '" + recipe.name() + "' option 'int8_attention_pv' needs 'int8_attention: true'");
        return new Int8Attention(qk, pv);
    }

    private static boolean flag(Recipe recipe, String key) {
        Object v = recipe.options().get(key);
        if (v == null) return false;
        if (v instanceof Boolean b) return b;
        throw new ConfigException("recipe '" + recipe.name() + "' option '" + key + "' = " + v + ": expected true or false");
    }

    /**
     * Looks up the recipe's method, parses its settings once and applies it. The framework's {@link Int8Attention}
     * options also replace the model's self-attention with int8 Q·Kᵀ attention ({@link IntExec#int8Attention}), and
     * with {@code int8_attention_pv} an int8 P·V as well.
     */
    public static QuantReport apply(LinearRegistry model, Recipe recipe, Calibration calibration) {
        Int8Attention attention = attention(recipe);
        checkAttention(model, recipe, attention);
        // these are the framework's options, not the method's
        Recipe forMethod = recipe.withoutOption(INT8_ATTENTION).withoutOption(INT8_ATTENTION_PV);
        QuantReport r = run(get(recipe.method()), model, forMethod, calibration);
        setAttention(model, attention);
        // the report (and so a saved checkpoint) carries the framework's options too, so loading restores the attention
        Recipe reported = r.recipe();
        for (String key : List.of(INT8_ATTENTION, INT8_ATTENTION_PV))
            if (recipe.options().containsKey(key)) reported = reported.withOption(key, recipe.options().get(key));
        return reported == r.recipe() ? r : new QuantReport(r.method(), reported, r.layers(), r.hook(), r.activationBits());
    }

    private static <S extends MethodSettings> QuantReport run(QuantMethod<S> m, LinearRegistry model, Recipe recipe, Calibration calibration) {
        return m.apply(model, recipe, m.parseSettings(recipe), calibration);
    }

    /**
     * Sets the self-attention kernel the recipe's {@code int8_attention} / {@code int8_attention_pv} options ask for
     * (nothing when int8_attention is false). Called after a method has run and when a quantized checkpoint is loaded.
     */
    public static void applyAttention(LinearRegistry model, Recipe recipe) {
        Int8Attention attention = attention(recipe);
        checkAttention(model, recipe, attention);
        setAttention(model, attention);
    }

    private static void setAttention(LinearRegistry model, Int8Attention attention) {
        if (attention.qk())
            ((AttentionKernel.Configurable) model.underlying()).setSelfAttention(IntExec.int8Attention(attention.pv()));
    }

    /** Refuses int8_attention on a model (behind any observing registry) without a replaceable attention. */
    private static void checkAttention(LinearRegistry model, Recipe recipe, Int8Attention attention) {
        if (attention.qk() && !(model.underlying() instanceof AttentionKernel.Configurable))
            throw new ConfigException("recipe '" + recipe.name() + "' option 'int8_attention': this model's attention cannot be replaced");
    }
}
