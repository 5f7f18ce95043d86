package io.vdq.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException.ConfigException;
import io.vdq.eval.report.Charts;
import io.vdq.eval.vbench.Dimension;
import io.vdq.io.AtomicFiles;
import io.vdq.io.Checkpoints;
import io.vdq.io.DType;
import io.vdq.io.SafetensorsWriter;
import io.vdq.kernel.Kernels;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.pipeline.ModelDefaults;
import io.vdq.synth.SpecSampler;
import io.vdq.synth.TextEncoder;
import io.vdq.tensor.Parallel;
import io.vdq.tensor.Tensor;
import io.vdq.train.FlowMatching;
import io.vdq.train.TinyTrainer;
import io.vdq.train.WanTrainConfig;
import io.vdq.train.WanTrainModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SequencedMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vdq train-tiny}: trains vdq-tiny, a Wan2.1-architecture transformer in pixel space, on the synthetic world
 * with the flow-matching loss, and writes a diffusers model folder ({@code config.json},
 * {@code diffusion_pytorch_model.safetensors}) plus {@code train-log.txt}, {@code loss.png} and {@code train.json}.
 * Checkpoints (EMA weights when EMA is on) replace the folder's weights atomically every {@code --checkpoint-every}
 * steps, so an interrupted run still leaves a usable model. {@code --eval-only} scores an existing folder on the TEST
 * split instead (colour and direction accuracy are the acceptance figures).
 */
@Command(name = "train-tiny", mixinStandardHelpOptions = true,
        description = "Train vdq-tiny (Wan architecture, pixel space) on the synthetic world; or --eval-only to score it on the TEST split.")
final class TrainTinyCommand implements Runnable {
    @Option(names = "--out", defaultValue = "models/vdq-tiny", description = "Model folder to write (default ${DEFAULT-VALUE}).")
    Path out;
    @Option(names = "--steps", defaultValue = "7000", description = "Optimiser steps (default ${DEFAULT-VALUE}).")
    int steps;
    @Option(names = "--batch", defaultValue = "16", description = "Videos per step (default ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--lr", defaultValue = "8e-4", description = "Peak AdamW learning rate (default ${DEFAULT-VALUE}).")
    double lr;
    @Option(names = "--seed", defaultValue = "1", description = "Initialisation and noise seed (default ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--frames", defaultValue = "8", description = "Video frames (default ${DEFAULT-VALUE}).") int frames;
    @Option(names = "--size", defaultValue = "32", description = "Frame height = width (default ${DEFAULT-VALUE}).") int size;
    @Option(names = "--patch-t", defaultValue = "4", description = "Temporal patch (default ${DEFAULT-VALUE}).") int patchT;
    @Option(names = "--patch", defaultValue = "4",
            description = "Spatial patch: N (N×N) or HxW, e.g. 2x4 (default ${DEFAULT-VALUE}).") String patchSpec;
    @Option(names = "--heads", defaultValue = "2", description = "Attention heads (default ${DEFAULT-VALUE}).") int heads;
    @Option(names = "--head-dim", defaultValue = "128", description = "Head dimension (default ${DEFAULT-VALUE}).") int headDim;
    @Option(names = "--ffn", defaultValue = "512", description = "FFN width (default ${DEFAULT-VALUE}).") int ffn;
    @Option(names = "--layers", defaultValue = "4", description = "Transformer blocks (default ${DEFAULT-VALUE}).") int layers;
    @Option(names = "--ema", defaultValue = "0.995", description = "EMA decay, 0 = off (default ${DEFAULT-VALUE}).") double ema;
    @Option(names = "--drop-text", defaultValue = "0.1", description = "Probability of an all-zero caption, for CFG (default ${DEFAULT-VALUE}).")
    double dropText;
    @Option(names = "--checkpoint-every", defaultValue = "200", description = "Save the model every this many steps (default ${DEFAULT-VALUE}).") int checkpointEvery;
    @Option(names = "--dtype", defaultValue = "BF16", description = "Stored weight dtype: BF16 or F32 (default ${DEFAULT-VALUE}).")
    DType dtype;
    @Option(names = "--eval-prompts", defaultValue = "16", description = "Prompts scored after training / with --eval-only (default ${DEFAULT-VALUE}).")
    int evalPrompts;
    @Option(names = "--eval-seeds", defaultValue = "1", description = "Noise seeds per evaluated prompt (default ${DEFAULT-VALUE}).")
    int evalSeeds;
    @Option(names = "--eval-only", description = "Do not train: score the model in --out on the TEST split (or --eval-split).")
    boolean evalOnly;
    @Option(names = "--eval-split", defaultValue = "TEST", description = "Split scored by --eval-only: TEST (the acceptance figure) "
            + "or VALIDATION (for looking at a model while choosing settings, without spending the test set) (default ${DEFAULT-VALUE}).")
    SpecSampler.Split evalSplit;
    @Option(names = "--init", description = "Continue from this model folder's weights (its config.json sets the architecture; "
            + "the optimiser starts fresh with its own warm-up). Data and noise continue after its recorded step.")
    Path init;
    @Option(names = "--sheets", description = "With --eval-only: also write a PNG contact sheet of every evaluated video to this folder.")
    Path sheets;
    @Option(names = "--prediction", defaultValue = "flow", description = "What proj_out predicts: sample (the clean video x̂, "
            + "converted to the velocity; lost to flow on vdq-tiny, docs/TRAINING.md) or flow (the velocity, as released Wan) (default ${DEFAULT-VALUE}).")
    String prediction;
    @Option(names = "--sample-min-sigma", defaultValue = "0.05", description = "With --prediction sample: v = (x_t − x̂)/max(σ, this) (default ${DEFAULT-VALUE}).")
    float sampleMinSigma;
    @Option(names = "--loss", defaultValue = "v", description = "With --prediction sample: v (the velocity loss, i.e. the x̂ error "
            + "weighted by 1/max(σ, floor)²) or x (the plain MSE of x̂ against the clean video) (default ${DEFAULT-VALUE}).")
    String loss;
    @Option(names = "--sigma-logit-mean", defaultValue = "1.1", description = "Training noise levels σ = sigmoid(m + N(0, 1)); "
            + "m = ln 3 ≈ 1.1 is the sampler's shift 3 applied to logit-normal(0, 1); "
            + "m > 0 trains more at high noise, where the caption matters most (default ${DEFAULT-VALUE}).")
    double sigmaLogitMean;
    @Option(names = "--sample-steps", defaultValue = "20", description = "Sampling steps of the evaluation videos (default ${DEFAULT-VALUE}).") int sampleSteps;
    @Option(names = "--guidance", defaultValue = "4.0", description = "Classifier-free guidance scale of the evaluation videos (default ${DEFAULT-VALUE}).") float guidance;
    @Option(names = "--shift", defaultValue = "3.0", description = "Flow-matching schedule shift of the evaluation videos (default ${DEFAULT-VALUE}).") double shift;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** "N" → {N, N}; "HxW" → {H, W}; anything else is a ConfigException naming the option. */
    static int[] parsePatch(String spec) {
        String[] parts = spec.trim().toLowerCase(Locale.ROOT).split("x", -1);
        try {
            int h = Integer.parseInt(parts[0].trim()), w = parts.length == 2 ? Integer.parseInt(parts[1].trim()) : h;
            if (parts.length <= 2 && h >= 1 && w >= 1) return new int[]{h, w};
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigException("train-tiny: --patch '" + spec + "': expected a positive N or HxW, e.g. 4 or 2x4");
    }

    @Override
    public void run() {
        TextEncoder enc = TextEncoder.standard();
        if (evalOnly) {
            if (evalSplit == SpecSampler.Split.TRAIN) throw new ConfigException("train-tiny: --eval-split TRAIN: expected TEST or VALIDATION");
            WanModel m = WanModel.load(WanConfig.read(out.resolve("config.json")), Checkpoints.open(out));
            evaluate(m, enc, evalSplit, System.out);
            return;
        }
        int[] hw = parsePatch(patchSpec);
        int patchH = hw[0], patchW = hw[1];
        if (steps < 1 || batch < 1 || patchT < 1 || frames % patchT != 0 || size % patchH != 0 || size % patchW != 0)
            throw new ConfigException("train-tiny: --steps " + steps + " --batch " + batch + " --frames " + frames + " --size " + size
                    + ": need steps, batch >= 1, frames divisible by --patch-t " + patchT + " and size by --patch " + patchSpec);
        if (frames > 1025 || size > 4096 || batch > 4096 || 3L * batch * frames * size * size > Integer.MAX_VALUE - 8)
            throw new ConfigException("train-tiny: --batch " + batch + " --frames " + frames + " --size " + size
                    + ": at most 1025 frames of 4096×4096, a batch of 4096, and one batch within one Java array ("
                    + (Integer.MAX_VALUE - 8) + " values)");
        if (!prediction.equals("sample") && !prediction.equals("flow"))
            throw new ConfigException("train-tiny: --prediction '" + prediction + "': expected sample or flow");
        if (prediction.equals("sample") && !(sampleMinSigma > 0 && sampleMinSigma < 1))
            throw new ConfigException("train-tiny: --sample-min-sigma " + sampleMinSigma + ": expected a value in (0, 1)");
        float minSigma = prediction.equals("sample") ? sampleMinSigma : 0f;
        if (!loss.equals("v") && !loss.equals("x")) throw new ConfigException("train-tiny: --loss '" + loss + "': expected v or x");
        if (loss.equals("x") && minSigma == 0)
            throw new ConfigException("train-tiny: --loss x needs --prediction sample (a velocity-predicting model is trained on the velocity loss)");
        if (!Double.isFinite(sigmaLogitMean)) throw new ConfigException("train-tiny: --sigma-logit-mean " + sigmaLogitMean + ": expected a finite number");
        if (dtype != DType.BF16 && dtype != DType.F32) throw new ConfigException("train-tiny: --dtype " + dtype + ": expected BF16 or F32");
        WanTrainConfig cfg;
        WanTrainModel model;
        int firstStep = 0;
        String previousLog = "";
        if (init != null) {
            WanConfig ic = WanConfig.read(init.resolve("config.json"));
            cfg = new WanTrainConfig(ic.inChannels(), ic.outChannels(), ic.patchT(), ic.patchH(), ic.patchW(), ic.numAttentionHeads(),
                    ic.attentionHeadDim(), ic.ffnDim(), ic.numLayers(), ic.textDim(), ic.freqDim(), ic.eps(), 10000);
            var src = Checkpoints.open(init);
            Map<String, Tensor> w = new LinkedHashMap<>();
            for (String n : src.names()) w.put(n, src.readFloat(n));
            model = WanTrainModel.fromWeights(cfg, w, init.toString());
            String st = src.metadata().get("vdq_train_step");
            try {
                firstStep = st == null ? 0 : Integer.parseInt(st);
            } catch (NumberFormatException e) {
                throw new ConfigException(init + ": metadata vdq_train_step '" + st + "' is not an integer");
            }
            try {
                Path log = init.resolve("train-log.txt");
                if (Files.isRegularFile(log)) previousLog = Files.readString(log, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("train-tiny: reading " + init.resolve("train-log.txt"), e);
            }
        } else {
            if (heads < 1 || headDim < 2 || (long) heads * headDim > WanConfig.MAX_DIM)
                throw new ConfigException("--heads " + heads + " × --head-dim " + headDim + ": expected positive values whose product is at most "
                        + WanConfig.MAX_DIM);
            cfg = new WanTrainConfig(3, 3, patchT, patchH, patchW, heads, headDim, ffn, layers, enc.textDim(), 256, 1e-6f, 10000);
            model = WanTrainModel.create(cfg, seed);
        }
        if (cfg.patchT() != patchT || cfg.patchH() != patchH || cfg.patchW() != patchW)
            throw new ConfigException("train-tiny: --init " + init + " has patch [" + cfg.patchT() + ", " + cfg.patchH() + ", " + cfg.patchW()
                    + "]; pass --patch-t/--patch to match and frames/size divisible by it");
        final int offset = firstStep;
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new UncheckedIOException("train-tiny: cannot create " + out, e);
        }
        StringBuilder logText = new StringBuilder(previousLog);
        PrintStream tee = new PrintStream(new OutputStream() {
            private final ByteArrayOutputStream line = new ByteArrayOutputStream();
            @Override public void write(int b) {
                System.out.write(b);
                line.write(b);
                if (b == '\n') { System.out.flush(); logText.append(line.toString(StandardCharsets.UTF_8)); line.reset(); }
            }
        }, true, StandardCharsets.UTF_8);
        int tokens = (frames / patchT) * (size / patchH) * (size / patchW);
        tee.printf(Locale.ROOT, "train-tiny: width %d (%d heads × %d), %d layers, ffn %d, %d×%dx%d pixels, patch (%d,%d,%d) = %d tokens, "
                        + "batch %d, %d steps, lr %.1e, EMA %s, prediction %s, seed %d, %d threads, backend %s%n",
                cfg.dim(), cfg.numHeads(), cfg.headDim(), cfg.numLayers(), cfg.ffnDim(), frames, size, size, patchT, patchH, patchW, tokens, batch, steps, lr,
                ema > 0 ? String.valueOf(ema) : "off", minSigma > 0 ? "sample (σ floor " + minSigma + ", " + loss + " loss)" : "flow", seed, Parallel.threads(), Kernels.describe());
        if (offset > 0) tee.printf(Locale.ROOT, "continuing from %s at step %d (fresh optimiser; steps below count from there)%n", init, offset);
        TinyTrainer.Options o = new TinyTrainer.Options(steps, lr, lr * 0.1, Math.min(steps / 20, 100), 0.01, 1.0, ema,
                FlowMatching.Sigmas.LOGIT_NORMAL, seed + 7919L * offset, checkpointEvery, 10, minSigma, sigmaLogitMean, loss.equals("x"));
        TinyData data = new TinyData(enc, batch, frames, size, dropText, seed);
        long t0 = System.nanoTime();
        TinyTrainer.Result r = TinyTrainer.run(model, step -> data.get(offset + step), o, tee,
                (step, weights) -> {
                    save(cfg, minSigma, weights, offset + step);
                    tee.printf(Locale.ROOT, "checkpoint at step %d -> %s (%.1f min)%n", offset + step, out, (System.nanoTime() - t0) / 6e10);
                    writeLog(logText);
                });
        double minutes = (System.nanoTime() - t0) / 6e10;
        tee.printf(Locale.ROOT, "trained %d steps in %.1f min%n", steps, minutes);
        Charts.lines(out.resolve("loss.png"), "vdq-tiny flow-matching loss (mean of 10 steps)", "step / 10", "loss",
                new LinkedHashMap<>(Map.of("loss", smooth(r.losses(), 10))));
        WanModel m = WanModel.load(WanConfig.read(out.resolve("config.json")), Checkpoints.open(out));
        TinyEval.Result val = evaluate(m, enc, SpecSampler.Split.VALIDATION, tee);
        writeLog(logText);
        writeSummary(cfg, r.losses(), minutes, val);
    }

    private TinyEval.Result evaluate(WanModel m, TextEncoder enc, SpecSampler.Split split, PrintStream log) {
        log.printf(Locale.ROOT, "evaluating on %s: %d prompts × %d seeds, %d UniPC steps, CFG %.1f, shift %.1f%n", split,
                evalPrompts, evalSeeds, sampleSteps, guidance, shift);
        if (sheets != null) {
            try {
                Files.createDirectories(sheets);
            } catch (IOException e) {
                throw new UncheckedIOException("train-tiny: cannot create --sheets " + sheets, e);
            }
        }
        var res = TinyEval.run(m, enc, TinyEval.prompts(split, evalPrompts, size), evalSeeds, frames, size, sampleSteps, guidance,
                shift, log, evalOnly ? sheets : null);
        log.println(split + " (" + res.videos() + " videos): " + res.summary());
        return res;
    }

    private void save(WanTrainConfig cfg, float minSigma, SequencedMap<String, Tensor> weights, int step) {
        try {
            // through WanConfig: refuses a config the runtime could not load, and writes prediction_type in one place
            String configJson = WanConfig.parse(JSON.writeValueAsString(cfg.toDiffusersConfig()), "vdq-tiny config")
                    .withSamplePrediction(minSigma).toJson();
            new SafetensorsWriter().metadata("format", "pt").metadata("vdq_train_step", String.valueOf(step))
                    .addAll(weights, dtype).write(out.resolve("diffusion_pytorch_model.safetensors"));
            AtomicFiles.writeBytes(out.resolve("config.json"), configJson.getBytes(StandardCharsets.UTF_8));
            // how vdq generate samples this model with no other flag: its encoder, pixel space, the training video size
            ObjectNode vdq = JSON.createObjectNode();
            vdq.put("text_encoder", ModelDefaults.SYNTH).put("pixel_space", true);
            vdq.putObject("defaults").put("frames", frames).put("height", size).put("width", size).put("steps", 10)
                    .put("shift", 3.0).put("guidance", 5.0).put("fps", 8).put("sampler", "unipc");
            AtomicFiles.writeBytes(out.resolve(ModelDefaults.FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(vdq));
        } catch (IOException e) {
            throw new UncheckedIOException("train-tiny: writing " + out, e);
        }
    }

    private void writeLog(StringBuilder text) {
        AtomicFiles.writeBytes(out.resolve("train-log.txt"), text.toString().getBytes(StandardCharsets.UTF_8));
    }

    private void writeSummary(WanTrainConfig cfg, double[] losses, double minutes, TinyEval.Result val) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode opt = root.putObject("options");
        opt.put("steps", steps).put("batch", batch).put("lr", lr).put("seed", seed).put("frames", frames).put("size", size)
                .put("patch_t", patchT).put("ema", ema).put("drop_text", dropText).put("dtype", dtype.name())
                .put("threads", Parallel.threads()).put("prediction", prediction).put("sample_min_sigma", sampleMinSigma).put("loss", loss)
                .put("sigma_logit_mean", sigmaLogitMean);
        // a number for square patches, as before HxW existed; "HxW" otherwise (parsed values, not the raw option text)
        if (cfg.patchH() == cfg.patchW()) opt.put("patch", cfg.patchH());
        else opt.put("patch", cfg.patchH() + "x" + cfg.patchW());
        root.put("width", cfg.dim()).put("minutes", minutes);
        ArrayNode l = root.putArray("loss_mean_per_10_steps");
        for (double v : smooth(losses, 10)) l.add(v);
        ObjectNode v = root.putObject("validation");
        v.put("videos", val.videos());
        for (var d : Dimension.values()) v.put(d.key(), val.get(d));
        try {
            AtomicFiles.writeBytes(out.resolve("train.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        } catch (IOException e) {
            throw new UncheckedIOException("train-tiny: writing train.json", e);
        }
    }

    static double[] smooth(double[] x, int k) {
        double[] y = new double[(x.length + k - 1) / k];
        for (int i = 0; i < y.length; i++) {
            double s = 0;
            int n = 0;
            for (int j = i * k; j < Math.min(x.length, (i + 1) * k); j++) { s += x[j]; n++; }
            y[i] = s / n;
        }
        return y;
    }
}
