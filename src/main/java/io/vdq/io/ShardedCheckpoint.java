package io.vdq.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import io.vdq.VdqException.CheckpointException;
import io.vdq.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A checkpoint split over several safetensors files, described by a {@code *.safetensors.index.json}
 * ({@code {"metadata": {...}, "weight_map": {tensor: file}}}, as written by transformers and diffusers).
 * Every shard is opened and every weight_map entry checked when the index is opened.
 */
public final class ShardedCheckpoint implements TensorSource {
    private final Path index;
    private final Map<String, SafetensorsFile> shards;          // file name -> opened shard
    private final SortedMap<String, SafetensorsFile> byTensor;  // tensor -> its shard
    private final Map<String, String> indexMetadata;
    private final Map<String, String> metadata;
    private final SortedSet<String> names;

    private ShardedCheckpoint(Path index, Map<String, SafetensorsFile> shards, SortedMap<String, SafetensorsFile> byTensor,
                              Map<String, String> indexMetadata) {
        this.index = index;
        this.shards = shards;
        this.byTensor = byTensor;
        this.indexMetadata = indexMetadata;
        Map<String, String> m = new TreeMap<>();
        for (SafetensorsFile f : shards.values()) f.metadata().forEach(m::putIfAbsent);
        this.metadata = Collections.unmodifiableMap(m);
        this.names = Collections.unmodifiableSortedSet(new TreeSet<>(byTensor.keySet()));
    }

    /** Opens the index json and all shards it names (relative to the index's folder). */
    public static ShardedCheckpoint open(Path index) {
        String src = index.toString();
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(index);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(src + ": no such file", e);
        } catch (IOException e) {
            throw new CheckpointException(src + ": cannot read: " + e.getMessage(), e);
        }
        JsonNode root;
        try {
            root = SafetensorsHeader.JSON.readTree(bytes);
        } catch (JacksonException e) {
            throw new CheckpointException(src + ": index is not well-formed JSON: " + SafetensorsHeader.oneLine(e.getOriginalMessage()), e);
        } catch (IOException e) {
            throw new CheckpointException(src + ": cannot parse index: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject())
            throw new CheckpointException(src + ": index must be a JSON object with a weight_map");
        JsonNode wm = root.get("weight_map");
        if (wm == null || !wm.isObject())
            throw new CheckpointException(src + ": index has no weight_map object");
        Map<String, String> indexMeta = new TreeMap<>();
        JsonNode meta = root.get("metadata");
        if (meta != null && meta.isObject())
            for (Map.Entry<String, JsonNode> e : meta.properties())
                indexMeta.put(e.getKey(), e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString());

        Path dir = index.toAbsolutePath().getParent();
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        SortedMap<String, SafetensorsFile> byTensor = new TreeMap<>();
        try {
            for (Map.Entry<String, JsonNode> e : wm.properties()) {
                String tensor = e.getKey();
                JsonNode fileNode = e.getValue();
                String at = src + ": tensor '" + SafetensorsHeader.oneLine(tensor) + "'";
                if (!fileNode.isTextual())
                    throw new CheckpointException(at + ": weight_map value must be a file name, found " + fileNode.getNodeType());
                String file = fileNode.textValue();
                SafetensorsFile shard = shards.get(file);
                if (shard == null) {
                    Path p = resolveShard(at, dir, file);
                    if (!Files.isRegularFile(p))
                        throw new CheckpointException(at + ": shard file '" + file + "' does not exist in " + dir);
                    requireInside(at, dir, p, file);
                    shard = SafetensorsFile.open(p);
                    shards.put(file, shard);
                }
                if (!shard.contains(tensor))
                    throw new CheckpointException(at + ": listed in weight_map under '" + file + "' but that file has no such tensor");
                byTensor.put(tensor, shard);
            }
        } catch (RuntimeException ex) {
            shards.values().forEach(SafetensorsFile::close);
            throw ex;
        }
        return new ShardedCheckpoint(index, shards, byTensor, Collections.unmodifiableMap(indexMeta));
    }

    private static Path resolveShard(String at, Path dir, String file) {
        Path rel;
        try {
            rel = Path.of(file);
        } catch (InvalidPathException e) {
            throw new CheckpointException(at + ": shard name '" + SafetensorsHeader.oneLine(file) + "' is not a valid path");
        }
        Path p = dir.resolve(rel).normalize();
        if (file.isEmpty() || rel.isAbsolute() || !p.startsWith(dir.normalize()))
            throw new CheckpointException(at + ": shard name '" + SafetensorsHeader.oneLine(file) + "' must be a file inside " + dir);
        return p;
    }

    /** A shard that is a link (or lies under a linked folder) must still resolve inside the index's folder. */
    private static void requireInside(String at, Path dir, Path p, String file) {
        try {
            Path real = p.toRealPath(), realDir = dir.toRealPath();
            if (!real.startsWith(realDir))
                throw new CheckpointException(at + ": shard '" + SafetensorsHeader.oneLine(file) + "' resolves to " + real
                        + ", outside the model folder " + realDir + " (a symbolic link?)");
        } catch (IOException e) {
            throw new CheckpointException(at + ": shard '" + SafetensorsHeader.oneLine(file) + "': cannot resolve: " + e.getMessage(), e);
        }
    }

    public Path index() { return index; }

    /** Shard file names (as written in the index) to their opened files, in index order. */
    public Map<String, SafetensorsFile> shards() { return Collections.unmodifiableMap(shards); }

    /** The index's own {@code metadata} object (e.g. total_size), values as text. */
    public Map<String, String> indexMetadata() { return indexMetadata; }

    /** The shard holding {@code name}. */
    public SafetensorsFile shardOf(String name) {
        SafetensorsFile f = byTensor.get(name);
        if (f == null) throw new CheckpointException(index + ": no tensor named '" + name + "'");
        return f;
    }

    @Override public SortedSet<String> names() { return names; }

    @Override public boolean contains(String name) { return byTensor.containsKey(name); }

    @Override public TensorInfo info(String name) { return shardOf(name).info(name); }

    @Override public Tensor readFloat(String name) { return shardOf(name).readFloat(name); }

    @Override public MemorySegment segment(String name) { return shardOf(name).segment(name); }

    @Override public float[] readFloatStreamed(String name) { return shardOf(name).readFloatStreamed(name); }

    /** The shards' {@code __metadata__} maps merged (the first shard wins on conflicting keys). */
    @Override public Map<String, String> metadata() { return metadata; }

    @Override public String describe() { return index.toString(); }

    @Override public void close() { shards.values().forEach(SafetensorsFile::close); }
}
