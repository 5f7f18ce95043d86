package io.vdq.scale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException.CheckpointException;
import io.vdq.VdqException.ConfigException;
import io.vdq.io.DType;
import io.vdq.io.SafetensorsFile;
import io.vdq.io.TensorCodec;
import io.vdq.io.TensorDigests;
import io.vdq.io.TensorInfo;
import io.vdq.io.TensorSource;
import io.vdq.model.Linear;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.model.wan.WanParameters;
import io.vdq.quant.LayerReport;
import io.vdq.quant.Layerwise;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.QuantReport;
import io.vdq.quant.QuantTargets;
import io.vdq.quant.Recipe;
import io.vdq.quant.RecipeJson;
import io.vdq.quant.ckpt.QuantizedCheckpoint;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Data-free quantization of a Wan checkpoint larger than memory, tensor by tensor, into a <em>sharded</em> quantized
 * checkpoint (docs/FORMAT.md, "Sharded checkpoints"): every recipe that needs no calibration data — DVD-Quant
 * (method dvd, with a fixed δ for δ-GBS), MinMax without static activations and QuaRot with round-to-nearest weights
 * without {@code vo_fold} — computed layer by layer exactly as its method's in-memory {@code apply} computes it
 * (same options, same per-layer seeds), so the codes equal an in-memory quantization's.
 *
 * <p>The model is cut into units (the tensors before the first block, each block, the tensors after the last) and
 * the units into shards of about {@code shardBytes} of output. Each shard is written into a temporary file and
 * renamed into place when complete, so an interrupted run never leaves half a shard; a rerun keeps every shard
 * already in place whose recorded plan (recipe, config, float dtype, the shard's source tensors with their dtypes,
 * shapes and offsets) is this run's, and quantizes only the others — it still decodes the kept shards' source
 * tensors, which the base hash ({@link WanModel#fingerprint}, over every tensor in diffusers order) needs. The
 * index and config.json are written last: a folder without them is unfinished. Memory: the source is mapped and
 * each tensor's pages released after use; one layer's float weights and its quantized form are on the heap at a time.
 */
public final class StreamingQuantize {
    private static final System.Logger LOG = System.getLogger(StreamingQuantize.class.getName());

    private StreamingQuantize() {}

    /** Default largest shard (of output bytes, estimated from the shapes): 2 GB. */
    public static final long DEFAULT_SHARD_BYTES = 2_000_000_000L;

    /** Progress after each quantized layer (layers done in this run, layers to quantize in this run, that layer's report). */
    @FunctionalInterface
    public interface Progress { void layer(int done, int total, LayerReport last); }

    /**
     * What a run did: a report line per layer quantized in this run (kept shards' layers have none), float tensors
     * stored, shards in all and kept from an earlier run, the base hash, and seconds spent decoding, quantizing and
     * writing.
     */
    public record Summary(List<LayerReport> layers, int quantizedLayers, int copied, int shards, int keptShards, String baseSha256,
                          double decodeS, double quantS, double writeS) {}

    /** One quantized layer and its report line. */

    /** The per-layer form of {@code r}'s method, or a one-line refusal for recipes that need calibration data. */
    static Layerwise method(Recipe r) {
        QuantizedCheckpoint.requireStorable(r);
        return QuantMethods.layerwise(r);
    }

    /** A run of consecutive tensors (diffusers order) that go into one shard together. */
    private record Unit(String name, List<String> tensors, long bytes) {}

    /**
     * Quantizes {@code src} (diffusers names, shapes of {@code c}) with {@code recipe} into the sharded checkpoint
     * folder {@code dir}, resuming from the shards already there (see the class comment).
     *
     * @param shardBytes largest shard, in estimated output bytes (a unit larger than this gets a shard of its own)
     * @param extra      metadata added to the checkpoint's (e.g. {@code base_model})
     */
    public static Summary quantize(WanConfig c, TensorSource src, Recipe recipe, Path dir, long shardBytes, Map<String, String> extra,
                                   Progress progress) {
        if (shardBytes <= 0) throw new ConfigException("--shard-size must be > 0, got " + shardBytes);
        Layerwise m = method(recipe);
        checkShapes(c, src);
        SequencedMap<String, Integer> selected = new LinkedHashMap<>();
        for (String l : linearOrder(c)) if (recipe.selects(l)) selected.put(l, selected.size());
        if (selected.isEmpty()) throw new ConfigException("recipe '" + recipe.name() + "' selects no layer of " + src.describe());
        SortedSet<String> floats = new TreeSet<>();
        for (String n : src.names()) if (!selected.containsKey(layerOf(n))) floats.add(n);
        DType floatType = floatType(src, floats);
        QuantReport plan = m.plan();
        Map<String, int[]> shapes = WanParameters.expectedShapes(c);

        // units, then shards
        List<Unit> units = new ArrayList<>();
        List<String> cur = new ArrayList<>();
        String curName = "head";
        long curBytes = 0;
        for (var e : shapes.entrySet()) {
            String n = e.getKey();
            String u = n.startsWith("blocks.") ? n.substring(0, n.indexOf('.', "blocks.".length())) : units.isEmpty() && !curName.startsWith("blocks.") ? "head" : "tail";
            if (!u.equals(curName) && !cur.isEmpty()) {
                units.add(new Unit(curName, cur, curBytes));
                cur = new ArrayList<>();
                curBytes = 0;
            }
            curName = u;
            cur.add(n);
            curBytes += estimate(n, e.getValue(), selected.containsKey(layerOf(n)), recipe.weightBits(), floatType);
        }
        units.add(new Unit(curName, cur, curBytes));
        List<List<Unit>> shards = new ArrayList<>();
        List<Unit> sh = new ArrayList<>();
        long shBytes = 0;
        for (Unit u : units) {
            if (!sh.isEmpty() && shBytes + u.bytes() > shardBytes) {
                shards.add(sh);
                sh = new ArrayList<>();
                shBytes = 0;
            }
            sh.add(u);
            shBytes += u.bytes();
        }
        shards.add(sh);

        try {
            Files.createDirectories(dir);
            // unfinished from here on: the index, config.json and a single-file checkpoint of an earlier run go first
            Files.deleteIfExists(dir.resolve("config.json"));
            Files.deleteIfExists(dir.resolve(QuantizedCheckpoint.INDEX));
            Files.deleteIfExists(dir.resolve(QuantizedCheckpoint.WEIGHTS));
            // temporary files of a run that was killed (SIGKILL) while writing a shard: never a finished shard
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "diffusion_pytorch_model-*.safetensors.tmp-*")) {
                for (Path p : ds) Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new CheckpointException(dir + ": cannot prepare the output folder: " + e.getMessage(), e);
        }

        int toQuantize = 0;
        List<String> files = new ArrayList<>();
        List<String> plans = new ArrayList<>();
        List<Boolean> keep = new ArrayList<>();
        for (int k = 0; k < shards.size(); k++) {
            String file = String.format(Locale.ROOT, "diffusion_pytorch_model-%05d-of-%05d.safetensors", k + 1, shards.size());
            String p = planHash(c, recipe, floatType, src, shards.get(k), k, shards.size());
            boolean kept = finished(dir.resolve(file), p);
            files.add(file);
            plans.add(p);
            keep.add(kept);
            if (!kept) for (Unit u : shards.get(k)) for (String n : u.tensors()) if (isQuantizedWeight(n, selected)) toQuantize++;
        }

        List<LayerReport> reports = new ArrayList<>();
        ObjectNode allLayers = new ObjectMapper().createObjectNode();
        SequencedMap<String, String> weightMap = new LinkedHashMap<>();
        MessageDigest base = TensorDigests.sha256();
        double decodeS = 0, quantS = 0, writeS = 0;
        int kept = 0;
        for (int k = 0; k < shards.size(); k++) {
            List<String> tensors = new ArrayList<>();
            for (Unit u : shards.get(k)) tensors.addAll(u.tensors());
            Path file = dir.resolve(files.get(k));
            SortedSet<String> shardFloats = new TreeSet<>();
            SequencedMap<String, Supplier<Linear>> placeholders = new LinkedHashMap<>();
            for (String n : tensors) {
                String layer = layerOf(n);
                if (!selected.containsKey(layer)) { shardFloats.add(n); continue; }
                if (!n.endsWith(".weight")) continue;
                long[] s = src.info(n).shape();
                int out = Math.toIntExact(s[0]), in = Math.toIntExact(s[1]), index = selected.get(layer);
                boolean bias = src.contains(layer + ".bias");
                placeholders.put(layer, () -> m.placeholder(layer, index, out, in, bias));
            }
            if (keep.get(k)) {
                kept++;
                LOG.log(Level.INFO, () -> "kept " + file + " (finished by an earlier run with the same plan)");
                for (String n : tensors) {
                    long t0 = System.nanoTime();
                    fingerprint(base, src, n, shapes.get(n));
                    decodeS += (System.nanoTime() - t0) / 1e9;
                }
                try (SafetensorsFile f = SafetensorsFile.open(file)) {
                    JsonNode layers = new ObjectMapper().readTree(f.metadata().get(QuantizedCheckpoint.KEY_LAYERS));
                    for (Iterator<Map.Entry<String, JsonNode>> it = layers.fields(); it.hasNext(); ) {
                        var e = it.next();
                        allLayers.set(e.getKey(), e.getValue());
                    }
                    for (String n : f.names()) weightMap.put(n, files.get(k));
                } catch (IOException e) {
                    throw new CheckpointException(file + ": cannot read its layer descriptors: " + e.getMessage(), e);
                }
                continue;
            }
            try (QuantizedCheckpoint.Streamed w = QuantizedCheckpoint.Streamed.createShard(file, plan.activationBits(), floatType,
                    plans.get(k), placeholders, src, shardFloats)) {
                for (String n : tensors) {
                    long t0 = System.nanoTime();
                    float[] v = fingerprint(base, src, n, shapes.get(n));
                    long t1 = System.nanoTime();
                    decodeS += (t1 - t0) / 1e9;
                    String layer = layerOf(n);
                    if (!isQuantizedWeight(n, selected)) continue;
                    TensorInfo ti = src.info(n);
                    int out = (int) ti.shape()[0], in = (int) ti.shape()[1];
                    try {
                        QuantTargets.requireFinite(layer, v, out, in, null);
                    } catch (ConfigException x) {
                        throw new CheckpointException(src.describe() + ": " + x.getMessage(), x);
                    }
                    float[] bias = src.contains(layer + ".bias") ? src.readFloat(layer + ".bias").toArray() : null;
                    Layerwise.Quantized q = m.quantize(layer, selected.get(layer), v, out, in, bias);
                    v = null;
                    long t2 = System.nanoTime();
                    w.layer(layer, q.layer());
                    long t3 = System.nanoTime();
                    quantS += (t2 - t1) / 1e9;
                    writeS += (t3 - t2) / 1e9;
                    reports.add(q.report());
                    if (progress != null) progress.layer(reports.size(), toQuantize, q.report());
                }
                long t0 = System.nanoTime();
                w.floats();
                w.commitShard();
                writeS += (System.nanoTime() - t0) / 1e9;
                w.layers().properties().forEach(e -> allLayers.set(e.getKey(), e.getValue()));
            }
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                for (String n : f.names()) weightMap.put(n, files.get(k));
            }
        }
        // layers in forward order, as a single-file checkpoint lists them
        ObjectNode ordered = new ObjectMapper().createObjectNode();
        for (String l : selected.keySet()) if (allLayers.has(l)) ordered.set(l, allLayers.get(l));
        String baseHex = HexFormat.of().formatHex(base.digest());
        Map<String, String> meta = new LinkedHashMap<>();
        if (extra != null) meta.putAll(extra);
        meta.put("source", src.describe());
        QuantizedCheckpoint.writeIndex(dir, c, plan, baseHex, floatType, meta, ordered, false, weightMap);
        removeStaleShards(dir, new HashSet<>(files));
        return new Summary(reports, selected.size(), floats.size(), shards.size(), kept, baseHex, decodeS, quantS, writeS);
    }

    private static boolean isQuantizedWeight(String n, Map<String, Integer> selected) {
        return n.endsWith(".weight") && selected.containsKey(layerOf(n));
    }

    /** Decodes one source tensor, adds it to the base hash, releases its pages; returns its values. */
    private static float[] fingerprint(MessageDigest base, TensorSource src, String n, int[] shape) {
        TensorInfo ti = src.info(n);
        MemorySegment seg = src.segment(n);
        float[] v = TensorCodec.toFloats(seg, ti.dtype(), Math.toIntExact(ti.elements()));
        release(seg);
        WanModel.fingerprintTensor(base, n, shape, v);
        return v;
    }

    /** Output bytes of a tensor, from its shape: packed codes plus 8 bytes of scale and zero per row, or the float dtype. */
    private static long estimate(String n, int[] shape, boolean quantized, int bits, DType floatType) {
        long e = 1;
        for (int d : shape) e *= d;
        if (quantized && n.endsWith(".weight")) return (bits <= 4 ? (e + 1) / 2 : e) + 8L * shape[0];
        return e * floatType.bytes;
    }

    /** SHA-256 of what a shard is made from: the recipe, config, float dtype, its place, its source tensors. */
    private static String planHash(WanConfig c, Recipe r, DType floatType, TensorSource src, List<Unit> units, int k, int n) {
        StringBuilder sb = new StringBuilder();
        sb.append(RecipeJson.write(r)).append('\n').append(c.toJson()).append('\n').append(floatType).append('\n')
                .append(k).append(" of ").append(n).append('\n').append(QuantizedCheckpoint.vdqVersion()).append('\n');
        for (Unit u : units)
            for (String t : u.tensors()) {
                TensorInfo i = src.info(t);
                sb.append(t).append(' ').append(i.dtype()).append(' ').append(Arrays.toString(i.shape())).append(' ')
                        .append(i.begin()).append(' ').append(i.end()).append('\n');
            }
        return HexFormat.of().formatHex(TensorDigests.sha256().digest(sb.toString().getBytes(StandardCharsets.UTF_8)));
    }

    /** Whether {@code file} is a finished shard of the same plan (a renamed, complete file; its header says so). */
    private static boolean finished(Path file, String plan) {
        if (!Files.isRegularFile(file)) return false;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            return QuantizedCheckpoint.SHARD_FORMAT.equals(f.metadata().get(QuantizedCheckpoint.KEY_FORMAT))
                    && plan.equals(f.metadata().get(QuantizedCheckpoint.KEY_SHARD_PLAN));
        } catch (CheckpointException e) {
            return false;   // unreadable: written again
        }
    }

    /** Deletes shard files of an earlier run with another shard count (names not in {@code keep}). */
    private static void removeStaleShards(Path dir, Set<String> keep) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "diffusion_pytorch_model-*-of-*.safetensors")) {
            for (Path p : ds) if (!keep.contains(p.getFileName().toString())) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new CheckpointException(dir + ": cannot remove shards of an earlier run: " + e.getMessage(), e);
        }
    }

    /** The linear layers of a Wan model in forward order (the order DVD-Quant numbers them for the rotation seeds). */
    public static List<String> linearOrder(WanConfig c) {
        List<String> out = new ArrayList<>();
        for (String n : WanParameters.expectedShapes(c).keySet())
            if (n.endsWith(".weight") && !n.contains("norm")) out.add(n.substring(0, n.length() - ".weight".length()));
        return out;
    }

    /** The layer a tensor name belongs to ({@code P.weight} / {@code P.bias} → P), or the name itself. */
    static String layerOf(String n) {
        if (n.endsWith(".weight")) return n.substring(0, n.length() - ".weight".length());
        if (n.endsWith(".bias")) return n.substring(0, n.length() - ".bias".length());
        return n;
    }

    /** The source's float dtype when every float tensor shares one that a quantized checkpoint stores, else F32. */
    static DType floatType(TensorSource src, SortedSet<String> floats) {
        DType t = null;
        for (String n : floats) {
            DType d = src.info(n).dtype();
            if (t == null) t = d;
            else if (t != d) return DType.F32;
        }
        return t == DType.BF16 || t == DType.F16 ? t : DType.F32;
    }

    /** Gives the pages of a mapped tensor back to the OS (no-op for heap segments). */
    static void release(MemorySegment seg) {
        if (seg.isMapped()) seg.unload();
    }

    /** Every tensor the config expects, with its shape, and nothing else (diffusers names). */
    static void checkShapes(WanConfig c, TensorSource src) {
        Map<String, int[]> expected = WanParameters.expectedShapes(c);
        for (var e : expected.entrySet()) {
            if (!src.contains(e.getKey()))
                throw new CheckpointException(src.describe() + ": missing tensor '" + e.getKey() + "' of shape "
                        + Arrays.toString(e.getValue()) + " (streaming quantization needs diffusers names)");
            int[] have = src.info(e.getKey()).intShape();
            if (!Arrays.equals(have, e.getValue()))
                throw new CheckpointException(src.describe() + ": tensor '" + e.getKey() + "' has shape " + Arrays.toString(have)
                        + ", expected " + Arrays.toString(e.getValue()) + " for this config");
        }
        for (String n : src.names())
            if (!expected.containsKey(n))
                throw new CheckpointException(src.describe() + ": unexpected tensor '" + n + "' for a Wan model with "
                        + c.numLayers() + " layers");
    }
}
