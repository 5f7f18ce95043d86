package io.vdq.quant;

import io.vdq.VdqException.ConfigException;
import io.vdq.model.AttentionKernel;
import io.vdq.model.LinearRegistry;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Registry of {@link QuantMethod}s by name: every implementation listed in
 * {@code META-INF/services/io.vdq.quant.QuantMethod} plus any added with {@link #register}.
 */
public final class QuantMethods {
    private QuantMethods() {}

    private static Map<String, QuantMethod> methods;

    private static synchronized Map<String, QuantMethod> all() {
        if (methods == null) {
            methods = new TreeMap<>();
            for (QuantMethod m : ServiceLoader.load(QuantMethod.class, QuantMethods.class.getClassLoader()))
                methods.putIfAbsent(m.name(), m);
        }
        return methods;
    }

    /** Adds or replaces a method (tests, plug-ins outside the service file). */
    public static synchronized void register(QuantMethod m) { all().put(m.name(), m); }

    public static synchronized QuantMethod get(String name) {
        QuantMethod m = all().get(name);
        if (m == null) throw new ConfigException("unknown quantization method '" + name + "': known methods are " + names());
        return m;
    }

    public static synchronized List<String> names() { return List.copyOf(all().keySet()); }

    /**
     * The recipe's layer-at-a-time form ({@link QuantMethod#layerwise}) after its options are checked; a one-line
     * refusal when its method needs calibration data.
     */
    public static Layerwise layerwise(Recipe recipe) {
        QuantMethod m = get(recipe.method());
        checkOptions(m, recipe);
        Layerwise l = m.layerwise(recipe);
        if (l == null) throw needsData(recipe, "method " + recipe.method());
        return l;
    }

    /** The refusal of a recipe that streaming quantization cannot run because {@code what} needs calibration data. */
    public static ConfigException needsData(Recipe recipe, String what) {
        return new ConfigException("recipe '" + recipe.name() + "' (" + what + ") needs calibration data; streaming quantization runs "
                + "the data-free recipes (dvd with a fixed gbs_delta, minmax without static_activations, quarot with weights=rtn "
                + "and no vo_fold): use vdq quantize without --stream");
    }

    /** The framework's options, valid for every method. */
    private static final String INT8_ATTENTION = "int8_attention", INT8_ATTENTION_PV = "int8_attention_pv";
    private static final Set<String> FRAMEWORK_OPTIONS = Set.of(INT8_ATTENTION, INT8_ATTENTION_PV);

    /**
     * Looks up the recipe's method and applies it. The recipe option {@code int8_attention} (default false), valid
     * for every method, also replaces the model's self-attention with int8 Q·Kᵀ attention ({@link IntExec#int8Attention});
     * {@code int8_attention_pv} (default false, needs {@code int8_attention}) makes its P·V product int8 as well.
     */
    public static QuantReport apply(LinearRegistry model, Recipe recipe, Calibration calibration) {
        checkAttentionOptions(model, recipe);
        // these are the framework's options, not the method's: methods that check their options would refuse them
        Recipe forMethod = recipe.withoutOption(INT8_ATTENTION).withoutOption(INT8_ATTENTION_PV);
        QuantMethod m = get(recipe.method());
        checkOptions(m, recipe);
        QuantReport r = m.apply(model, forMethod, calibration);
        applyAttention(model, recipe);
        // the report (and so a saved checkpoint) carries the framework's options too, so loading restores the attention
        Recipe reported = r.recipe();
        for (String key : FRAMEWORK_OPTIONS)
            if (recipe.hasOption(key)) reported = reported.withOption(key, recipe.options().get(key));
        return reported == r.recipe() ? r : new QuantReport(r.method(), reported, r.layers(), r.hook(), r.activationBits());
    }

    /**
     * Sets the self-attention kernel the recipe's {@code int8_attention} / {@code int8_attention_pv} options ask for
     * (nothing when int8_attention is false). Called after a method has run and when a quantized checkpoint is loaded.
     */
    public static void applyAttention(LinearRegistry model, Recipe recipe) {
        checkAttentionOptions(model, recipe);
        if (recipe.optBool(INT8_ATTENTION, false))
            ((AttentionKernel.Configurable) model.underlying())
                    .setSelfAttention(IntExec.int8Attention(recipe.optBool(INT8_ATTENTION_PV, false)));
    }

    /** Refuses int8_attention_pv without int8_attention, and int8_attention on a model (behind any observing registry) without a replaceable attention. */
    private static void checkAttentionOptions(LinearRegistry model, Recipe recipe) {
        boolean int8Attention = recipe.optBool(INT8_ATTENTION, false);
        if (recipe.optBool(INT8_ATTENTION_PV, false) && !int8Attention)
            throw new ConfigException("recipe '" + recipe.name() + "' option 'int8_attention_pv' needs 'int8_attention: true'");
        if (int8Attention && !(model.underlying() instanceof AttentionKernel.Configurable))
            throw new ConfigException("recipe '" + recipe.name() + "' option 'int8_attention': this model's attention cannot be replaced");
    }

    /**
     * Refuses a recipe whose options include a key that its method does not declare ({@link QuantMethod#options()}),
     * besides the framework's {@code int8_attention} and {@code int8_attention_pv}.
     */
    public static void checkOptions(Recipe recipe) { checkOptions(get(recipe.method()), recipe); }

    private static void checkOptions(QuantMethod m, Recipe recipe) {
        if (m.options() != null) checkOptions(m.name(), m.options(), recipe);
    }

    /** The check itself, for a method's own entry points that do not pass through {@link #apply} (e.g. DVD's settings). */
    public static void checkOptions(String method, Set<String> known, Recipe recipe) {
        for (String key : recipe.options().keySet())
            if (!FRAMEWORK_OPTIONS.contains(key) && !known.contains(key))
                throw new ConfigException("recipe '" + recipe.name() + "': option '" + key + "' is not an option of method '"
                        + method + "'; its options are " + new TreeSet<>(known) + " (and " + INT8_ATTENTION + ", "
                        + INT8_ATTENTION_PV + ")");
    }
}
