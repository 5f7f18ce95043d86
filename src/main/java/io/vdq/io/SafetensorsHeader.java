package io.vdq.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.vdq.VdqException.CheckpointException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The parsed and validated header of a safetensors file: an 8-byte little-endian length N, then N bytes of
 * JSON mapping tensor names to {@code {dtype, shape, data_offsets}} (offsets relative to the data region that
 * follows the header), plus an optional {@code __metadata__} string map.
 *
 * <p>Validation is strict and independent of how the bytes were obtained (file or memory), so the fuzz tests
 * can drive it directly. Every violation throws {@link CheckpointException} naming the source and tensor.
 */
public record SafetensorsHeader(String source, Map<String, TensorInfo> tensors, Map<String, String> metadata,
                                long dataStart, long dataSize) {
    /** Upper bound on the JSON header, as in the reference implementation (100 MB). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    static final String METADATA_KEY = "__metadata__";
    private static final Set<String> ENTRY_KEYS = Set.of("dtype", "shape", "data_offsets");

    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    public SafetensorsHeader {
        tensors = Collections.unmodifiableMap(new TreeMap<>(tensors));
        metadata = Collections.unmodifiableMap(new TreeMap<>(metadata));
    }

    /** Reads and validates the header at the start of {@code file}, the whole file's bytes. */
    public static SafetensorsHeader read(String source, MemorySegment file) {
        long size = file.byteSize();
        byte[] first8 = file.asSlice(0, Math.min(8, size)).toArray(ValueLayout.JAVA_BYTE);
        long n = checkLength(source, first8, size);
        byte[] json = file.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
        return parse(source, json, size - 8 - n);
    }

    /**
     * Validates the 8-byte header length read from a file of {@code fileSize} bytes and returns it.
     * @param first8 the first 8 bytes of the file (little-endian unsigned 64-bit length)
     */
    public static long checkLength(String source, byte[] first8, long fileSize) {
        if (fileSize < 8 || first8.length < 8)
            throw new CheckpointException(source + ": file of " + fileSize + " bytes is too short for the 8-byte header length");
        long n = 0;
        for (int i = 7; i >= 0; i--) n = (n << 8) | (first8[i] & 0xFF);
        // n is unsigned: a negative long means >= 2^63, which is above every bound below.
        if (n < 0 || n > MAX_HEADER_BYTES)
            throw new CheckpointException(source + ": header length " + Long.toUnsignedString(n)
                    + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
        if (n > fileSize - 8)
            throw new CheckpointException(source + ": header length " + n + " runs past the end of the file ("
                    + fileSize + " bytes, so at most " + (fileSize - 8) + ")");
        if (n < 2)
            throw new CheckpointException(source + ": header length " + n + " is too small for a JSON object");
        return n;
    }

    /**
     * Parses and validates the JSON header.
     * @param json the N header bytes (UTF-8 JSON, possibly padded with trailing spaces)
     * @param dataSize bytes in the data region (file size - 8 - N)
     */
    public static SafetensorsHeader parse(String source, byte[] json, long dataSize) {
        String text;
        try {   // strictly UTF-8 (Jackson alone would also auto-detect UTF-16/32 input)
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(json)).toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointException(source + ": header is not valid UTF-8", e);
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JacksonException e) {
            throw new CheckpointException(source + ": header is not well-formed JSON: " + oneLine(e.getOriginalMessage()), e);
        }
        if (root == null || !root.isObject())
            throw new CheckpointException(source + ": header must be a JSON object, found "
                    + (root == null ? "nothing" : root.getNodeType().toString().toLowerCase()));

        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            if (e.getKey().equals(METADATA_KEY)) parseMetadata(source, e.getValue(), metadata);
            else tensors.put(e.getKey(), parseEntry(source, e.getKey(), e.getValue(), dataSize));
        }
        checkOverlaps(source, tensors.values());
        checkCovered(source, tensors.values(), dataSize);
        return new SafetensorsHeader(source, tensors, metadata, 8 + (long) json.length, dataSize);
    }

    private static void parseMetadata(String source, JsonNode node, Map<String, String> out) {
        if (!node.isObject())
            throw new CheckpointException(source + ": __metadata__ must be an object of strings, found " + kind(node));
        for (Map.Entry<String, JsonNode> m : node.properties()) {
            if (!m.getValue().isTextual())
                throw new CheckpointException(source + ": __metadata__ key '" + oneLine(m.getKey())
                        + "' must map to a string, found " + kind(m.getValue()));
            out.put(m.getKey(), m.getValue().textValue());
        }
    }

    private static TensorInfo parseEntry(String source, String name, JsonNode node, long dataSize) {
        String at = source + ": tensor '" + oneLine(name) + "'";
        if (!node.isObject())
            throw new CheckpointException(at + ": entry must be an object {dtype, shape, data_offsets}, found " + kind(node));
        for (Map.Entry<String, JsonNode> f : node.properties())
            if (!ENTRY_KEYS.contains(f.getKey()))
                throw new CheckpointException(at + ": unexpected field '" + oneLine(f.getKey()) + "' (expected dtype, shape, data_offsets)");
        JsonNode dt = node.get("dtype");
        if (dt == null || !dt.isTextual())
            throw new CheckpointException(at + ": dtype must be a string, found " + kind(dt));
        DType dtype = dtypeOf(dt.textValue());
        if (dtype == null)
            throw new CheckpointException(at + ": unknown dtype '" + oneLine(dt.textValue()) + "' (vdq reads "
                    + Arrays.toString(DType.values()) + ")");

        long[] shape = nonNegativeLongs(at, "shape", node.get("shape"), -1);
        long[] off = nonNegativeLongs(at, "data_offsets", node.get("data_offsets"), 2);
        long begin = off[0], end = off[1];
        if (begin > end)
            throw new CheckpointException(at + ": data_offsets [" + begin + ", " + end + "] has begin after end");
        if (end > dataSize)
            throw new CheckpointException(at + ": data_offsets [" + begin + ", " + end
                    + "] end beyond the data region of " + dataSize + " bytes");
        long expected;
        try {
            long n = 1;
            for (long d : shape) n = Math.multiplyExact(n, d);
            expected = Math.multiplyExact(n, (long) dtype.bytes);
        } catch (ArithmeticException e) {
            throw new CheckpointException(at + ": shape " + Arrays.toString(shape) + " overflows 64-bit byte counts");
        }
        if (end - begin != expected)
            throw new CheckpointException(at + ": data_offsets [" + begin + ", " + end + "] span " + (end - begin)
                    + " bytes but shape " + Arrays.toString(shape) + " of " + dtype + " needs " + expected);
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static long[] nonNegativeLongs(String at, String field, JsonNode node, int requiredLength) {
        String what = requiredLength < 0 ? "an array of non-negative integers" : "an array of " + requiredLength + " non-negative integers";
        if (node == null || !node.isArray())
            throw new CheckpointException(at + ": " + field + " must be " + what + ", found " + kind(node));
        if (requiredLength >= 0 && node.size() != requiredLength)
            throw new CheckpointException(at + ": " + field + " must be " + what + ", found " + node.size() + " entries");
        long[] v = new long[node.size()];
        for (int i = 0; i < v.length; i++) {
            JsonNode x = node.get(i);
            if (!x.isIntegralNumber() || !x.canConvertToLong() || x.longValue() < 0)
                throw new CheckpointException(at + ": " + field + " must be " + what + ", found " + oneLine(x.toString())
                        + " at index " + i);
            v[i] = x.longValue();
        }
        return v;
    }

    private static void checkOverlaps(String source, Collection<TensorInfo> all) {
        List<TensorInfo> sorted = new ArrayList<>(all);
        sorted.removeIf(t -> t.bytes() == 0);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparing(TensorInfo::name));
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo a = sorted.get(i - 1), b = sorted.get(i);
            if (b.begin() < a.end())
                throw new CheckpointException(source + ": tensor '" + oneLine(b.name()) + "' data_offsets [" + b.begin() + ", "
                        + b.end() + "] overlap tensor '" + oneLine(a.name()) + "' [" + a.begin() + ", " + a.end() + "]");
        }
    }

    /**
     * The format requires the data region to be entirely indexed: tensors back to back from offset 0 to its end. A
     * hole between tensors or bytes after the last one would be data that nothing describes (and that a digest of
     * the tensors would not cover), so both are refused.
     */
    private static void checkCovered(String source, Collection<TensorInfo> all, long dataSize) {
        List<TensorInfo> sorted = new ArrayList<>(all);
        sorted.removeIf(t -> t.bytes() == 0);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin));
        long at = 0;
        for (TensorInfo t : sorted) {
            if (t.begin() != at)
                throw new CheckpointException(source + ": data bytes [" + at + ", " + t.begin() + ") before tensor '"
                        + oneLine(t.name()) + "' belong to no tensor (the format forbids holes in the data region)");
            at = t.end();
        }
        if (at != dataSize)
            throw new CheckpointException(source + ": " + (dataSize - at) + " trailing bytes after the last tensor's data (offset "
                    + at + " of a " + dataSize + "-byte data region) belong to no tensor");
    }

    /** The DType spelled {@code s} in safetensors, or null. */
    static DType dtypeOf(String s) {
        for (DType d : DType.values()) if (d.name().equals(s)) return d;
        return null;
    }

    private static String kind(JsonNode n) {
        return n == null ? "nothing" : n.getNodeType().toString().toLowerCase();
    }

    /** Keeps messages on one short line (JSON errors may quote control characters or long input). */
    static String oneLine(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 200; i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? ' ' : c);
        }
        if (b.length() >= 200) b.append("...");
        return b.toString();
    }
}
