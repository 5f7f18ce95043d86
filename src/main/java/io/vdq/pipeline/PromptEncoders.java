package io.vdq.pipeline;

import io.vdq.VdqException.ConfigException;
import io.vdq.io.gguf.GgufFile;
import io.vdq.io.gguf.WanGguf;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanGgufLoader;
import java.nio.file.Files;
import java.nio.file.Path;

/** The prompt encoder a model's embeddings come from (see {@link ModelDefaults#textEncoder()}). */
public final class PromptEncoders {
    private PromptEncoders() {}

    /** For a --model spec, without loading its transformer (only config.json is read for text_dim). */
    public static PromptEncoder forModel(String spec, int maxSequenceLength, String flag) {
        if (spec.startsWith("random:")) return new SyntheticPromptEncoder(ModelLoader.randomConfig(spec).textDim());
        Path dir = Path.of(spec);
        if (!Files.exists(dir)) throw new ConfigException("--model " + spec + ": no such file or folder");
        if (ModelLoader.isGguf(dir)) {
            try (var f = GgufFile.open(dir)) {
                int textDim = WanGgufLoader.config(f, WanGguf.toDiffusers(f)).textDim();
                return of(ModelLoader.ggufDefaults(dir).textEncoder(), textDim, null, dir, spec, maxSequenceLength, flag);
            }
        }
        if (PipelineFolder.isPipeline(dir)) {
            PipelineFolder p = PipelineFolder.read(dir);
            return of(ModelDefaults.UMT5, -1, p, p.transformer(), spec, maxSequenceLength, flag);
        }
        Path t = Files.isDirectory(dir.resolve("transformer")) ? dir.resolve("transformer") : dir;
        Path cfg = t.resolve("config.json");
        if (!Files.isRegularFile(cfg)) throw new ConfigException(t + ": no config.json (expected a pipeline or model folder)");
        ModelDefaults d = ModelDefaults.read(t, ModelDefaults.wan(ModelDefaults.NONE));
        return of(d.textEncoder(), WanConfig.read(cfg).textDim(), null, t, spec, maxSequenceLength, flag);
    }

    static PromptEncoder of(String kind, int textDim, PipelineFolder pipeline, Path folder, String spec, int maxSequenceLength, String flag) {
        return switch (kind) {
            case ModelDefaults.UMT5 -> {
                if (pipeline == null)
                    throw new ConfigException(flag + ": " + folder.resolve(ModelDefaults.FILE) + " names the UMT5 encoder, which only a "
                            + "pipeline folder (with text_encoder/ and tokenizer/) provides; point --model at the pipeline root");
                yield T5PromptEncoder.load(pipeline.textEncoder(), pipeline.tokenizer(), maxSequenceLength);
            }
            case ModelDefaults.SYNTH, ModelDefaults.RANDOM -> new SyntheticPromptEncoder(textDim);
            default -> throw new ConfigException(flag + ": --model " + spec + " has no text encoder (a bare transformer folder); "
                    + "point --model at the diffusers pipeline root (with text_encoder/ and tokenizer/), or pass precomputed "
                    + "embeddings (--prompt-embeds for generate, --calib-embeds for quantize)");
        };
    }
}
