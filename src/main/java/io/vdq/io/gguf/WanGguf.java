package io.vdq.io.gguf;

import io.vdq.VdqException.CheckpointException;
import io.vdq.io.TensorInfo;
import io.vdq.io.TensorSource;
import io.vdq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reading a Wan GGUF (original Wan names, as city96's files and {@code vdq export-gguf} write them) as a diffusers
 * checkpoint: {@link #toDiffusers} renames every tensor back with {@link WanNames} and reads quantized tensors as
 * dequantized float32, so {@code WanModel.load} takes it like a diffusers safetensors file.
 */
public final class WanGguf {
    private WanGguf() {}

    /** Keys vdq writes with the diffusers config of the exported model (scalars only, see docs/GGUF.md). */
    public static final String KEY_PREFIX = "vdq.wan.";

    /**
     * A view of {@code gguf} with diffusers names. The file's {@code general.architecture}, when present, must be
     * {@code wan}; names that have no diffusers counterpart are refused, naming the file and tensor. Closing the
     * view closes {@code gguf}.
     */
    public static TensorSource toDiffusers(TensorSource gguf) {
        String arch = gguf instanceof GgufFile f ? f.architecture() : gguf.metadata().get("general.architecture");
        if (arch != null && !arch.equals("wan"))
            throw new CheckpointException(gguf.describe() + ": general.architecture is '" + arch + "', expected 'wan' (a Wan transformer)");
        Map<String, String> toFile = new TreeMap<>();
        for (String n : gguf.names()) {
            String stripped = n.startsWith("model.diffusion_model.") ? n.substring("model.diffusion_model.".length()) : n;
            String d = WanNames.toDiffusers(stripped, gguf.describe());
            if (toFile.put(d, n) != null)
                throw new CheckpointException(gguf.describe() + ": tensors '" + toFile.get(d) + "' and '" + n + "' both map to '" + d + "'");
        }
        return new Renamed(gguf, Collections.unmodifiableMap(toFile));
    }

    private record Renamed(TensorSource file, Map<String, String> toFile) implements TensorSource {
        @Override public SortedSet<String> names() { return Collections.unmodifiableSortedSet(new TreeSet<>(toFile.keySet())); }

        private String fileName(String name) {
            String f = toFile.get(name);
            if (f == null) throw new CheckpointException(file.describe() + ": no tensor named '" + name + "' (diffusers naming)");
            return f;
        }

        @Override public boolean contains(String name) { return toFile.containsKey(name); }

        @Override public TensorInfo info(String name) {
            TensorInfo i = file.info(fileName(name));
            return new TensorInfo(name, i.dtype(), i.shape(), i.begin(), i.end());
        }

        @Override public Tensor readFloat(String name) { return file.readFloat(fileName(name)); }

        @Override public MemorySegment segment(String name) { return file.segment(fileName(name)); }

        @Override public Map<String, String> metadata() { return file.metadata(); }

        @Override public String describe() { return file.describe(); }

        @Override public void close() { file.close(); }
    }

    /** The {@code vdq.wan.*} keys of a file as a map from the diffusers config key to its value. */
    public static Map<String, GgufValue> configKeys(GgufFile f) {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        f.kv().forEach((k, v) -> { if (k.startsWith(KEY_PREFIX)) m.put(k.substring(KEY_PREFIX.length()), v); });
        return m;
    }
}
