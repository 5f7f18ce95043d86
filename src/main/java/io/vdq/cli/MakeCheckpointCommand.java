package io.vdq.cli;

import io.vdq.VdqException.ConfigException;
import io.vdq.io.DType;
import io.vdq.model.t5.SyntheticT5;
import io.vdq.model.t5.T5Config;
import io.vdq.model.vae.WanVaeConfig;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanParameters;
import io.vdq.scale.HeavyTailed;
import io.vdq.scale.SyntheticCheckpoint;
import io.vdq.scale.SyntheticPipeline;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.IntFunction;
import java.util.function.LongConsumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vdq make-checkpoint}: a random Wan checkpoint with heavy-tailed weights and outlier channels, in the
 * diffusers layout, streamed to disk tensor by tensor (see {@link SyntheticCheckpoint}). Named shapes give exact
 * released shapes; {@code --heads/--layers/--ffn/--text-dim} override them (e.g. a 256-wide model for method
 * comparisons). Outputs are large and belong outside the repository.
 */
@Command(name = "make-checkpoint", mixinStandardHelpOptions = true,
        description = "Write a random Wan checkpoint (heavy-tailed weights, outlier channels), tensor by tensor.")
final class MakeCheckpointCommand implements Runnable {
    @Option(names = "--shape", defaultValue = "wan2.1-1.3b", description = "wan2.1-1.3b, wan2.1-14b or tiny (default ${DEFAULT-VALUE}).")
    String shape;

    @Option(names = "--heads", description = "Override: attention heads (head dim stays as the shape's).")
    Integer heads;

    @Option(names = "--head-dim", description = "Override: attention head dim.")
    Integer headDim;

    @Option(names = "--layers", description = "Override: number of blocks.")
    Integer layers;

    @Option(names = "--ffn", description = "Override: FFN width.")
    Integer ffn;

    @Option(names = "--text-dim", description = "Override: text embedding width.")
    Integer textDim;

    @Option(names = "--dist", defaultValue = "student-t", description = "gaussian or student-t (default ${DEFAULT-VALUE}).")
    String dist;

    @Option(names = "--nu", defaultValue = "4", description = "Student-t degrees of freedom (default ${DEFAULT-VALUE}).")
    double nu;

    @Option(names = "--outliers", defaultValue = "4", description = "Outlier channels per weight and per block modulation table (default ${DEFAULT-VALUE}).")
    int outliers;

    @Option(names = "--outlier-scale", defaultValue = "10", description = "Factor of the outlier channels (default ${DEFAULT-VALUE}).")
    double outlierScale;

    @Option(names = "--residual-outliers", defaultValue = "0", description = "Residual-stream outlier channels: this many output "
            + "channels of the patch embedding amplified, so the hidden state carries them through every block (default ${DEFAULT-VALUE}; issue #31 uses dim/12).")
    int residualOutliers;

    @Option(names = "--residual-outlier-scale", defaultValue = "8", description = "Factor of those channels' patch-embedding weights (default ${DEFAULT-VALUE}).")
    double residualOutlierScale;

    @Option(names = "--residual-outlier-bias-scale", description = "Factor of those channels' patch-embedding bias (default 25/8 of --residual-outlier-scale: 25 for 8).")
    Double residualOutlierBiasScale;

    @Option(names = "--dtype", defaultValue = "BF16", description = "BF16, F16 or F32 (default ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--seed", defaultValue = "0", description = "Seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--prompts", defaultValue = "0", description = "Also write this many random prompt embeddings to OUT/prompts/ (default ${DEFAULT-VALUE}).")
    int prompts;

    @Option(names = "--prompt-tokens", defaultValue = "16", description = "Tokens per prompt embedding (default ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = "--pipeline", description = "Write a whole diffusers pipeline folder instead of a transformer: "
            + "model_index.json, transformer/, text_encoder/ (UMT5), tokenizer/, vae/ (Wan VAE), scheduler/.")
    boolean pipeline;

    @Option(names = "--text-encoder", description = "With --pipeline: small (2 UMT5 layers, d_model = the transformer's "
            + "text_dim; the default) or umt5-xxl (24 layers, d_model 4096, d_ff 10240, 64 heads, vocabulary 256 384: ~11 GB in BF16).")
    String textEncoder;

    @Option(names = "--experts", defaultValue = "1", description = "With --pipeline: 1 (Wan2.1) or 2 (the Wan2.2-A14B layout: "
            + "transformer_2/ and boundary_ratio 0.875) (default ${DEFAULT-VALUE}).")
    int experts;

    @Option(names = "--shard-size", defaultValue = "5000000000", description = "Largest transformer shard in bytes: weights larger than this "
            + "are written as diffusers shards with diffusion_pytorch_model.safetensors.index.json (0: one file; default ${DEFAULT-VALUE}, "
            + "as diffusers' 5GB; a Wan2.1-14B shape gets 6 shards). An interrupted sharded write resumes: finished shards are kept.")
    long shardSize;

    @Option(names = "--out", required = true, description = "Output folder (config.json + diffusion_pytorch_model.safetensors; with --pipeline the pipeline root).")
    Path out;

    @Option(names = "--quiet", description = "No progress output.")
    boolean quiet;

    /** The text encoder and VAE of --pipeline, sized to the transformer (d_model = text_dim, z_dim = in_channels). */
    private SyntheticPipeline.Parts pipelineParts(WanConfig c, DType dt) {
        String te = textEncoder == null ? "small" : textEncoder.toLowerCase(Locale.ROOT);
        IntFunction<T5Config> t5 = switch (te) {
            case "small" -> vocab -> {
                int heads = Math.max(1, c.textDim() / 64), dKv = c.textDim() / heads;
                return new T5Config(true, vocab, c.textDim(), dKv, heads, Math.max(2 * c.textDim(), c.textDim() * 5 / 2), 2, 32, 128, 1e-6, "gated-gelu");
            };
            case "umt5-xxl" -> {
                if (c.textDim() != 4096)
                    throw new ConfigException("--text-encoder umt5-xxl has d_model 4096, but the transformer's text_dim is " + c.textDim());
                yield vocab -> SyntheticT5.umt5Xxl();
            }
            default -> throw new ConfigException("--text-encoder " + textEncoder + ": expected small or umt5-xxl");
        };
        WanVaeConfig base = shape.equals("tiny") ? WanVaeConfig.tiny() : WanVaeConfig.wan21();
        int z = c.inChannels();
        float[] mean = new float[z], std = new float[z];
        for (int i = 0; i < z; i++) {
            mean[i] = base.latentsMean()[i % base.zDim()];
            std[i] = base.latentsStd()[i % base.zDim()];
        }
        WanVaeConfig vae = new WanVaeConfig(z, base.baseDim(), base.dimMult(), base.numResBlocks(), base.temperalDownsample(), mean, std);
        return new SyntheticPipeline.Parts(t5, vae, dt, seed, experts);
    }

    @Override
    public void run() {
        WanConfig b = SyntheticCheckpoint.shape(shape);
        WanConfig c = new WanConfig(b.patchT(), b.patchH(), b.patchW(), heads != null ? heads : b.numAttentionHeads(),
                headDim != null ? headDim : b.attentionHeadDim(), b.inChannels(), b.outChannels(),
                textDim != null ? textDim : b.textDim(), b.freqDim(), ffn != null ? ffn : b.ffnDim(),
                layers != null ? layers : b.numLayers(), b.crossAttnNorm(), b.qkNorm(), b.eps(), b.ropeMaxSeqLen());
        DType dt;
        try { dt = DType.valueOf(dtype.toUpperCase(Locale.ROOT)); }
        catch (IllegalArgumentException e) { throw new ConfigException("--dtype " + dtype + ": expected BF16, F16 or F32"); }
        if (prompts < 0 || promptTokens < 1) throw new ConfigException("--prompts must be >= 0 and --prompt-tokens >= 1");
        SyntheticCheckpoint.Options o = new SyntheticCheckpoint.Options(HeavyTailed.parse(dist, nu), outliers, outlierScale, seed, dt,
                residualOutliers, residualOutlierScale, residualOutlierBiasScale != null ? residualOutlierBiasScale
                : SyntheticCheckpoint.Options.defaultResidualBiasScale(residualOutlierScale));
        long total = 0;
        for (int[] s : WanParameters.expectedShapes(c).values()) {
            long n = 1;
            for (int d : s) n *= d;
            total += n * dt.bytes;
        }
        long all = total, t0 = System.nanoTime();
        long[] last = {0};
        Progress shown = new Progress(System.err, quiet);
        LongConsumer progress = done -> {
            if (quiet || (System.nanoTime() - last[0] < 1_000_000_000L && done < all)) return;
            last[0] = System.nanoTime();
            double s = (System.nanoTime() - t0) / 1e9, rate = done / Math.max(s, 1e-9);
            shown.update(String.format(Locale.ROOT, "make-checkpoint: %.0f/%.0f MB  %.0f MB/s  ETA %.0f s", done / 1e6, all / 1e6,
                    rate / 1e6, (all - done) / Math.max(rate, 1)), done >= all);
        };
        if (pipeline) {
            SyntheticPipeline.write(c, out, o, pipelineParts(c, dt), progress);
        } else {
            if (textEncoder != null) throw new ConfigException("--text-encoder: only with --pipeline");
            if (experts != 1) throw new ConfigException("--experts: only with --pipeline");
            if (shardSize < 0) throw new ConfigException("--shard-size must be >= 0, got " + shardSize);
            SyntheticCheckpoint.write(c, out, o, shardSize, progress);
        }
        if (prompts > 0) SyntheticCheckpoint.writePrompts(c, out, prompts, promptTokens, seed);
        if (!quiet) {
            System.out.printf(Locale.ROOT, "wrote %s: dim %d, %d layers, ffn %d, %s %s, %d outlier channels ×%.3g%s, %.2f GB in %.1f s%n",
                    out, c.dim(), c.numLayers(), c.ffnDim(), dt, o.dist(), outliers, outlierScale,
                    residualOutliers == 0 ? "" : String.format(Locale.ROOT, ", %d residual outlier channels (weights ×%.3g, bias ×%.3g)",
                            residualOutliers, o.residualWeightScale(), o.residualBiasScale()),
                    total / 1e9, (System.nanoTime() - t0) / 1e9);
        }
    }
}
