package io.vdq.scale;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException.ConfigException;
import io.vdq.io.AtomicFiles;
import io.vdq.io.DType;
import io.vdq.model.t5.SyntheticT5;
import io.vdq.model.t5.T5Config;
import io.vdq.model.vae.SyntheticVae;
import io.vdq.model.vae.WanVaeConfig;
import io.vdq.model.wan.WanConfig;
import io.vdq.text.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.function.IntFunction;
import java.util.function.LongConsumer;

/**
 * A random-weight diffusers Wan pipeline folder in the real layout, so that every path from a prompt to an MP4
 * runs without downloads: {@code model_index.json}, {@code transformer/} ({@link SyntheticCheckpoint}),
 * {@code text_encoder/} (a UMT5 encoder whose d_model is the transformer's text_dim), {@code tokenizer/} (a small
 * SentencePiece Unigram model trained for vdq's tests), {@code vae/} (the Wan VAE layout with z_dim = the
 * transformer's in_channels) and {@code scheduler/scheduler_config.json} (UniPC, flow shift 3, as Wan2.1 ships).
 */
public final class SyntheticPipeline {
    private SyntheticPipeline() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What to write besides the transformer. */
    /**
     * @param textEncoder the encoder's config given the tokenizer's vocabulary size (its vocab_size must cover it)
     * @param experts 1 (Wan2.1) or 2 (the Wan2.2-A14B layout: {@code transformer_2/} with other random weights and
     *                {@code boundary_ratio} {@link #BOUNDARY_RATIO} in model_index.json)
     */
    public record Parts(IntFunction<T5Config> textEncoder, WanVaeConfig vae, DType dtype, long seed, int experts) {}

    /** Wan2.2-T2V-A14B's switch point: timesteps ≥ 875 run the high-noise expert. */
    public static final double BOUNDARY_RATIO = 0.875;

    public static void write(WanConfig c, Path root, SyntheticCheckpoint.Options o, Parts p, LongConsumer progress) {
        if (p.experts() < 1 || p.experts() > 2) throw new ConfigException("--experts " + p.experts() + ": expected 1 or 2");
        SyntheticCheckpoint.write(c, root.resolve("transformer"), o, progress);
        if (p.experts() == 2)
            SyntheticCheckpoint.write(c, root.resolve("transformer_2"), new SyntheticCheckpoint.Options(o.dist(), o.outliers(),
                    o.outlierScale(), o.seed() + 1_000_003L, o.dtype()), progress);
        Tokenizer.writeTinyTokenizer(root.resolve("tokenizer"));
        int vocab = Tokenizer.load(root.resolve("tokenizer")).vocabSize();
        T5Config t5 = p.textEncoder().apply(vocab);
        if (t5.vocabSize() < vocab)
            throw new ConfigException("text encoder vocab_size " + t5.vocabSize() + " < the tokenizer's " + vocab);
        if (t5.dModel() != c.textDim())
            throw new ConfigException("text encoder d_model " + t5.dModel() + " differs from the transformer's text_dim " + c.textDim());
        SyntheticT5.write(root.resolve("text_encoder"), t5, p.seed() + 1, p.dtype(), 5L << 30);
        SyntheticVae.write(root.resolve("vae"), p.vae(), p.seed() + 2, p.dtype());
        writeScheduler(root.resolve("scheduler"), 3.0);
        ObjectNode idx = JSON.createObjectNode();
        idx.put("_class_name", "WanPipeline").put("_diffusers_version", "0.33.0");
        idx.putArray("scheduler").add("diffusers").add("UniPCMultistepScheduler");
        idx.putArray("text_encoder").add("transformers").add("UMT5EncoderModel");
        idx.putArray("tokenizer").add("transformers").add("T5TokenizerFast");
        idx.putArray("transformer").add("diffusers").add("WanTransformer3DModel");
        idx.putArray("vae").add("diffusers").add("AutoencoderKLWan");
        if (p.experts() == 2) {
            idx.putArray("transformer_2").add("diffusers").add("WanTransformer3DModel");
            idx.put("boundary_ratio", BOUNDARY_RATIO);
        }
        writeJson(root.resolve("model_index.json"), idx);
    }

    /** UniPC as Wan2.1's diffusers pipelines ship it (flow_prediction, flow sigmas, order 2, bh2). */
    public static void writeScheduler(Path dir, double flowShift) {
        ObjectNode s = JSON.createObjectNode();
        s.put("_class_name", "UniPCMultistepScheduler").put("_diffusers_version", "0.33.0")
                .put("beta_end", 0.02).put("beta_schedule", "linear").put("beta_start", 0.0001)
                .put("final_sigmas_type", "zero").put("flow_shift", flowShift).put("lower_order_final", true)
                .put("num_train_timesteps", 1000).put("predict_x0", true).put("prediction_type", "flow_prediction")
                .put("solver_order", 2).put("solver_type", "bh2").put("steps_offset", 0).put("thresholding", false)
                .put("timestep_spacing", "linspace").put("use_flow_sigmas", true).put("use_karras_sigmas", false);
        s.putArray("disable_corrector");
        writeJson(dir.resolve("scheduler_config.json"), s);
    }

    private static void writeJson(Path file, ObjectNode n) {
        try {
            AtomicFiles.writeBytes(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write: " + e.getMessage(), e);
        }
    }
}
