package io.vdq.quant.ckpt;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException.CheckpointException;
import io.vdq.VdqException.ConfigException;
import io.vdq.VdqException;
import io.vdq.io.AtomicFiles;
import io.vdq.io.DType;
import io.vdq.io.Printable;
import io.vdq.io.SafetensorsFile;
import io.vdq.io.SafetensorsStreamWriter;
import io.vdq.io.SafetensorsWriter;
import io.vdq.io.ShardedCheckpoint;
import io.vdq.io.TensorDigests;
import io.vdq.io.TensorInfo;
import io.vdq.io.TensorSource;
import io.vdq.model.FloatLinear;
import io.vdq.model.Linear;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.QuantMethod;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.QuantReport;
import io.vdq.quant.Recipe;
import io.vdq.quant.RecipeJson;
import io.vdq.quant.SamplerHook;
import io.vdq.quant.StepTag;
import io.vdq.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * A quantized Wan model as a diffusers-style folder: {@code config.json} and one self-contained
 * {@code diffusion_pytorch_model.safetensors} holding the float parameters as they were in the base (F32 or BF16)
 * and every quantized layer's codes, scales, zero points and transform tensors, with {@code __metadata__}
 * describing the layers, the recipe, the sampler hooks (step tag, δ-GBS options and δ) and the base's SHA-256.
 *
 * <p>Self-contained rather than a delta on its base (a design choice): a quantized layer replaces its
 * float weights entirely, so a delta saves only the small float part (embeddings, norms, modulation tables — a few
 * percent of a W4 file) while making every load depend on finding the exact base again; the base's SHA-256
 * ({@link WanModel#fingerprint}, the hash {@code vdq generate} records as {@code model_sha256}) is kept for
 * provenance and checked by {@link #requireBase} when a caller has the base at hand. docs/FORMAT.md is the
 * format's description.
 */
public final class QuantizedCheckpoint {
    private QuantizedCheckpoint() {}

    public static final String FORMAT = "vdq-quantized";
    public static final int VERSION = 2;
    public static final String WEIGHTS = "diffusion_pytorch_model.safetensors";
    /** The index of a sharded checkpoint (diffusers' name): the checkpoint's metadata and the weight map. */
    public static final String INDEX = "diffusion_pytorch_model.safetensors.index.json";
    /** The {@code format} of one shard of a sharded checkpoint (not loadable alone). */
    public static final String SHARD_FORMAT = "vdq-quantized-shard";
    /** Shard metadata: what the shard was planned from (a hash), so that a resumed run can keep a finished shard. */
    public static final String KEY_SHARD_PLAN = "shard_plan";

    /** Metadata keys. */
    public static final String KEY_FORMAT = "format", KEY_VERSION = "format_version", KEY_VDQ = "vdq_version",
            KEY_RECIPE = "recipe", KEY_METHOD = "method", KEY_BASE = "base_sha256", KEY_CONFIG = "wan_config",
            KEY_BITS = "activation_bits", KEY_LAYERS = "layers", KEY_STEP_TAG = "step_tag",
            KEY_FLOAT_DTYPE = "float_dtype";

    /** A loaded checkpoint: the model, a report (recipe, no layer lines, the rebuilt hook and width), the metadata. */
    public record Loaded(WanModel model, QuantReport report, Map<String, String> metadata) {
        public String baseSha256() { return metadata.get(KEY_BASE); }
        public Recipe recipe() { return report.recipe(); }
    }

    /** The vdq version written into checkpoints. */
    public static String vdqVersion() {
        String v = QuantizedCheckpoint.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-dev" : v;
    }

    /**
     * Refuses recipes whose layers are not stored as vdq checkpoints, in the words of their method
     * ({@link QuantMethod#notStorable}; e.g. the fake-quant GGUF encodings, whose real artefact is a GGUF file).
     */
    public static void requireStorable(Recipe r) {
        String why = QuantMethods.names().contains(r.method()) ? QuantMethods.get(r.method()).notStorable(r) : null;
        if (why != null)
            throw new CheckpointException("recipe '" + r.name() + "' (method " + r.method() + ") is not stored as a vdq checkpoint: " + why);
    }

    /**
     * Writes {@code model} (quantized by {@code report}) to {@code dir}: the weights file, then config.json, each
     * atomically. {@code floatType} (F32, BF16 or F16) stores the float parameters; choose the base's type so they
     * are kept exactly. {@code extra} adds metadata (e.g. calibration notes); it may not replace a format key.
     */
    public static void save(Path dir, WanModel model, QuantReport report, String baseSha256, DType floatType,
                            Map<String, String> extra) {
        checkFloatType(floatType);
        requireStorable(report.recipe());
        SafetensorsWriter w = new SafetensorsWriter().withDigests().requireFinite();
        ObjectNode layers = Codecs.JSON.createObjectNode();
        boolean tagged = false;
        for (Map.Entry<String, Linear> e : model.linears().entrySet()) {
            if (e.getValue() instanceof FloatLinear) continue;
            layers.set(e.getKey(), Codecs.encode(e.getKey(), e.getValue(), w, floatType, report.activationBits()));
            tagged |= Codecs.stepTagged(e.getValue());
        }
        if (layers.isEmpty()) throw new CheckpointException(dir + ": the model has no quantized layer to save");
        for (Map.Entry<String, Tensor> e : model.floatTensors().entrySet()) w.add(e.getKey(), e.getValue(), floatType);
        w.metadata(metadata(model.config(), report, baseSha256, floatType, extra, layers, tagged));
        createFolder(dir);
        w.write(dir.resolve(WEIGHTS));
        AtomicFiles.writeBytes(dir.resolve("config.json"), model.config().toJson().getBytes(StandardCharsets.UTF_8));
    }

    private static void checkFloatType(DType floatType) {
        if (floatType != DType.F32 && floatType != DType.BF16 && floatType != DType.F16)
            throw new CheckpointException("quantized checkpoint float dtype " + floatType + ": expected F32, BF16 or F16");
    }

    private static void createFolder(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new CheckpointException(dir + ": cannot create model folder: " + e.getMessage(), e);
        }
    }

    /** The {@code __metadata__} of a checkpoint (everything but the digests, which the writers add). */
    private static Map<String, String> metadata(WanConfig config, QuantReport report, String baseSha256, DType floatType,
                                                Map<String, String> extra, ObjectNode layers, boolean tagged) {
        Map<String, String> meta = new LinkedHashMap<>();
        if (extra != null) meta.putAll(extra);
        meta.put(KEY_FORMAT, FORMAT);
        meta.put(KEY_VERSION, Integer.toString(VERSION));
        meta.put(KEY_VDQ, vdqVersion());
        Recipe recipe = report.recipe();
        // a hook's setting chosen by tuning (δ-GBS's δ) goes into the recipe too, so a loaded model never re-tunes it
        for (HookCodec c : Codecs.hooks()) recipe = c.stored(recipe, report.hook());
        meta.put(KEY_RECIPE, RecipeJson.write(recipe));
        meta.put(KEY_METHOD, report.method());
        meta.put(KEY_BASE, baseSha256 == null ? "unknown" : baseSha256);
        meta.put(KEY_CONFIG, config.toJson());
        meta.put(KEY_BITS, Integer.toString(report.activationBits().get()));
        meta.put(KEY_STEP_TAG, Boolean.toString(tagged));
        meta.put(KEY_FLOAT_DTYPE, floatType.name());
        meta.put(KEY_LAYERS, layers.toString());
        for (HookCodec c : Codecs.hooks()) {   // the method's sampler hook settings, each under its own key
            ObjectNode n = c.encode(report.hook());
            if (n != null) meta.put(c.key(), n.toString());
        }
        return meta;
    }

    /**
     * Writes one shard of a sharded quantized checkpoint a layer at a time, for models larger than memory (streaming
     * quantization, {@code scale.StreamingQuantize}): its tensors are those {@link #save} writes, byte for byte given
     * the same layers. Each quantized layer is declared up front by a placeholder of its final kind and shapes (its
     * values are ignored), so the header can be written first; {@link #layer} then encodes the real layer and appends
     * its tensors, {@link #floats} copies the float part from the source, and {@link #commitShard} renames the shard
     * into place. Closing without commit leaves nothing.
     */
    public static final class Streamed implements AutoCloseable {
        private final Path dir;
        private final SafetensorsStreamWriter w;
        private final ObjectNode layers;
        private final DType floatType;
        private final ActivationBits bits;
        private final TensorSource source;
        private final SortedSet<String> floatNames;
        private final Set<String> done = new HashSet<>();

        private Streamed(Path dir, SafetensorsStreamWriter w, ObjectNode layers, DType floatType,
                         ActivationBits bits, TensorSource source, SortedSet<String> floatNames) {
            this.dir = dir;
            this.w = w;
            this.layers = layers;
            this.floatType = floatType;
            this.bits = bits;
            this.source = source;
            this.floatNames = floatNames;
        }

        /**
         * Starts one shard {@code file} of a sharded checkpoint (docs/FORMAT.md, "Sharded checkpoints"): its layers
         * and float tensors (the {@code placeholders} are built one at a time and dropped, so a 14B model's never
         * coexist); its {@code __metadata__} holds {@code format} {@value #SHARD_FORMAT},
         * the format version, its own layer descriptors, digests, and {@code plan} under {@value #KEY_SHARD_PLAN}.
         * {@link #commitShard} renames it into place; the checkpoint's metadata goes into the index
         * ({@link #writeIndex}).
         */
        public static Streamed createShard(Path file, ActivationBits bits, DType floatType, String plan,
                                           SequencedMap<String, Supplier<Linear>> placeholders, TensorSource source,
                                           SortedSet<String> floatNames) {
            checkFloatType(floatType);
            List<SafetensorsStreamWriter.Spec> specs = new ArrayList<>();
            ObjectNode layers = Codecs.JSON.createObjectNode();
            declare(placeholders, floatType, bits, specs, layers);
            for (String n : floatNames) specs.add(new SafetensorsStreamWriter.Spec(n, floatType, source.info(n).shape()));
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put(KEY_FORMAT, SHARD_FORMAT);
            meta.put(KEY_VERSION, Integer.toString(VERSION));
            meta.put(KEY_VDQ, vdqVersion());
            meta.put(KEY_FLOAT_DTYPE, floatType.name());
            meta.put(KEY_SHARD_PLAN, plan);
            meta.put(KEY_LAYERS, layers.toString());
            createFolder(file.toAbsolutePath().getParent());
            SafetensorsStreamWriter w = SafetensorsStreamWriter.create(file, specs, meta, true);
            return new Streamed(file.toAbsolutePath().getParent(), w, layers, floatType, bits, source, floatNames);
        }

        /** Builds each placeholder in turn, records its descriptor and tensor specs; true when one is timestep-switched. */
        private static boolean declare(SequencedMap<String, Supplier<Linear>> placeholders, DType floatType, ActivationBits bits,
                                       List<SafetensorsStreamWriter.Spec> specs, ObjectNode layers) {
            boolean tagged = false;
            for (Map.Entry<String, Supplier<Linear>> e : placeholders.entrySet()) {
                Linear l = e.getValue().get();
                SafetensorsWriter one = new SafetensorsWriter();
                layers.set(e.getKey(), Codecs.encode(e.getKey(), l, one, floatType, bits));
                specs.addAll(one.specs());
                tagged |= Codecs.stepTagged(l);
            }
            return tagged;
        }

        /** The descriptors of the declared layers (forward order). */
        public ObjectNode layers() { return layers.deepCopy(); }

        /** Encodes and appends one quantized layer; it must match its placeholder's kind and shapes. */
        public void layer(String name, Linear layer) {
            JsonNode declared = layers.get(name);
            if (declared == null || !done.add(name))
                throw new CheckpointException("layer '" + name + "' was " + (declared == null ? "not declared" : "already written"));
            SafetensorsWriter one = new SafetensorsWriter().requireFinite();
            JsonNode d = Codecs.encode(name, layer, one, floatType, bits);
            if (!d.equals(declared))
                throw new CheckpointException("layer '" + name + "' is " + d + " but was declared as " + declared);
            one.writeInto(w);
        }

        /** Copies every float tensor from the source (converting to the float dtype where it differs). */
        public void floats() {
            for (String n : floatNames) {
                TensorInfo i = source.info(n);
                MemorySegment seg = source.segment(n);
                if (i.dtype() == floatType) {
                    w.write(n, seg);
                } else {
                    float[] v = source.readFloat(n).toArray();
                    for (float x : v)
                        if (!Float.isFinite(x))
                            throw new CheckpointException(source.describe() + ": tensor '" + n + "' holds " + x + ": refusing to save a non-finite value");
                    w.writeFloats(n, v, 0, v.length);
                }
                if (seg.isMapped()) seg.unload();
            }
        }

        /** Checks that every layer and tensor was written and renames the shard into place (nothing else). */
        public void commitShard() {
            if (done.size() != layers.size())
                throw new CheckpointException(dir + ": " + (layers.size() - done.size()) + " declared layers were not written");
            w.commit();
        }

        @Override public void close() { w.close(); }
    }

    /**
     * Finishes a sharded checkpoint whose shards are in place: writes {@value #INDEX} ({@code metadata}: the
     * checkpoint's {@code __metadata__} keys as a single file has them, less the digests, which each shard keeps;
     * {@code weight_map}: tensor → shard file), then config.json, each atomically.
     */
    public static void writeIndex(Path dir, WanConfig config, QuantReport report, String baseSha256, DType floatType,
                                  Map<String, String> extra, ObjectNode layers, boolean tagged, SequencedMap<String, String> weightMap) {
        Map<String, String> meta = metadata(config, report, baseSha256, floatType, extra, layers, tagged);
        ObjectNode root = Codecs.JSON.createObjectNode();
        ObjectNode m = root.putObject("metadata");
        new TreeMap<>(meta).forEach(m::put);
        ObjectNode wm = root.putObject("weight_map");
        new TreeMap<>(weightMap).forEach(wm::put);
        try {
            AtomicFiles.writeBytes(dir.resolve(INDEX), Codecs.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        } catch (JsonProcessingException e) {
            throw new CheckpointException(dir.resolve(INDEX) + ": cannot encode: " + e.getMessage(), e);
        }
        AtomicFiles.writeBytes(dir.resolve("config.json"), config.toJson().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The weights file of a model folder (or its {@code transformer/} subfolder): {@value #WEIGHTS}, or the index
     * {@value #INDEX} of a sharded checkpoint when there is no single file.
     */
    public static Path weightsFile(Path dir) {
        if (Files.isDirectory(dir.resolve("transformer"))) dir = dir.resolve("transformer");
        Path single = dir.resolve(WEIGHTS);
        return !Files.isRegularFile(single) && Files.isRegularFile(dir.resolve(INDEX)) ? dir.resolve(INDEX) : single;
    }

    /** True when {@code dir} holds a checkpoint (single file or index) whose metadata says it is a vdq quantized checkpoint. */
    public static boolean isQuantized(Path dir) {
        Path f = weightsFile(dir);
        if (!Files.isRegularFile(f)) return false;
        if (f.getFileName().toString().equals(INDEX)) {
            try (ShardedCheckpoint s = ShardedCheckpoint.open(f)) {
                return FORMAT.equals(s.indexMetadata().get(KEY_FORMAT));
            }
        }
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            return FORMAT.equals(s.metadata().get(KEY_FORMAT));
        }
    }

    /** Loads a quantized model folder; any mismatch between config, metadata and tensors is refused naming it. */
    public static Loaded load(Path dir) { return load(dir, true); }

    /**
     * As {@link #load(Path)}; {@code verify} false skips recomputing the per-tensor SHA-256 digests (every other
     * check still runs). A sharded checkpoint ({@value #INDEX}) loads with its quantized layers mapped: each layer
     * is decoded from the mapped shards when it runs and dropped after, its pages given back, so a checkpoint
     * larger than memory runs (see {@link MappedLayer}); its shards stay open for the life of the model.
     */
    public static Loaded load(Path dir, boolean verify) {
        Path f = weightsFile(dir);
        Path cfgFile = f.resolveSibling("config.json");
        if (!Files.isRegularFile(cfgFile))
            throw new CheckpointException(f.getParent() + ": no config.json next to " + f.getFileName());
        WanConfig c = WanConfig.read(cfgFile);
        if (f.getFileName().toString().equals(INDEX)) {
            ShardedCheckpoint sc = ShardedCheckpoint.open(f);
            try {
                return load(c, new IndexView(sc), verify, true);
            } catch (RuntimeException e) {
                sc.close();
                throw e;
            }
        }
        try (SafetensorsFile src = SafetensorsFile.open(f)) {
            return load(c, src, verify);
        }
    }

    /** A sharded checkpoint seen through its index: the index's metadata is the checkpoint's. */
    private record IndexView(ShardedCheckpoint sc) implements TensorSource {
        @Override public SortedSet<String> names() { return sc.names(); }
        @Override public boolean contains(String name) { return sc.contains(name); }
        @Override public TensorInfo info(String name) { return sc.info(name); }
        @Override public Tensor readFloat(String name) { return sc.readFloat(name); }
        @Override public MemorySegment segment(String name) { return sc.segment(name); }
        @Override public Map<String, String> metadata() { return sc.indexMetadata(); }
        @Override public String describe() { return sc.describe(); }
        @Override public void close() { sc.close(); }
    }

    /** Loads from an open source (the caller closes it; every tensor is copied out), verifying the digests. */
    public static Loaded load(WanConfig c, TensorSource src) { return load(c, src, true); }

    /** As {@link #load(WanConfig, TensorSource)}; {@code verify} false skips the digests. */
    public static Loaded load(WanConfig c, TensorSource src, boolean verify) { return load(c, src, verify, false); }

    private static Loaded load(WanConfig c, TensorSource src, boolean verify, boolean mapped) {
        Map<String, String> meta = src.metadata();
        String file = src.describe();
        if (!FORMAT.equals(meta.get(KEY_FORMAT)))
            throw new CheckpointException(file + ": __metadata__ format is " + (meta.get(KEY_FORMAT) == null ? "absent"
                    : "'" + meta.get(KEY_FORMAT) + "'") + ", expected '" + FORMAT + "' (not a vdq quantized checkpoint)");
        int version = parseInt(file, meta, KEY_VERSION);
        if (version == 1)
            throw new CheckpointException(file + ": format_version 1 (written by vdq " + meta.get(KEY_VDQ) + ") has no "
                    + "per-tensor SHA-256 digests; this vdq reads version " + VERSION + ": quantize the base again");
        if (version != VERSION)
            throw new CheckpointException(file + ": format_version " + version + ", this vdq reads version " + VERSION
                    + " (written by vdq " + meta.get(KEY_VDQ) + ")");
        if (src instanceof IndexView(ShardedCheckpoint sc)) {
            for (SafetensorsFile shard : sc.shards().values()) {
                String sf = shard.metadata().get(KEY_FORMAT);
                if (!SHARD_FORMAT.equals(sf))
                    throw new CheckpointException(shard.describe() + ": __metadata__ format is " + (sf == null ? "absent" : "'" + sf + "'")
                            + ", expected '" + SHARD_FORMAT + "' (a shard of " + file + ")");
                if (!verify && !TensorDigests.present(shard.metadata()))
                    throw new CheckpointException(shard.describe() + ": __metadata__ has no '" + TensorDigests.KEY + "' (per-tensor SHA-256 digests)");
            }
            if (verify) TensorDigests.verify(sc);
        } else if (verify) TensorDigests.verify(src);
        else if (!TensorDigests.present(meta))
            throw new CheckpointException(file + ": __metadata__ has no '" + TensorDigests.KEY + "' (per-tensor SHA-256 digests)");
        WanConfig stored = WanConfig.parse(require(file, meta, KEY_CONFIG), file + " __metadata__ wan_config");
        if (!stored.equals(c))
            throw new CheckpointException(file + ": was written for config " + stored + " but config.json says " + c);
        Recipe recipe;
        try {
            recipe = RecipeJson.parseUnchecked(require(file, meta, KEY_RECIPE), file + " __metadata__ recipe");
        } catch (ConfigException e) {   // malformed, or a settings_version this build does not read: the file's fault
            throw new CheckpointException(e.getMessage(), e);
        }
        ActivationBits bits;
        try {
            bits = new ActivationBits(parseInt(file, meta, KEY_BITS));
        } catch (RuntimeException e) {
            throw new CheckpointException(file + ": __metadata__ activation_bits: " + e.getMessage(), e);
        }
        StepTag tag = new StepTag();
        JsonNode layers = json(file, KEY_LAYERS, require(file, meta, KEY_LAYERS));
        if (!layers.isObject() || layers.isEmpty())
            throw new CheckpointException(file + ": __metadata__ layers must be a non-empty JSON object");
        checkRecipe(file, meta, recipe, layers);
        LayerReader reader = Codecs.reader(new Tensors(src), bits, tag);
        SequencedMap<String, Linear> built = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = layers.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            try {
                built.put(e.getKey(), mapped ? MappedLayer.of(e.getKey(), e.getValue(), src, reader)
                        : Codecs.decode(e.getKey(), e.getValue(), reader));
            } catch (CheckpointException x) {
                throw x;
            } catch (VdqException x) { // a constructor refused the stored values (bits, shapes, options)
                throw new CheckpointException(file + ": layer '" + e.getKey() + "': " + x.getMessage(), x);
            }
        }
        SortedSet<String> quantNames = new TreeSet<>(), floatNames = new TreeSet<>();
        for (String n : src.names()) (underAny(n, built.keySet()) ? quantNames : floatNames).add(n);
        quantNames.removeAll(reader.tensors().used());
        if (!quantNames.isEmpty())
            throw new CheckpointException(file + ": unexpected tensor" + (quantNames.size() > 1 ? "s " : " ")
                    + String.join(", ", new ArrayList<>(quantNames).subList(0, Math.min(5, quantNames.size())))
                    + " under a quantized layer's prefix (not named by its descriptor)");
        WanModel model;
        try {
            model = WanModel.load(c, new Subset(src, floatNames), built);
        } catch (CheckpointException x) {
            throw x;
        } catch (VdqException x) {
            throw new CheckpointException(file + ": " + x.getMessage(), x);
        }
        SamplerHook hook = Boolean.parseBoolean(meta.get(KEY_STEP_TAG)) ? SamplerHook.tagging(tag) : SamplerHook.NONE;
        for (HookCodec codec : Codecs.hooks()) {
            String settings = meta.get(codec.key());
            if (settings == null) continue;
            SamplerHook h;
            try {
                h = codec.decode(json(file, codec.key(), settings), bits, reader, "__metadata__ " + codec.key());
            } catch (ConfigException e) {
                throw new CheckpointException(file + ": __metadata__ " + codec.key() + ": " + e.getMessage(), e);
            }
            hook = hook == SamplerHook.NONE ? h : hook.andThen(h);
        }
        try {
            QuantMethods.applyAttention(model, recipe); // int8 self-attention, when the recipe asked for it
        } catch (VdqException x) {
            throw new CheckpointException(file + ": __metadata__ recipe: " + x.getMessage(), x);
        }
        String method = recipe.method();
        return new Loaded(model, new QuantReport(method, recipe, List.of(), hook, bits), Map.copyOf(meta));
    }

    /** Refuses a loaded checkpoint whose recorded base hash differs from {@code base}'s fingerprint. */
    public static void requireBase(Loaded loaded, WanModel base, String baseDescription) {
        String want = loaded.baseSha256(), have = base.fingerprint();
        if (!have.equals(want))
            throw new CheckpointException("quantized checkpoint was made from base weights with SHA-256 " + want + ", but "
                    + baseDescription + " has SHA-256 " + have + " (a different base model)");
    }

    /**
     * The stored recipe must describe the stored layers: its method exists and is the {@code method} key, its options
     * are the method's, every layer is one the recipe selects, and every layer's weight width is the recipe's.
     */
    private static void checkRecipe(String file, Map<String, String> meta, Recipe recipe, JsonNode layers) {
        String where = file + ": __metadata__ recipe: ";
        String method = require(file, meta, KEY_METHOD);
        if (!method.equals(recipe.method()))
            throw new CheckpointException(where + "method '" + recipe.method() + "' but __metadata__ method is '" + method + "'");
        try {
            QuantMethods.settings(recipe);   // also refuses an unknown method
        } catch (VdqException x) {
            throw new CheckpointException(where + x.getMessage(), x);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = layers.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String p = e.getKey();
            if (!recipe.selects(p))
                throw new CheckpointException(where + "does not select layer '" + Printable.name(p) + "', which the file quantizes");
            JsonNode d = e.getValue();
            List<JsonNode> parts = new ArrayList<>();
            if (d.path("variants").isArray()) d.get("variants").forEach(parts::add);
            else parts.add(d);
            for (JsonNode v : parts) {
                JsonNode b = v.path("weight").path("bits");
                if (b.isInt() && b.intValue() != recipe.weightBits())
                    throw new CheckpointException(where + "weight_bits " + recipe.weightBits() + " but layer '"
                            + Printable.name(p) + "' stores " + b.intValue() + "-bit weights");
            }
        }
    }

    private static boolean underAny(String tensor, Collection<String> prefixes) {
        for (String p : prefixes) if (tensor.startsWith(p + ".")) return true;
        return false;
    }

    private static String require(String file, Map<String, String> meta, String key) {
        String v = meta.get(key);
        if (v == null) throw new CheckpointException(file + ": __metadata__ has no '" + key + "'");
        return v;
    }

    private static int parseInt(String file, Map<String, String> meta, String key) {
        String v = require(file, meta, key);
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new CheckpointException(file + ": __metadata__ " + key + " = '" + v + "', expected an integer");
        }
    }

    private static JsonNode json(String file, String key, String text) {
        try {
            return Codecs.JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new CheckpointException(file + ": __metadata__ " + key + " is not valid JSON: " + e.getOriginalMessage());
        }
    }

    /** The source restricted to some names (the float part, for {@link WanModel#load}). */
    private record Subset(TensorSource src, SortedSet<String> names) implements TensorSource {
        @Override public SortedSet<String> names() { return names; }
        @Override public TensorInfo info(String name) {
            if (!names.contains(name)) throw new CheckpointException(src.describe() + ": no tensor '" + name + "'");
            return src.info(name);
        }
        @Override public Tensor readFloat(String name) { info(name); return src.readFloat(name); }
        @Override public MemorySegment segment(String name) { info(name); return src.segment(name); }
        @Override public Map<String, String> metadata() { return src.metadata(); }
        @Override public String describe() { return src.describe(); }
    }
}
