package io.vdq.quant;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException.ConfigException;
import io.vdq.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Recipe JSON, snake_case keys: {@code name, method, weight_bits, activation_bits, weight_granularity, group_size,
 * weight_symmetric, activation_symmetric, activation_granularity, include, exclude, settings_version, options}. Only
 * {@code method}, {@code weight_bits} and {@code activation_bits} are required; the rest default as in {@link Recipe#of}.
 * Unknown keys and wrong types are errors that name the field and the source.
 *
 * <p>{@code settings_version} is the version of the method's settings format the {@code options} were written for
 * ({@link QuantMethod#settingsVersion()}); a file without it predates versioning and is version 1. Reading upgrades
 * older options to the current version ({@link QuantMethods#upgrade}) and then checks them against the method's settings
 * ({@link QuantMethods#settings}: an unknown option key or a bad value is an error naming the source), when the method
 * is registered.
 */
public final class RecipeJson {
    private RecipeJson() {}

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Set<String> FIELDS = Set.of("name", "method", "weight_bits", "activation_bits",
            "weight_granularity", "group_size", "weight_symmetric", "activation_symmetric", "activation_granularity",
            "include", "exclude", "settings_version", "options");

    public static String write(Recipe r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", r.name());
        m.put("method", r.method());
        m.put("weight_bits", r.weightBits());
        m.put("activation_bits", r.activationBits());
        m.put("weight_granularity", r.weightGranularity().jsonName());
        m.put("group_size", r.groupSize());
        m.put("weight_symmetric", r.weightSymmetric());
        m.put("activation_symmetric", r.activationSymmetric());
        m.put("activation_granularity", r.activationGranularity().jsonName());
        m.put("include", r.include());
        m.put("exclude", r.exclude());
        m.put("settings_version", QuantMethods.known(r.method()) ? QuantMethods.get(r.method()).settingsVersion() : 1);
        m.put("options", sorted(r.options()));   // sorted keys: the same recipe always gives the same bytes
        try {
            return MAPPER.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new ConfigException("recipe '" + r.name() + "' cannot be written as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Maps (at any depth) with their keys sorted; lists keep their order. */
    private static Object sorted(Object v) {
        if (v instanceof Map<?, ?> map) {
            Map<String, Object> out = new TreeMap<>();
            map.forEach((k, x) -> out.put(String.valueOf(k), sorted(x)));
            return out;
        }
        if (v instanceof List<?> l) return l.stream().map(RecipeJson::sorted).toList();
        return v;
    }

    /** Writes to a temporary sibling, then renames. */
    public static void write(Recipe r, Path file) {
        AtomicFiles.writeBytes(file, write(r).getBytes(StandardCharsets.UTF_8));
    }

    public static Recipe read(Path file) {
        try {
            return parse(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new ConfigException("cannot read recipe " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Parses recipe JSON and checks its options against its method's settings; {@code source} (file name or "preset x")
     * appears in every error.
     */
    public static Recipe parse(String json, String source) {
        Recipe r = parseUnchecked(json, source);
        if (QuantMethods.known(r.method())) {
            try {
                QuantMethods.settings(r);
            } catch (ConfigException e) {
                throw new ConfigException("recipe " + source + ": " + e.getMessage(), e);
            }
        }
        return r;
    }

    /**
     * Parses recipe JSON (options upgraded to the current settings version) without checking the options against the
     * method, for readers that check the recipe in their own order and words (quantized checkpoints).
     */
    public static Recipe parseUnchecked(String json, String source) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ConfigException("recipe " + source + ": malformed JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) throw new ConfigException("recipe " + source + ": expected a JSON object");
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) throw new ConfigException("recipe " + source + ": unknown field '" + f + "' (known: " + String.join(", ", new TreeSet<>(FIELDS)) + ")");
        }
        ObjectNode o = (ObjectNode) root;
        try {
            String method = str(o, "method", null, source);
            if (method == null) throw new ConfigException("recipe " + source + ": field 'method' is required");
            return new Recipe(str(o, "name", "custom", source), method,
                    integer(o, "weight_bits", null, source), integer(o, "activation_bits", null, source),
                    Granularity.parse(str(o, "weight_granularity", "per_channel", source), "recipe " + source + ": field 'weight_granularity'"),
                    integer(o, "group_size", 128, source),
                    bool(o, "weight_symmetric", true, source), bool(o, "activation_symmetric", true, source),
                    Granularity.parse(str(o, "activation_granularity", "per_token", source), "recipe " + source + ": field 'activation_granularity'"),
                    strings(o, "include", source), strings(o, "exclude", source),
                    QuantMethods.upgrade(method, integer(o, "settings_version", 1, source), options(o, source), source));
        } catch (ConfigException e) {
            if (e.getMessage().startsWith("recipe " + source)) throw e;
            throw new ConfigException("recipe " + source + ": " + e.getMessage(), e);
        }
    }

    private static String str(ObjectNode o, String f, String def, String src) {
        JsonNode n = o.get(f);
        if (n == null || n.isNull()) return def;
        if (!n.isTextual()) throw new ConfigException("recipe " + src + ": field '" + f + "' = " + n + ": expected a string");
        return n.asText();
    }

    private static int integer(ObjectNode o, String f, Integer def, String src) {
        JsonNode n = o.get(f);
        if (n == null || n.isNull()) {
            if (def == null) throw new ConfigException("recipe " + src + ": field '" + f + "' is required");
            return def;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt())
            throw new ConfigException("recipe " + src + ": field '" + f + "' = " + n + ": expected an integer");
        return n.intValue();
    }

    private static boolean bool(ObjectNode o, String f, boolean def, String src) {
        JsonNode n = o.get(f);
        if (n == null || n.isNull()) return def;
        if (!n.isBoolean()) throw new ConfigException("recipe " + src + ": field '" + f + "' = " + n + ": expected true or false");
        return n.booleanValue();
    }

    private static List<String> strings(ObjectNode o, String f, String src) {
        JsonNode n = o.get(f);
        if (n == null || n.isNull()) return null;
        if (!n.isArray()) throw new ConfigException("recipe " + src + ": field '" + f + "' = " + n + ": expected a list of name patterns");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            if (!n.get(i).isTextual())
                throw new ConfigException("recipe " + src + ": field '" + f + "'[" + i + "] = " + n.get(i) + ": expected a string");
            out.add(n.get(i).asText());
        }
        return out;
    }

    private static Map<String, Object> options(ObjectNode o, String src) {
        JsonNode n = o.get("options");
        if (n == null || n.isNull()) return Map.of();
        if (!n.isObject()) throw new ConfigException("recipe " + src + ": field 'options' = " + n + ": expected an object");
        Map<String, Object> m = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            m.put(e.getKey(), value(e.getValue(), "options." + e.getKey(), src));
        }
        return m;
    }

    private static Object value(JsonNode n, String path, String src) {
        if (n.isIntegralNumber() && n.canConvertToLong()) return n.canConvertToInt() ? (Object) n.intValue() : (Object) n.longValue();
        if (n.isNumber()) return n.doubleValue();
        if (n.isBoolean()) return n.booleanValue();
        if (n.isTextual()) return n.asText();
        if (n.isArray()) {
            List<Object> l = new ArrayList<>();
            for (int i = 0; i < n.size(); i++) l.add(value(n.get(i), path + "[" + i + "]", src));
            return List.copyOf(l);
        }
        throw new ConfigException("recipe " + src + ": field '" + path + "' = " + n + ": expected a number, boolean, string or list");
    }
}
