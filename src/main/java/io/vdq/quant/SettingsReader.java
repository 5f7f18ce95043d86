package io.vdq.quant;

import io.vdq.VdqException.ConfigException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads a recipe's options for one method's {@link MethodSettings}: typed getters with defaults, each refusing a value
 * of the wrong type or out of range with a one-line {@code ConfigException} that names the recipe, the option and what
 * was expected. Making a reader refuses any option key the method does not declare (besides the framework's
 * {@code int8_attention} and {@code int8_attention_pv}, {@link QuantMethods}), naming the valid keys, so a misspelt
 * option cannot be ignored without a word.
 */
public final class SettingsReader {
    private final Recipe recipe;
    private final String method;
    private final Set<String> keys;

    /** A reader of {@code recipe}'s options for {@code method}, whose option keys are {@code keys}. */
    public SettingsReader(Recipe recipe, String method, Set<String> keys) {
        this.recipe = recipe;
        this.method = method;
        this.keys = Set.copyOf(keys);
        for (String key : recipe.options().keySet())
            if (!QuantMethods.FRAMEWORK_OPTIONS.contains(key) && !keys.contains(key))
                throw new ConfigException("recipe '" + recipe.name() + "': option '" + key + "' is not an option of method '"
                        + method + "'; its options are " + new TreeSet<>(keys) + " (and "
                        + String.join(", ", new TreeSet<>(QuantMethods.FRAMEWORK_OPTIONS)) + ")");
    }

    public Recipe recipe() { return recipe; }

    /** Whether the recipe sets {@code key} (to anything). */
    public boolean has(String key) { return value(key) != null; }

    /** The option's value as written (null when unset), for options that take values of several types. */
    public Object value(String key) {
        if (!keys.contains(key)) throw new IllegalArgumentException("method " + method + " does not declare option " + key);
        return recipe.options().get(key);
    }

    /** The refusal of {@code value} for {@code key}: "recipe 'r' option 'key' = value: expected …". */
    public ConfigException invalid(String key, Object value, String expected) {
        String v = value instanceof String s ? "'" + s + "'" : String.valueOf(value);
        return new ConfigException("recipe '" + recipe.name() + "' option '" + key + "' = " + v + ": expected " + expected);
    }

    public double number(String key, double def) {
        Object v = value(key);
        if (v == null) return def;
        if (v instanceof Number n) return n.doubleValue();
        throw invalid(key, v, "a number");
    }

    /** A number no less than {@code min}. */
    public double number(String key, double def, double min) {
        double v = number(key, def);
        if (!(v >= min)) throw invalid(key, v, ">= " + min);
        return v;
    }

    /** A number in {@code [min, max]}. */
    public double number(String key, double def, double min, double max) {
        double v = number(key, def);
        if (!(v >= min && v <= max)) throw invalid(key, v, min + ".." + max);
        return v;
    }

    public long integer64(String key, long def) {
        Object v = value(key);
        if (v == null) return def;
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) return n.longValue();
        throw invalid(key, v, "an integer");
    }

    public int integer(String key, int def) {
        long v = integer64(key, def);
        if (v != (int) v) throw invalid(key, v, "an integer in the 32-bit range");
        return (int) v;
    }

    /** An integer no less than {@code min}. */
    public int integer(String key, int def, int min) {
        int v = integer(key, def);
        if (v < min) throw invalid(key, v, "an integer >= " + min);
        return v;
    }

    public boolean bool(String key, boolean def) {
        Object v = value(key);
        if (v == null) return def;
        if (v instanceof Boolean b) return b;
        throw invalid(key, v, "true or false");
    }

    public String string(String key, String def) {
        Object v = value(key);
        if (v == null) return def;
        if (v instanceof String s) return s;
        throw invalid(key, v, "a string");
    }

    /** One of {@code allowed} (compared without case), lower-cased. */
    public String choice(String key, String def, String... allowed) {
        String v = string(key, def);
        if (v == null) return null;
        String lower = v.toLowerCase(Locale.ROOT);
        if (Arrays.asList(allowed).contains(lower)) return lower;
        throw invalid(key, v, String.join(", ", allowed));
    }

    /** A constant of {@code type} named by the option without case (e.g. {@code hadamard} for {@code HADAMARD}). */
    public <E extends Enum<E>> E choice(String key, E def, Class<E> type) {
        String v = string(key, null);
        if (v == null) return def;
        for (E e : type.getEnumConstants()) if (e.name().equalsIgnoreCase(v)) return e;
        throw invalid(key, v, "one of " + Arrays.stream(type.getEnumConstants()).map(SettingsReader::lower).toList());
    }

    /** A list of numbers (a single number is a list of one). */
    public List<Double> numbers(String key, List<Double> def) {
        Object v = value(key);
        if (v == null) return def;
        if (v instanceof Number n) return List.of(n.doubleValue());
        if (v instanceof List<?> l) {
            List<Double> out = new ArrayList<>(l.size());
            for (int i = 0; i < l.size(); i++) {
                if (!(l.get(i) instanceof Number n)) throw invalid(key, l, "a list of numbers (item " + i + " is " + l.get(i) + ")");
                out.add(n.doubleValue());
            }
            return List.copyOf(out);
        }
        throw invalid(key, v, "a list of numbers");
    }

    /** An enum constant as an option value: its name in lower case. */
    public static String lower(Enum<?> e) { return e.name().toLowerCase(Locale.ROOT); }
}
