package io.vdq.pipeline;

import io.vdq.VdqException;
import io.vdq.VdqException.ConfigException;
import io.vdq.io.Checkpoints;
import io.vdq.io.TensorSource;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.quant.ckpt.QuantizedCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one place that turns a {@code --model} argument into a runnable model, for every command: {@code random:tiny}
 * and {@code random:1.3b} (seeded random Wan transformers), a diffusers transformer folder ({@code config.json} +
 * {@code diffusion_pytorch_model.safetensors[.index.json]}), a folder holding {@code transformer/}, a quantized
 * checkpoint written by {@code vdq quantize}, or a whole diffusers pipeline ({@code model_index.json}; see
 * {@link PipelineFolder}), whose transformer may be replaced by a quantized one ({@code transformerOverride}).
 * Nothing heavy beyond the transformer is read here: the text encoder and VAE of a pipeline are opened on demand
 * by {@link LoadedModel}.
 */
public final class ModelLoader {
    private ModelLoader() {}

    /** Where the model came from and how to sample it; see {@link LoadedModel}. */
    public static LoadedModel load(String spec, Path transformerOverride) { return load(spec, transformerOverride, true); }

    /** As {@link #load(String, Path)}; {@code verify} false skips a quantized checkpoint's SHA-256 digests. */
    public static LoadedModel load(String spec, Path transformerOverride, boolean verify) {
        switch (spec) {
            case "random:tiny": return LoadedModel.of(spec, WanModel.random(WanConfig.tiny(), 0), null, ModelDefaults.random(true), null);
            case "random:1.3b": return LoadedModel.of(spec, WanModel.random(WanConfig.wan21T2V1_3B(), 0), null, ModelDefaults.random(false), null);
            default: break;
        }
        if (spec.startsWith("random:")) throw new ConfigException("--model " + spec + ": expected random:tiny or random:1.3b");
        Path dir = Path.of(spec);
        if (!Files.exists(dir)) throw new ConfigException("--model " + spec + ": no such file or folder");
        if (PipelineFolder.isPipeline(dir)) {
            PipelineFolder p = PipelineFolder.read(dir);
            Path tdir = transformerOverride != null ? transformerOverride : p.transformer();
            Transformer t = transformer(tdir, transformerOverride != null ? "--transformer" : "--model", verify);
            ModelDefaults d = ModelDefaults.wan(ModelDefaults.UMT5).withScheduler(p.scheduler());
            LoadedModel m = LoadedModel.of(spec, t.model(), t.quantized(), d, p);
            if (p.twoExperts()) {
                if (transformerOverride != null)
                    throw new ConfigException("--transformer: " + dir + " has two experts (transformer, transformer_2); a single "
                            + "quantized transformer cannot replace both");
                Transformer t2 = transformer(p.transformer2(), "--model", verify);
                m = m.withSecondExpert(t2.model(), t2.quantized(), p.boundaryRatio());
            }
            return m;
        }
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

    /** Metadata key of a quantized checkpoint naming the --model it was quantized from. */
    public static final String BASE_MODEL_KEY = "base_model";

    record Transformer(WanModel model, QuantizedCheckpoint.Loaded quantized) {}

    /** A float transformer folder or a quantized checkpoint folder. */
    static Transformer transformer(Path dir, String flag, boolean verify) {
        if (!Files.isDirectory(dir)) throw new ConfigException(flag + " " + dir + ": not a folder");
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
