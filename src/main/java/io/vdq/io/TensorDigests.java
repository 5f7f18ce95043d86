package io.vdq.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.vdq.VdqException.CheckpointException;
import io.vdq.tensor.Parallel;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Per-tensor SHA-256 digests stored in a safetensors file's {@code __metadata__} under {@value #KEY}: a JSON
 * object, keys sorted, mapping every tensor name of that file to the lowercase hex SHA-256 of its data bytes (as
 * stored, little-endian, exactly {@code data_offsets[1] - data_offsets[0]} bytes). The writers put a placeholder of
 * the same length in the header first (all zeros: hex digests have a fixed width), stream the data while hashing,
 * then overwrite the placeholder, so the header never has to move.
 *
 * <p>{@link #verify} recomputes every digest and refuses a file whose digests are absent, malformed, name another
 * set of tensors than the file holds, or differ from the bytes, naming the file and the first tensor at fault.
 */
public final class TensorDigests {
    private TensorDigests() {}

    /** The metadata key. */
    public static final String KEY = "tensor_sha256";
    private static final String ZERO = "0".repeat(64);
    private static final HexFormat HEX = HexFormat.of();

    /** A fresh SHA-256 digest. */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** The hex SHA-256 of a segment's bytes. */
    public static String of(MemorySegment seg) {
        MessageDigest md = sha256();
        for (long off = 0; off < seg.byteSize(); off += 1 << 20)
            md.update(seg.asSlice(off, Math.min(1 << 20, seg.byteSize() - off)).asByteBuffer());
        return HEX.formatHex(md.digest());
    }

    /** The hex form of a finished digest. */
    public static String hex(MessageDigest md) { return HEX.formatHex(md.digest()); }

    /** The metadata value for these digests (name → hex), keys sorted. */
    public static String json(SortedMap<String, String> digests) {
        try {
            return SafetensorsHeader.JSON.writeValueAsString(digests);
        } catch (JsonProcessingException e) {
            throw new CheckpointException("cannot encode tensor digests: " + e.getMessage(), e);
        }
    }

    /** A value of exactly the length {@link #json} will have for these names. */
    public static String placeholder(Collection<String> names) {
        SortedMap<String, String> m = new TreeMap<>();
        for (String n : names) m.put(n, ZERO);
        return json(m);
    }

    /** True when the metadata carries digests. */
    public static boolean present(Map<String, String> metadata) { return metadata.containsKey(KEY); }

    /**
     * Recomputes the digest of every tensor and compares it with the stored one; a sharded checkpoint is verified
     * shard by shard (each shard carries its own digests). Returns the number of tensors verified.
     */
    public static int verify(TensorSource src) {
        if (src instanceof ShardedCheckpoint sc) {
            int n = 0;
            for (SafetensorsFile f : sc.shards().values()) n += verify(f);
            return n;
        }
        String file = src.describe();
        String text = src.metadata().get(KEY);
        if (text == null) throw new CheckpointException(file + ": __metadata__ has no '" + KEY + "' (per-tensor SHA-256 digests)");
        JsonNode root;
        try {
            root = SafetensorsHeader.JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new CheckpointException(file + ": __metadata__ " + KEY + " is not valid JSON: "
                    + SafetensorsHeader.oneLine(e.getOriginalMessage()));
        }
        if (root == null || !root.isObject())
            throw new CheckpointException(file + ": __metadata__ " + KEY + " must be a JSON object of tensor name to hex SHA-256");
        SortedSet<String> listed = new TreeSet<>();
        root.fieldNames().forEachRemaining(listed::add);
        for (String n : src.names())
            if (!listed.contains(n))
                throw new CheckpointException(file + ": tensor '" + escape(n) + "' has no SHA-256 in __metadata__ " + KEY);
        for (String n : listed)
            if (!src.contains(n))
                throw new CheckpointException(file + ": __metadata__ " + KEY + " lists tensor '" + escape(n)
                        + "', which the file does not hold");
        List<String> names = List.copyOf(src.names());
        for (String n : names) {
            JsonNode d = root.get(n);
            if (!d.isTextual() || d.textValue().length() != 64)
                throw new CheckpointException(file + ": tensor '" + escape(n) + "': __metadata__ " + KEY
                        + " value is not a 64-digit hex SHA-256");
        }
        // hashed on every thread, largest tensors spread by dynamic assignment; checked in name order so the error
        // reported is the same whatever the thread count
        String[] computed = new String[names.size()];
        Parallel.forEachDynamic(names.size(), i -> {
            MemorySegment seg = src.segment(names.get(i));
            computed[i] = of(seg);
            if (seg.isMapped()) seg.unload();   // a checkpoint larger than memory: its pages leave our resident set
        });
        for (int i = 0; i < names.size(); i++) {
            String n = names.get(i), have = computed[i];
            JsonNode d = root.get(n);
            if (!have.equalsIgnoreCase(d.textValue()))
                throw new CheckpointException(file + ": tensor '" + escape(n) + "': SHA-256 of its data is " + have
                        + " but __metadata__ " + KEY + " says " + d.textValue()
                        + " (the file is corrupted or was edited; --no-verify skips this check)");
        }
        return listed.size();
    }

    private static String escape(String s) { return Printable.name(s); }
}
