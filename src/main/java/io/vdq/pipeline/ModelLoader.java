package io.vdq.pipeline;

import io.vdq.VdqException;
import io.vdq.VdqException.ConfigException;
import io.vdq.io.Checkpoints;
import io.vdq.io.TensorSource;
import io.vdq.io.gguf.GgufFile;
import io.vdq.io.gguf.GgufValue;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanGgufLoader;
import io.vdq.model.wan.WanModel;
import io.vdq.quant.ckpt.QuantizedCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one place that turns a {@code --model} argument into a runnable model, for every command: {@code random:tiny}
 * and {@code random:1.3b} (seeded random Wan transformers), a diffusers transformer folder ({@code config.json} +
 * {@code diffusion_pytorch_model.safetensors[.index.json]}), a folder holding {@code transformer/}, a quantized
 * checkpoint written by {@code vdq quantize}, a Wan GGUF file (dequantized at load; also as a pipeline's
 * {@code --transformer}), or a whole diffusers pipeline ({@code model_index.json}; see
 * {@link PipelineFolder}), whose transformer may be replaced by a quantized one ({@code transformerOverride}).
 * Nothing heavy beyond the transformer is read here: the text encoder and VAE of a pipeline are opened on demand
 * by {@link LoadedModel}.
 */
public final class ModelLoader {
    private ModelLoader() {}

    /** Where the model came from and how to sample it; see {@link LoadedModel}. */
    public static LoadedModel load(String spec, Path transformerOverride) { return load(spec, transformerOverride, null, true); }

    /**
     * As {@link #load(String, Path)}; {@code transformer2Override} replaces a two-expert pipeline's low-noise expert
     * ({@code transformer_2/}) the way {@code transformerOverride} replaces the high-noise one; {@code verify} false
     * skips a quantized checkpoint's SHA-256 digests.
     */
    public static LoadedModel load(String spec, Path transformerOverride, Path transformer2Override, boolean verify) {
        if (spec.startsWith("random:")) {
            WanConfig c = randomConfig(spec);
            return LoadedModel.of(spec, WanModel.random(c, 0), null, ModelDefaults.random(spec.equals("random:tiny")), null);
        }
        Path dir = Path.of(spec);
        if (!Files.exists(dir)) throw new ConfigException("--model " + spec + ": no such file or folder");
        if (isGguf(dir)) {
            if (transformerOverride != null || transformer2Override != null)
                throw new ConfigException("--transformer: only with a pipeline --model (a folder with model_index.json)");
            return LoadedModel.of(spec, WanGgufLoader.loadWan(dir, verify), null, ggufDefaults(dir), null);
        }
        if (PipelineFolder.isPipeline(dir)) {
            PipelineFolder p = PipelineFolder.read(dir);
            Path tdir = transformerOverride != null ? transformerOverride : p.transformer();
            Transformer t = transformer(tdir, transformerOverride != null ? "--transformer" : "--model", verify);
            ModelDefaults d = ModelDefaults.wan(ModelDefaults.UMT5).withScheduler(p.scheduler());
            LoadedModel m = LoadedModel.of(spec, t.model(), t.quantized(), d, p);
            if (p.twoExperts()) {
                Transformer t2 = transformer(transformer2Override != null ? transformer2Override : p.transformer2(),
                        transformer2Override != null ? "--transformer-2" : "--model", verify);
                m = m.withSecondExpert(t2.model(), t2.quantized(), p.boundaryRatio());
            }
            else if (transformer2Override != null)
                throw new ConfigException("--transformer-2 " + transformer2Override + ": " + dir + " has one transformer (no transformer_2/ in model_index.json)");
            return m;
        }
        if (transformer2Override != null)
            throw new ConfigException("--transformer-2 " + transformer2Override + ": only with a two-expert pipeline --model (Wan2.2)");
        if (transformerOverride != null)
            throw new ConfigException("--transformer " + transformerOverride + ": only with a pipeline --model (a folder with model_index.json)");
        Path tdir = Files.isDirectory(dir.resolve("transformer")) ? dir.resolve("transformer") : dir;
        Transformer t = transformer(tdir, "--model", verify);
        boolean randomBase = t.quantized() != null
                && t.quantized().metadata().getOrDefault(BASE_MODEL_KEY, "").startsWith("random:");
        ModelDefaults fallback = randomBase ? ModelDefaults.random(t.quantized().metadata().get(BASE_MODEL_KEY).equals("random:tiny"))
                : ModelDefaults.wan(ModelDefaults.NONE);
        ModelDefaults d = ModelDefaults.read(tdir, fallback);
        return LoadedModel.of(spec, t.model(), t.quantized(), d, null).withFolder(tdir);
    }

    /** The architecture of a {@code random:*} spec: random:tiny or random:1.3b. */
    static WanConfig randomConfig(String spec) {
        return switch (spec) {
            case "random:tiny" -> WanConfig.tiny();
            case "random:1.3b" -> WanConfig.wan21T2V1_3B();
            default -> throw new ConfigException("--model " + spec + ": expected random:tiny or random:1.3b");
        };
    }

    /** Metadata key of a quantized checkpoint naming the --model it was quantized from. */
    public static final String BASE_MODEL_KEY = "base_model";

    record Transformer(WanModel model, QuantizedCheckpoint.Loaded quantized) {}

    static boolean isGguf(Path p) { return Files.isRegularFile(p) && p.getFileName().toString().endsWith(".gguf"); }

    /** The sampling defaults a vdq-written GGUF carries ({@link ModelDefaults#GGUF_KEY}), else Wan's without an encoder. */
    static ModelDefaults ggufDefaults(Path gguf) {
        try (GgufFile f = GgufFile.open(gguf)) {
            GgufValue v = f.kv().get(ModelDefaults.GGUF_KEY);
            if (v == null || !(v.value() instanceof String json)) return ModelDefaults.wan(ModelDefaults.NONE);
            return ModelDefaults.parse(gguf + ": " + ModelDefaults.GGUF_KEY, json, ModelDefaults.wan(ModelDefaults.NONE));
        }
    }

    /** A float transformer folder, a quantized checkpoint folder, or a Wan GGUF file (dequantized at load). */
    static Transformer transformer(Path dir, String flag, boolean verify) {
        if (isGguf(dir)) return new Transformer(WanGgufLoader.loadWan(dir, verify), null);
        if (!Files.isDirectory(dir)) throw new ConfigException(flag + " " + dir + ": not a folder (or a .gguf file)");
        if (QuantizedCheckpoint.isQuantized(dir)) {
            QuantizedCheckpoint.Loaded q = QuantizedCheckpoint.load(dir, verify);
            return new Transformer(q.model(), q);
        }
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) throw new ConfigException(dir + ": no config.json (expected a diffusers transformer folder)");
        WanConfig c = WanConfig.read(cfg);
        Path single = dir.resolve("diffusion_pytorch_model.safetensors");
        if (!Files.isRegularFile(single)) single = dir.resolve("diffusion_pytorch_model.safetensors.index.json");
        if (!Files.isRegularFile(single))
            throw new VdqException.CheckpointException(dir + ": no diffusion_pytorch_model.safetensors or "
                    + "diffusion_pytorch_model.safetensors.index.json");
        // WanModel.load copies every tensor out of the mapping (readFloat), so the file can be closed afterwards
        try (TensorSource src = Checkpoints.open(single)) {
            return new Transformer(WanModel.load(c, src), null);
        } catch (VdqException.CheckpointException e) {
            if (e.getMessage() != null && e.getMessage().contains(single.getFileName().toString())) throw e;
            throw new VdqException.CheckpointException(single + ": " + e.getMessage(), e);
        }
    }
}
