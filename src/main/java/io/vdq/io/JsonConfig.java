package io.vdq.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.vdq.VdqException.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A JSON object read from a file such as a diffusers {@code config.json}, with typed getters. A missing key
 * or a value of the wrong type throws {@link ConfigException} naming the file and the key. JSON {@code null}
 * counts as absent: {@code has} is false and the getters with a default return the default.
 */
public final class JsonConfig {
    private final String source;
    private final JsonNode root;

    private JsonConfig(String source, JsonNode root) {
        this.source = source;
        this.root = root;
    }

    /** Reads and parses {@code file}, which must hold one JSON object. */
    public static JsonConfig read(Path file) {
        String src = file.toString();
        try {
            return of(src, SafetensorsHeader.JSON.readTree(Files.readAllBytes(file)));
        } catch (JacksonException e) {
            throw new ConfigException(src + ": not well-formed JSON: " + SafetensorsHeader.oneLine(e.getOriginalMessage()), e);
        } catch (NoSuchFileException e) {
            throw new ConfigException(src + ": no such file", e);
        } catch (IOException e) {
            throw new ConfigException(src + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Parses JSON text; {@code source} names it in error messages. */
    public static JsonConfig parse(String source, String json) {
        try {
            return of(source, SafetensorsHeader.JSON.readTree(json));
        } catch (JacksonException e) {
            throw new ConfigException(source + ": not well-formed JSON: " + SafetensorsHeader.oneLine(e.getOriginalMessage()), e);
        }
    }

    private static JsonConfig of(String source, JsonNode root) {
        if (root == null || !root.isObject())
            throw new ConfigException(source + ": expected a JSON object, found " + (root == null ? "nothing" : root.getNodeType()));
        return new JsonConfig(source, root);
    }

    /** The file (or name) this config was read from. */
    public String source() { return source; }

    /** Whether {@code key} is present with a non-null value. */
    public boolean has(String key) {
        JsonNode n = root.get(key);
        return n != null && !n.isNull();
    }

    /** The top-level keys, sorted. */
    public Set<String> keys() {
        Set<String> k = new TreeSet<>();
        root.fieldNames().forEachRemaining(k::add);
        return Collections.unmodifiableSet(k);
    }

    public int getInt(String key) {
        JsonNode n = require(key);
        if (!n.isIntegralNumber() || !n.canConvertToInt()) throw wrongType(key, "an integer", n);
        return n.intValue();
    }

    public int getInt(String key, int dflt) { return has(key) ? getInt(key) : dflt; }

    public long getLong(String key) {
        JsonNode n = require(key);
        if (!n.isIntegralNumber() || !n.canConvertToLong()) throw wrongType(key, "an integer", n);
        return n.longValue();
    }

    public double getDouble(String key) {
        JsonNode n = require(key);
        if (!n.isNumber()) throw wrongType(key, "a number", n);
        return n.doubleValue();
    }

    public double getDouble(String key, double dflt) { return has(key) ? getDouble(key) : dflt; }

    public String getString(String key) {
        JsonNode n = require(key);
        if (!n.isTextual()) throw wrongType(key, "a string", n);
        return n.textValue();
    }

    public String getString(String key, String dflt) { return has(key) ? getString(key) : dflt; }

    public boolean getBoolean(String key) {
        JsonNode n = require(key);
        if (!n.isBoolean()) throw wrongType(key, "true or false", n);
        return n.booleanValue();
    }

    public boolean getBoolean(String key, boolean dflt) { return has(key) ? getBoolean(key) : dflt; }

    /** An array of integers, e.g. {@code "patch_size": [1, 2, 2]}. */
    public List<Integer> getIntList(String key) {
        JsonNode n = require(key);
        if (!n.isArray()) throw wrongType(key, "an array of integers", n);
        List<Integer> out = new ArrayList<>(n.size());
        for (JsonNode x : n) {
            if (!x.isIntegralNumber() || !x.canConvertToInt()) throw wrongType(key, "an array of integers", n);
            out.add(x.intValue());
        }
        return Collections.unmodifiableList(out);
    }

    /** A nested object as its own config (error messages name {@code file: key.sub}). */
    public JsonConfig getObject(String key) {
        JsonNode n = require(key);
        if (!n.isObject()) throw wrongType(key, "an object", n);
        return new JsonConfig(source + ": " + key, n);
    }

    /** The whole object as plain Java values (maps, lists, strings, numbers, booleans, nulls), insertion-ordered. */
    public Map<String, Object> raw() {
        Map<String, Object> m = SafetensorsHeader.JSON.convertValue(root, new TypeReference<LinkedHashMap<String, Object>>() {});
        return Collections.unmodifiableMap(m);
    }

    /** The JSON text, pretty-printed. */
    public String toPrettyString() { return root.toPrettyString(); }

    JsonNode node() { return root; }

    private JsonNode require(String key) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) throw new ConfigException(source + ": missing key '" + key + "'");
        return n;
    }

    private ConfigException wrongType(String key, String expected, JsonNode found) {
        return new ConfigException(source + ": key '" + key + "' must be " + expected + ", found "
                + SafetensorsHeader.oneLine(found.toString()));
    }

    @Override public String toString() { return source; }
}
