package io.vdq.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException;
import io.vdq.VdqException.ConfigException;
import io.vdq.diffusion.Sampler;
import io.vdq.diffusion.Scheduler;
import io.vdq.diffusion.StepHook;
import io.vdq.io.Checkpoints;
import io.vdq.io.SafetensorsWriter;
import io.vdq.io.TensorSource;
import io.vdq.kernel.Kernels;
import io.vdq.quant.Calibration;
import io.vdq.quant.IntExec;
import io.vdq.quant.Presets;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.QuantReport;
import io.vdq.quant.SamplerHook;
import io.vdq.quant.ckpt.QuantizedCheckpoint;
import io.vdq.quant.dvd.DvdQuantMethod;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.tensor.Parallel;
import io.vdq.tensor.Tensor;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vdq generate}: text-to-video latents with a Wan transformer (or a seeded random one), flow-matching
 * Euler or UniPC, classifier-free guidance. Writes {@code latents.safetensors} ({@code [1, C, F, H, W]}),
 * {@code preview.gif} and {@code contact_sheet.png} (a channel preview, see {@link LatentPreview}) and
 * {@code run.json}; the same arguments give byte-identical latents.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Sample video latents with a Wan2.1 transformer (text embeddings in, latents out).")
final class GenerateCommand implements Runnable {
    private static final System.Logger LOG = System.getLogger("io.vdq.cli.generate");
    /** Wan-VAE compression: 4× in time (first frame kept), 8× in space. */
    static final int VAE_T = 4, VAE_S = 8;

    @Option(names = "--model", required = true,
            description = "Diffusers transformer folder (config.json + diffusion_pytorch_model.safetensors), a quantized "
                    + "checkpoint folder written by vdq quantize, or random:tiny / random:1.3b.")
    String model;

    @Option(names = {"--prompt-embeds", "--text-emb"}, description = "Text encoder output as safetensors, [L, text_dim] or [1, L, text_dim].")
    Path promptEmbeds;

    @Option(names = {"--negative-embeds", "--negative-text-emb"}, description = "Negative prompt embeddings (default: zeros shaped like the prompt's).")
    Path negativeEmbeds;

    @Option(names = "--steps", defaultValue = "50", description = "Sampling steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = {"--guidance", "--cfg"}, defaultValue = "5.0", description = "Classifier-free guidance scale; <= 1 disables CFG (default ${DEFAULT-VALUE}).")
    float guidance;

    @Option(names = "--shift", defaultValue = "3.0", description = "Flow shift (default ${DEFAULT-VALUE}; Wan recommends 5 at 720p).")
    double shift;

    @Option(names = "--sampler", defaultValue = "unipc", description = "unipc or euler (default ${DEFAULT-VALUE}).")
    String sampler;

    @Option(names = "--seed", defaultValue = "0", description = "Noise seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--frames", description = "Video frames, 4k+1 (default 81; 5 for random:tiny).")
    Integer frames;

    @Option(names = "--height", description = "Video height in pixels, multiple of 16 (default 480; 64 for random:tiny).")
    Integer height;

    @Option(names = "--width", description = "Video width in pixels, multiple of 16 (default 832; 64 for random:tiny).")
    Integer width;

    @Option(names = "--max-sequence-length", defaultValue = "512",
            description = "Text embeddings are zero-padded to this many tokens, as diffusers' WanPipeline does (default ${DEFAULT-VALUE}; 0 = no padding).")
    int maxSequenceLength;

    @Option(names = "--out", required = true, description = "Output folder (created if missing).")
    Path out;

    @Option(names = "--save-model", description = "Also save the model used as a diffusers folder (config.json + "
            + "diffusion_pytorch_model.safetensors), e.g. to keep random:tiny as a real checkpoint.")
    Path saveModel;

    @Option(names = "--quant", description = "Quantize the model with this recipe (a preset name such as w4a6-dvd, or a "
            + "recipe JSON file) before sampling; data-free methods only (no calibration data is fed).")
    String quant;

    @Option(names = "--base", description = "With a quantized --model: the float model it must have been made from "
            + "(folder or random:*); refused unless its SHA-256 equals the checkpoint's base_sha256.")
    String base;

    @Option(names = "--backend", description = "How quantized layers run: int (integer kernels: native AVX-512 VNNI or "
            + "AVX2 as the CPU allows (-Dvdq.native), else the bit-identical Java integer reference; layers the kernels cannot express stay "
            + "fake-quant) or fakequant (float reference). Default: -Dvdq.quant.exec, else int.")
    String backend;

    @Option(names = "--quiet", description = "No progress output.")
    boolean quiet;

    /** Metadata key of a quantized checkpoint naming the --model it was quantized from. */
    static final String BASE_MODEL_KEY = "base_model";

    /** Set when --model is a quantized checkpoint (vdq quantize's output). */
    private QuantizedCheckpoint.Loaded loaded;

    @Override
    public void run() {
        long t0 = System.nanoTime();
        if (frames != null && (frames < 1 || (frames - 1) % VAE_T != 0))
            throw new ConfigException("--frames " + frames + ": expected 4k+1 (1, 5, …, 81)");
        Scheduler sched = Scheduler.create(sampler, steps, shift); // checks --sampler/--steps/--shift before loading
        IntExec.Mode execMode = backend == null ? null : IntExec.parseMode(backend);
        WanModel wan = loadModel();
        // a quantized checkpoint of random:tiny keeps random:tiny's defaults (sizes, random text from the seed)
        boolean random = model.startsWith("random:")
                || (loaded != null && loaded.metadata().getOrDefault(BASE_MODEL_KEY, "").startsWith("random:"));
        int f = frames != null ? frames : random ? 5 : 81;
        int h = height != null ? height : random ? 64 : 480;
        int w = width != null ? width : random ? 64 : 832;
        if (saveModel != null) {
            wan.save(saveModel);
            LOG.log(System.Logger.Level.INFO, "saved model to " + saveModel);
        }
        if (base != null) checkBase();
        // of the float weights: a quantized model has no float linears to hash (a quantized checkpoint records its base's)
        String modelHash = loaded != null ? loaded.baseSha256() : wan.fingerprint();
        if (loaded != null && quant != null)
            throw new ConfigException("--quant " + quant + ": --model " + model + " is already quantized (recipe "
                    + loaded.recipe().name() + ")");
        QuantReport rep = loaded != null ? loaded.report()
                : quant == null ? null : QuantMethods.apply(wan, Presets.resolve(quant), Calibration.none());
        if (loaded != null && !quiet)
            System.err.printf("generate: loaded quantized checkpoint %s: recipe %s (method %s, %d quantized layers)%n", model,
                    loaded.recipe().name(), loaded.report().method(), wan.linears().values().stream()
                            .filter(l -> !(l instanceof io.vdq.model.FloatLinear)).count());
        SamplerHook quantHook = rep == null ? SamplerHook.NONE : rep.hook();
        if (execMode != null) IntExec.setMode(execMode);
        String execution = rep == null ? null : IntExec.summary(wan);
        if (execution != null) System.err.println("generate: " + execution);
        WanConfig c = wan.config();
        int spatial = VAE_S * Math.max(c.patchH(), c.patchW());
        if (h <= 0 || w <= 0 || h % spatial != 0 || w % spatial != 0)
            throw new ConfigException("--height/--width " + h + "×" + w + ": expected positive multiples of " + spatial);
        int[] latentShape = {c.inChannels(), (f - 1) / VAE_T + 1, h / VAE_S, w / VAE_S};
        if (latentShape[1] % c.patchT() != 0)
            throw new ConfigException("--frames " + f + " gives " + latentShape[1] + " latent frames, not a multiple of patch " + c.patchT());

        String textSource;
        Tensor text, negative = null;
        if (promptEmbeds != null) {
            text = readEmbeds(promptEmbeds, c);
            textSource = promptEmbeds.toString();
        } else if (random) {
            text = Tensor.randn(seed ^ 0x7e57L, 16, c.textDim());
            textSource = "random [16, " + c.textDim() + "] from the seed";
        } else {
            throw new ConfigException("--prompt-embeds is required for a trained model (vdq has no text encoder for Wan yet)");
        }
        if (negativeEmbeds != null) negative = readEmbeds(negativeEmbeds, c);
        text = padText(text, maxSequenceLength, "--prompt-embeds");
        if (negative != null) negative = padText(negative, maxSequenceLength, "--negative-embeds");
        double loadS = (System.nanoTime() - t0) / 1e9;

        String deltaNote = rep == null ? null : loaded != null
                ? DvdQuantMethod.controller(rep).map(g -> g.delta() + " (stored in the quantized checkpoint)").orElse(null)
                : chooseDelta(wan, rep, latentShape, text, negative);

        Tensor noise = Sampler.noise(seed, latentShape);
        PrintStream err = System.err;
        long[] stepStart = new long[1];
        double[] stepSeconds = new double[steps];
        long s0 = System.nanoTime();
        Tensor latents = Sampler.sample(wan::forward, sched, noise, text, negative, guidance, SamplerHooks.adapt(quantHook, new StepHook() {
            @Override public void beforeStep(Step s) { stepStart[0] = System.nanoTime(); }
            @Override public void afterStep(Step s) {
                stepSeconds[s.index()] = (System.nanoTime() - stepStart[0]) / 1e9;
                if (!quiet) {
                    double done = (System.nanoTime() - s0) / 1e9, per = done / (s.index() + 1);
                    err.printf("\rgenerate: step %d/%d  %.2f s/step  ETA %.0f s   ", s.index() + 1, s.steps(), per,
                            per * (s.steps() - s.index() - 1));
                    if (s.index() + 1 == s.steps()) err.println();
                }
            }
        }));
        double sampleS = (System.nanoTime() - s0) / 1e9;

        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new UncheckedIOException(out + ": cannot create output folder: " + e.getMessage(), e);
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "vdq-latents");
        meta.put("model", model);
        meta.put("model_sha256", modelHash);
        if (rep != null) {
            meta.put("quant", rep.recipe().name());
            if (loaded != null) meta.put("quant_checkpoint", "true");
            DvdQuantMethod.controller(rep).ifPresent(g -> meta.put("activation_bits_per_step",
                    io.vdq.quant.dvd.BitSwitcher.format(g.schedule())));
            if (deltaNote != null) meta.put("gbs_delta", deltaNote);
            meta.put("quant_execution", execution);
        }
        meta.put("sampler", sched.name());
        meta.put("steps", Integer.toString(steps));
        meta.put("shift", Double.toString(shift));
        meta.put("cfg", Float.toString(guidance));
        meta.put("seed", Long.toString(seed));
        meta.put("prompt_embeds", textSource);
        meta.put("negative_embeds", negativeEmbeds == null ? (guidance > 1 ? "zeros" : "none") : negativeEmbeds.toString());
        meta.put("video", f + "x" + h + "x" + w);
        meta.put("max_sequence_length", Integer.toString(maxSequenceLength));
        Tensor batched = latents.reshape(1, latentShape[0], latentShape[1], latentShape[2], latentShape[3]);
        new SafetensorsWriter().metadata(meta).add("latents", batched).write(out.resolve("latents.safetensors"));
        Tensor preview = LatentPreview.video(latents);
        LatentPreview.writeGif(out.resolve("preview.gif"), preview, 250, VAE_S);
        LatentPreview.writeContactSheet(out.resolve("contact_sheet.png"), preview, VAE_S);
        writeRunJson(c, sched, latentShape, f, h, w, textSource, loadS, sampleS, stepSeconds, meta);
        LOG.log(System.Logger.Level.DEBUG, "wrote " + out.resolve("latents.safetensors"));
        if (!quiet) System.out.printf("latents %s → %s (%.2f s sampling, %s)%n", java.util.Arrays.toString(latentShape),
                out.resolve("latents.safetensors"), sampleS, sched.name());
    }

    /** --base: loads that float model and refuses a quantized --model made from other weights. */
    private void checkBase() {
        if (loaded == null) throw new ConfigException("--base " + base + ": only for a quantized --model (" + model + " is float)");
        GenerateCommand b = new GenerateCommand();
        b.model = base;
        WanModel bm = b.loadModel();
        if (b.loaded != null) throw new ConfigException("--base " + base + " is itself a quantized checkpoint; expected its float base");
        QuantizedCheckpoint.requireBase(loaded, bm, "--base " + base);
    }

    WanModel loadModel() {
        switch (model) {
            case "random:tiny": return WanModel.random(WanConfig.tiny(), 0);
            case "random:1.3b": return WanModel.random(WanConfig.wan21T2V1_3B(), 0);
            default: break;
        }
        if (model.startsWith("random:"))
            throw new ConfigException("--model " + model + ": expected random:tiny or random:1.3b");
        Path dir = Path.of(model);
        if (Files.isDirectory(dir.resolve("transformer"))) dir = dir.resolve("transformer");
        if (QuantizedCheckpoint.isQuantized(dir)) {
            loaded = QuantizedCheckpoint.load(dir);
            return loaded.model();
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
            return WanModel.load(c, src);
        } catch (VdqException.CheckpointException e) {
            if (e.getMessage() != null && e.getMessage().contains(single.getFileName().toString())) throw e;
            throw new VdqException.CheckpointException(single + ": " + e.getMessage(), e);
        }
    }

    /**
     * δ-GBS with {@code gbs_delta: auto}: the method is data-free, so δ is chosen by sampling this run's own text
     * embeddings with other noise seeds (seed + 1 000 003 + i, two runs) until the mean activation width hits the
     * recipe's target. Returns the chosen δ and its mean bits for the metadata, or null without auto δ.
     */
    private String chooseDelta(WanModel wan, QuantReport rep, int[] latentShape, Tensor text, Tensor negative) {
        var g = DvdQuantMethod.controller(rep);
        if (g.isEmpty()) return null;
        DvdQuantMethod.Settings ds = DvdQuantMethod.settings(rep.recipe());
        if (!ds.autoDelta()) return null;
        var res = g.get().calibrate(ds.targetBits(), ds.tolerance(), () -> {
            for (int i = 0; i < 2; i++)
                Sampler.sample(wan::forward, Scheduler.create(sampler, steps, shift), Sampler.noise(seed + 1_000_003L + i, latentShape),
                        text, negative, guidance, SamplerHooks.adapt(rep.hook()));
        });
        if (!quiet) System.err.printf(java.util.Locale.ROOT, "generate: δ-GBS δ = %.4f gives %.2f mean activation bits (%d probes)%n",
                res.delta(), res.meanBits(), res.probes().size());
        return String.format(java.util.Locale.ROOT, "%.6f (auto: %.2f mean bits over 2 runs of this prompt)", res.delta(), res.meanBits());
    }

    static Tensor readEmbeds(Path file, WanConfig c) {
        Tensor t = readSingle(file, "the text embeddings");
        if (t.rank() == 3 && t.dim(0) == 1) t = t.row(0);
        if (t.rank() != 2 || t.dim(1) != c.textDim())
            throw new VdqException.ShapeException(file + ": text embeddings " + t.shape() + ", expected [L, " + c.textDim() + "] or [1, L, " + c.textDim() + "]");
        return t;
    }

    /** The one tensor of a safetensors file, read as float32 (the file is closed again). */
    static Tensor readSingle(Path file, String what) {
        try (TensorSource src = Checkpoints.open(file)) {
            if (src.names().size() != 1)
                throw new ConfigException(file + ": expected exactly one tensor (" + what + "), found " + src.names());
            return src.readFloat(src.names().first());
        }
    }

    /** Zero rows appended up to {@code len} tokens (the pipeline pads the text encoder output to 512). */
    static Tensor padText(Tensor t, int len, String what) {
        if (len <= 0 || t.dim(0) == len) return t;
        if (t.dim(0) > len)
            throw new ConfigException(what + ": " + t.dim(0) + " tokens exceed --max-sequence-length " + len);
        Tensor p = Tensor.zeros(len, t.dim(1));
        System.arraycopy(t.data(), t.offset(), p.data(), 0, t.size());
        return p;
    }

    private void writeRunJson(WanConfig c, Scheduler sched, int[] latentShape, int f, int h, int w, String textSource,
                              double loadS, double sampleS, double[] stepSeconds, Map<String, String> meta) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("command", "generate");
        root.put("model", model);
        root.put("model_sha256", meta.get("model_sha256"));
        root.put("quant", meta.get("quant"));
        if (meta.containsKey("quant_checkpoint")) root.put("quant_checkpoint", true);
        if (meta.containsKey("activation_bits_per_step")) root.put("activation_bits_per_step", meta.get("activation_bits_per_step"));
        if (meta.containsKey("quant_execution")) root.put("quant_execution", meta.get("quant_execution"));
        root.set("config", c.toJsonNode());
        root.put("seed", seed);
        root.put("steps", steps);
        ObjectNode s = root.putObject("scheduler");
        s.put("name", sched.name());
        s.put("shift", shift);
        s.put("num_train_timesteps", Scheduler.TRAIN_TIMESTEPS);
        ArrayNode sig = s.putArray("sigmas"), ts = s.putArray("timesteps");
        for (int i = 0; i <= sched.steps(); i++) sig.add(sched.sigma(i));
        for (int i = 0; i < sched.steps(); i++) ts.add(sched.timestep(i));
        root.put("guidance", guidance);
        root.put("max_sequence_length", maxSequenceLength);
        root.put("prompt_embeds", textSource);
        root.put("negative_embeds", negativeEmbeds == null ? null : negativeEmbeds.toString());
        ArrayNode video = root.putArray("video_frames_height_width");
        video.add(f).add(h).add(w);
        ArrayNode ls = root.putArray("latent_shape");
        for (int d : latentShape) ls.add(d);
        ObjectNode t = root.putObject("timings_s");
        t.put("load", loadS);
        t.put("sampling", sampleS);
        t.put("per_step_mean", sampleS / steps);
        ArrayNode per = t.putArray("per_step");
        for (double x : stepSeconds) per.add(x);
        root.put("threads", Parallel.threads());
        root.put("kernel_backend", Kernels.describe());
        root.put("finished", Instant.now().toString());
        Path file = out.resolve("run.json"), tmp = out.resolve("run.json.tmp");
        try {
            json.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), root);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write: " + e.getMessage(), e);
        }
    }
}
