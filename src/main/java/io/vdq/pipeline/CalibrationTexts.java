package io.vdq.pipeline;

import io.vdq.VdqException.ConfigException;
import io.vdq.VdqException.ShapeException;
import io.vdq.io.Checkpoints;
import io.vdq.io.TensorSource;
import io.vdq.model.wan.WanConfig;
import io.vdq.pipeline.QuantizePipeline.CalibrationText;
import io.vdq.tensor.Tensor;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Calibration text for {@code vdq quantize}, from the model's own encoder or from precomputed embeddings, so that
 * a real Wan model is never calibrated on the synthetic world's embeddings: a pipeline folder's prompts go through
 * its UMT5 encoder with the empty prompt as negative (as WanPipeline samples), vdq-tiny and random models keep the
 * synthetic encoder ({@code null} here: {@link QuantizePipeline}'s own path), and a bare transformer folder, which
 * has no encoder, is refused when a method actually asks for data. Nothing is encoded until then.
 */
public final class CalibrationTexts {
    private CalibrationTexts() {}

    /** The file of {@code --calib-embeds} that holds the negative embeddings shared by all prompts. */
    public static final String NEGATIVE = "negative.safetensors";

    /**
     * @return null when the synthetic world's encoder is the model's own (vdq-tiny, random models) and no embeddings
     * were given; else a supplier that encodes (or reads) on first call
     */
    public static Supplier<List<CalibrationText>> supplier(String modelSpec, List<String> prompts, Path embedsDir, WanConfig c,
                                                           PrintStream log, boolean quiet) {
        if (embedsDir != null) {
            List<CalibrationText> texts = readEmbeds(embedsDir, c); // read now: a bad folder fails before any work
            return () -> texts;
        }
        String kind = encoderKind(modelSpec);
        if (kind.equals(ModelDefaults.SYNTH) || kind.equals(ModelDefaults.RANDOM)) return null;
        List<String> ps = prompts != null ? prompts : QuantizePipeline.DEFAULT_CALIBRATION_PROMPTS;
        if (kind.equals(ModelDefaults.NONE))
            return () -> {
                throw new ConfigException("--model " + modelSpec + " has no text encoder (a bare transformer folder), and this recipe "
                        + "calibrates on data: point --model at the diffusers pipeline root (with text_encoder/ and tokenizer/), or "
                        + "pass --calib-embeds DIR (vdq encode-prompt writes one)");
            };
        PipelineFolder p = PipelineFolder.read(Path.of(modelSpec));
        return () -> {
            try (T5PromptEncoder enc = T5PromptEncoder.load(p.textEncoder(), p.tokenizer(), 512)) {
                if (!quiet) log.println("quantize: encoding " + ps.size() + " calibration prompts with " + enc.describe());
                Tensor negative = enc.encode("");
                List<CalibrationText> out = new ArrayList<>();
                for (String s : ps) out.add(new CalibrationText(s, enc.encode(s), negative));
                return out;
            }
        };
    }

    /** Which encoder a --model spec's embeddings come from (see {@link ModelDefaults}). */
    static String encoderKind(String spec) {
        if (spec.startsWith("random:")) return ModelDefaults.RANDOM;
        Path dir = Path.of(spec);
        if (PipelineFolder.isPipeline(dir)) return ModelDefaults.UMT5;
        Path t = Files.isDirectory(dir.resolve("transformer")) ? dir.resolve("transformer") : dir;
        return ModelDefaults.read(t, ModelDefaults.wan(ModelDefaults.NONE)).textEncoder();
    }

    /** Every *.safetensors of {@code dir} but {@link #NEGATIVE}, in name order, one tensor each. */
    public static List<CalibrationText> readEmbeds(Path dir, WanConfig c) {
        if (!Files.isDirectory(dir)) throw new ConfigException("--calib-embeds " + dir + ": not a folder");
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(f -> f.getFileName().toString().endsWith(".safetensors") && !f.getFileName().toString().equals(NEGATIVE))
                    .sorted().toList();
        } catch (IOException e) {
            throw new ConfigException("--calib-embeds " + dir + ": cannot list: " + e.getMessage());
        }
        if (files.isEmpty()) throw new ConfigException("--calib-embeds " + dir + ": no *.safetensors embeddings in it");
        Tensor negative = Files.isRegularFile(dir.resolve(NEGATIVE)) ? embeds(dir.resolve(NEGATIVE), c) : null;
        List<CalibrationText> out = new ArrayList<>();
        for (Path f : files) {
            Tensor t = embeds(f, c);
            if (negative != null && negative.dim(0) != t.dim(0))
                throw new ShapeException(dir.resolve(NEGATIVE) + ": " + negative.dim(0) + " tokens, but " + f + " has " + t.dim(0));
            out.add(new CalibrationText(f.getFileName().toString(), t, negative));
        }
        return out;
    }

    /** The one tensor of an embeddings file as [L, text_dim]. */
    public static Tensor embeds(Path file, WanConfig c) {
        Tensor t;
        try (TensorSource src = Checkpoints.open(file)) {
            if (src.names().size() != 1)
                throw new ConfigException(file + ": expected exactly one tensor (the text embeddings), found " + src.names());
            t = src.readFloat(src.names().first());
        }
        if (t.rank() == 3 && t.dim(0) == 1) t = t.row(0);
        if (t.rank() != 2 || t.dim(1) != c.textDim())
            throw new ShapeException(file + ": text embeddings " + t.shape() + ", expected [L, " + c.textDim() + "] or [1, L, " + c.textDim() + "]");
        return t;
    }
}
