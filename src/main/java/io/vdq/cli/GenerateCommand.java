package io.vdq.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException.ConfigException;
import io.vdq.VdqException;
import io.vdq.diffusion.Sampler;
import io.vdq.diffusion.Scheduler;
import io.vdq.diffusion.StepHook;
import io.vdq.eval.run.SafetensorsFrames;
import io.vdq.eval.run.VideoRun;
import io.vdq.io.AtomicFiles;
import io.vdq.io.AtomicFolder;
import io.vdq.io.Checkpoints;
import io.vdq.io.DType;
import io.vdq.io.SafetensorsWriter;
import io.vdq.io.TensorSource;
import io.vdq.io.video.Frames;
import io.vdq.io.video.GifWriter;
import io.vdq.io.video.Mp4Writer;
import io.vdq.io.video.PngWriter;
import io.vdq.kernel.ExecutionContext;
import io.vdq.kernel.Kernels;
import io.vdq.model.FloatLinear;
import io.vdq.model.vae.WanVae;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.pipeline.CalibrationTexts;
import io.vdq.pipeline.LoadedModel;
import io.vdq.pipeline.ModelDefaults;
import io.vdq.pipeline.ModelLoader;
import io.vdq.pipeline.PromptEncoder;
import io.vdq.pipeline.QuantizePipeline;
import io.vdq.quant.IntExec;
import io.vdq.quant.Presets;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.QuantReport;
import io.vdq.quant.Recipe;
import io.vdq.quant.SamplerHook;
import io.vdq.quant.ckpt.QuantizedCheckpoint;
import io.vdq.tensor.Parallel;
import io.vdq.tensor.Tensor;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vdq generate}: a prompt (or precomputed embeddings) to a video with any model {@link ModelLoader} loads,
 * flow-matching UniPC or Euler with classifier-free guidance. Writes {@code latents.safetensors}
 * ({@code [1, C, F, H, W]}), {@code run.json} (also a {@code vdq-run/1} run directory for {@code vdq score}), and the
 * video: {@code video.mp4}, {@code video.gif} (+ PNG frames) and {@code frames.safetensors}
 * decoded by the pipeline's VAE or sampled directly by a pixel-space model, else a latent preview
 * ({@link LatentPreview}). Everything is checked before sampling; the same arguments give byte-identical latents.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "A prompt to a video: encode it with the model's text encoder, sample with the Wan transformer "
                + "(float or quantized), decode with the pipeline's VAE, write video.mp4, video.gif, latents and run.json.")
final class GenerateCommand implements Runnable {
    private static final System.Logger LOG = System.getLogger("io.vdq.cli.generate");
    /** Wan-VAE compression: 4× in time (first frame kept), 8× in space. */
    static final int VAE_T = 4, VAE_S = 8;
    /** The decoded frames, F16 [F, H, W, 3] in [0, 1], the run's one video for {@code vdq score}. */
    static final String FRAMES_FILE = "frames.safetensors";

    @Option(names = "--model", required = true,
            description = "A diffusers Wan pipeline folder (model_index.json: transformer, text_encoder, tokenizer, vae, "
                    + "scheduler), a transformer folder (config.json + diffusion_pytorch_model.safetensors), a quantized "
                    + "checkpoint folder written by vdq quantize, models/vdq-tiny, or random:tiny / random:1.3b.")
    String model;

    @Option(names = "--transformer", description = "With a pipeline --model: use this transformer folder instead of the "
            + "pipeline's (e.g. a quantized checkpoint written by vdq quantize); text encoder, VAE and scheduler stay the pipeline's.")
    Path transformer;

    @Option(names = "--transformer-2", description = "With a two-expert pipeline --model (Wan2.2-A14B): use this folder "
            + "instead of transformer_2/ (the low-noise expert), e.g. its quantized checkpoint.")
    Path transformer2;

    @Option(names = {"-p", "--prompt"}, description = "The prompt, encoded by the model's own text encoder (UMT5 for a Wan "
            + "pipeline, the synthetic world's encoder for vdq-tiny).")
    String prompt;

    @Option(names = "--negative-prompt", description = "Negative prompt for classifier-free guidance (default: the empty "
            + "string through the model's encoder, as WanPipeline does).")
    String negativePrompt;

    @Option(names = {"--prompt-embeds", "--text-emb"}, description = "Precomputed text embeddings instead of --prompt, as safetensors, [L, text_dim] or [1, L, text_dim] (e.g. from vdq encode-prompt).")
    Path promptEmbeds;

    @Option(names = {"--negative-embeds", "--negative-text-emb"}, description = "Precomputed negative embeddings (default: "
            + "--negative-prompt or the empty prompt through the model's encoder; zeros for a model without one).")
    Path negativeEmbeds;

    @Option(names = "--steps", description = "Sampling steps (default: the model's; 50 for Wan, 10 for vdq-tiny).")
    Integer steps;

    @Option(names = {"--guidance", "--cfg"}, description = "Classifier-free guidance scale; <= 1 disables CFG (default: the model's; 5.0 for Wan).")
    Float guidance;

    @Option(names = "--shift", description = "Flow shift (default: the pipeline's scheduler_config.json flow_shift, else the model's; 3.0 for Wan; Wan recommends 5 at 720p).")
    Double shift;

    @Option(names = "--sampler", description = "unipc or euler (default: the pipeline's scheduler, else unipc).")
    String sampler;

    @Option(names = "--seed", defaultValue = "0", description = "Noise seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--frames", description = "Video frames, 4k+1 for a latent model (default: the model's; 81 for Wan, 5 for random:tiny, 8 for vdq-tiny).")
    Integer frames;

    @Option(names = "--height", description = "Video height in pixels, a multiple of 16 for Wan (default: the model's; 480 for Wan).")
    Integer height;

    @Option(names = "--width", description = "Video width in pixels, a multiple of 16 for Wan (default: the model's; 832 for Wan).")
    Integer width;

    @Option(names = "--fps", description = "Frame rate of video.mp4 and video.gif (default: the model's; 16 for Wan).")
    Integer fps;

    @Option(names = "--vae-tiling", description = "Decode with the VAE in overlapping 256×256-pixel tiles started every 192 "
            + "pixels, blended as diffusers' enable_tiling() does: bounded memory at 480p and above, at the cost of seams the "
            + "blend has to hide (default: off, an exact decode as WanPipeline without tiling).")
    boolean vaeTiling;

    @Option(names = "--png-frames", description = "Also write every frame as frames/NNNN.png (full resolution).")
    boolean pngFrames;

    @Option(names = "--max-sequence-length", description = "Text embeddings are zero-padded to this many tokens and prompts "
            + "truncated to it, as diffusers' WanPipeline does (default 512; vdq-tiny's synthetic encoder has its own 16 rows; 0 = no padding of --prompt-embeds).")
    Integer maxSequenceLength;

    @Option(names = "--out", required = true, description = "Output folder (created if missing): video.mp4, video.gif, "
            + "latents.safetensors, run.json (a model without a VAE: latents and a latent preview only).")
    Path out;

    @Option(names = "--save-model", description = "Also save the model used as a diffusers folder (config.json + "
            + "diffusion_pytorch_model.safetensors), e.g. to keep random:tiny as a real checkpoint.")
    Path saveModel;

    @Option(names = "--quant", description = "Quantize the model with this recipe (a preset name such as w4a4/8-dvd, or a "
            + "recipe JSON file) before sampling. A method that calibrates on data (GPTQ, S²Q, SmoothQuant, QuaRot's GPTQ) first "
            + "samples the calibration prompts at this run's size, steps, guidance and seed; data-free methods sample nothing extra.")
    String quant;

    @Option(names = "--calib-prompts", description = "With --quant: calibration prompts, one per line ('#' comments), encoded "
            + "with the model's own text encoder (default: the 2 built-in prompts of vdq quantize). Used only by methods that calibrate.")
    Path calibPrompts;

    @Option(names = "--base", description = "With a quantized --model: the float model it must have been made from "
            + "(folder or random:*); refused unless its SHA-256 equals the checkpoint's base_sha256.")
    String base;

    @Option(names = "--backend", description = "How quantized layers run: int (integer kernels: native AVX-512 VNNI or "
            + "AVX2 as the CPU allows (-Dvdq.native), else the bit-identical Java integer reference; layers the kernels cannot express stay "
            + "fake-quant) or fakequant (float reference). Default: -Dvdq.quant.exec, else int.")
    String backend;

    @Option(names = "--quiet", description = "No progress output.")
    boolean quiet;

    @Option(names = "--no-verify", description = "Load a quantized checkpoint without recomputing its per-tensor SHA-256 "
            + "digests (faster; a corrupted file may then load). The log says so.")
    boolean noVerify;

    /** Metadata key of a quantized checkpoint naming the --model it was quantized from. */
    static final String BASE_MODEL_KEY = ModelLoader.BASE_MODEL_KEY;
    /** Run metadata (latents and run.json): the recipe's activation width, 16 for float activations ({@code vdq eval}'s "act bits"). */
    static final String ACTIVATION_BITS_KEY = "activation_bits";

    /** Set when the transformer is a quantized checkpoint (vdq quantize's output). */
    private QuantizedCheckpoint.Loaded loaded;

    @Override
    public void run() {
        long t0 = System.nanoTime();
        if (prompt != null && promptEmbeds != null)
            throw new ConfigException("--prompt and --prompt-embeds: give one of them, not both");
        if (prompt != null && prompt.isBlank()) throw new ConfigException("--prompt is empty: give the text to generate");
        if (guidance != null && !Float.isFinite(guidance)) throw new ConfigException("--guidance " + guidance + ": expected a finite number");
        if (fps != null && (fps < 1 || fps > 240)) throw new ConfigException("--fps " + fps + ": expected 1..240");
        if (maxSequenceLength != null && (maxSequenceLength < 0 || maxSequenceLength > MAX_TOKENS))
            throw new ConfigException("--max-sequence-length " + maxSequenceLength + ": expected 0.." + MAX_TOKENS);
        AtomicFolder.checkReplaceable(out, "run.json", "--out");   // before the model is loaded
        if (saveModel != null && saveModel.toAbsolutePath().normalize().startsWith(out.toAbsolutePath().normalize()))
            throw new ConfigException("--save-model " + saveModel + ": inside --out " + out
                    + ", which is replaced as a whole when the run is written; give a folder outside it");
        if (steps != null && (steps < 1 || steps > MAX_STEPS))   // before the model is loaded
            throw new ConfigException("--steps " + steps + ": expected 1.." + MAX_STEPS);
        checkDecodedVideo(frames == null ? 1 : frames, height == null ? 16 : height, width == null ? 16 : width);
        // the recipe and calibration prompts are read before the model is loaded (minutes for a real Wan)
        if (calibPrompts != null && quant == null) throw new ConfigException("--calib-prompts " + calibPrompts + ": needs --quant");
        Recipe quantRecipe = quant == null ? null : Presets.resolve(quant);
        List<String> quantCalibration = calibPrompts == null ? null : QuantizeCommand.readPrompts(calibPrompts);
        ExecutionContext.QuantExec execMode = backend == null ? null : ExecutionContext.QuantExec.parse(backend);
        if (noVerify) LOG.log(System.Logger.Level.WARNING, "--no-verify: quantized checkpoint digests are not checked");
        LoadedModel lm = ModelLoader.load(model, transformer, transformer2, !noVerify);
        WanModel wan = lm.model();
        loaded = lm.quantized();
        ModelDefaults d = lm.defaults();
        int nSteps = steps != null ? steps : d.steps();
        double fShift = shift != null ? shift : d.shift();
        String solver = sampler != null ? sampler : d.sampler();
        float cfg = guidance != null ? guidance : d.guidance();
        int videoFps = fps != null ? fps : d.fps();
        Scheduler sched = Scheduler.create(solver, nSteps, fShift); // checks --sampler/--steps/--shift
        int f = frames != null ? frames : d.frames();
        int h = height != null ? height : d.height();
        int w = width != null ? width : d.width();
        WanConfig c = wan.config();
        int[] sampleShape = d.pixelSpace() ? pixelShape(c, f, h, w) : latentShape(c, f, h, w);
        checkDecodedVideo(f, h, w);   // the model's defaults too
        Optional<WanVae> vae = lm.vae(); // a VAE that does not fit the transformer is refused before sampling
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
        if (lm.twoExperts() && quant != null)
            throw new ConfigException("--quant " + quant + ": " + model + " has two experts (Wan2.2); quantizing both on the fly is not supported yet");

        // text: the model's own encoder for --prompt (and for the negative prompt), else precomputed embeddings
        int padTo = maxSequenceLength != null ? maxSequenceLength : d.textEncoder().equals(ModelDefaults.SYNTH) ? 0 : 512;
        String textSource, negativeSource;
        Tensor text, negative = null;
        PromptEncoder enc = null;
        if (prompt != null || (negativePrompt != null && promptEmbeds != null)
                || (promptEmbeds != null && negativeEmbeds == null && cfg > 1 && hasEncoder(d))) {
            enc = lm.promptEncoder(padTo == 0 ? 512 : padTo, prompt != null ? "--prompt" : "--negative-prompt");
            if (!quiet) System.err.println("generate: text encoder: " + enc.describe());
        }
        if (prompt != null) {
            text = enc.encode(prompt);
            textSource = "prompt";
        } else if (promptEmbeds != null) {
            text = padText(readEmbeds(promptEmbeds, c), padTo, "--prompt-embeds");
            textSource = promptEmbeds.toString();
        } else if (lm.random()) {
            text = padText(Tensor.randn(seed ^ 0x7e57L, 16, c.textDim()), padTo, "--prompt-embeds");
            textSource = "random [16, " + c.textDim() + "] from the seed";
        } else {
            throw new ConfigException("--prompt is required (or --prompt-embeds with precomputed embeddings)");
        }
        if (text.dim(1) != c.textDim())
            throw new VdqException.ShapeException("text encoder output is " + text.dim(1) + " wide but the transformer's text_dim is " + c.textDim());
        if (negativeEmbeds != null) {
            negative = padText(readEmbeds(negativeEmbeds, c), padTo, "--negative-embeds");
            negativeSource = negativeEmbeds.toString();
        } else if (cfg > 1 && enc != null) {
            negative = enc.encode(negativePrompt == null ? "" : negativePrompt);
            negativeSource = negativePrompt == null ? "empty prompt" : "negative prompt";
        } else {
            negativeSource = cfg > 1 ? "zeros" : "none";
        }
        checkFinite(text, "--prompt / --prompt-embeds");
        if (negative != null) checkFinite(negative, "the negative prompt's embeddings");
        // quantized after the prompt is encoded, so a bad prompt fails before minutes of calibration
        QuantReport rep = loaded != null ? loaded.report()
                : quantRecipe == null ? null : quantize(wan, quantRecipe, quantCalibration, nSteps, fShift, cfg, sampleShape);
        if (loaded != null && !quiet)
            System.err.printf("generate: loaded quantized checkpoint %s: recipe %s (method %s, %d quantized layers)%n",
                    transformer != null ? transformer : model, loaded.recipe().name(), loaded.report().method(),
                    wan.linears().values().stream().filter(l -> !(l instanceof FloatLinear)).count());
        SamplerHook quantHook = rep == null ? SamplerHook.NONE : rep.hook();
        QuantReport rep2 = lm.quantized2() == null ? null : lm.quantized2().report();
        if (rep2 != null) {
            // both experts' hooks see every step; each expert's layers only run on its own steps
            quantHook = quantHook.andThen(rep2.hook());
            if (!quiet) System.err.printf("generate: loaded quantized low-noise expert %s: recipe %s%n",
                    transformer2 != null ? transformer2 : model, rep2.recipe().name());
        }
        if (execMode != null) ExecutionContext.setQuantExec(execMode);
        String execution = rep == null ? null : IntExec.summary(wan);
        if (execution != null) System.err.println("generate: " + execution);
        double loadS = (System.nanoTime() - t0) / 1e9;

        String deltaNote = rep == null ? null : loaded != null
                ? (rep.hook().setting() == null ? null : rep.hook().setting() + " (stored in the quantized checkpoint)")
                : chooseDelta(wan, rep, sampleShape, text, negative, solver, nSteps, fShift, cfg);

        Tensor noise = Sampler.noise(seed, sampleShape);
        PrintStream err = System.err;
        long[] stepStart = new long[1];
        double[] stepSeconds = new double[nSteps];
        long s0 = System.nanoTime();
        Progress progress = new Progress(err, quiet);
        Tensor latents = Sampler.sample(lm.denoiser(), sched, noise, text, negative, cfg, SamplerHooks.adapt(quantHook, new StepHook() {
            @Override public void beforeStep(Step s) { stepStart[0] = System.nanoTime(); }
            @Override public void afterStep(Step s) {
                stepSeconds[s.index()] = (System.nanoTime() - stepStart[0]) / 1e9;
                double done = (System.nanoTime() - s0) / 1e9, per = done / (s.index() + 1);
                progress.update(String.format(Locale.ROOT, "generate: step %d/%d  %.2f s/step  ETA %.0f s", s.index() + 1, s.steps(), per,
                        per * (s.steps() - s.index() - 1)), s.index() + 1 == s.steps());
            }
        }));
        double sampleS = (System.nanoTime() - s0) / 1e9;
        checkFinite(latents, "the sampled latents");

        // the video: pixel-space models sample it directly, pipelines decode it with their VAE
        Tensor video = null;
        double decodeS = 0;
        if (d.pixelSpace()) {
            video = latents;
        } else if (vae.isPresent()) {
            long v0 = System.nanoTime();
            if (!quiet) err.println("generate: decoding " + sampleShape[1] + " latent frames with the VAE");
            try (WanVae v = vae.get()) {
                video = (vaeTiling ? v.tiled() : v).decodeNormalized(latents);
            }
            decodeS = (System.nanoTime() - v0) / 1e9;
        }

        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "vdq-latents");
        meta.put("model", model);
        if (transformer != null) meta.put("transformer", transformer.toString());
        meta.put("model_sha256", modelHash);
        if (rep != null) {
            meta.put("quant", rep.recipe().name());
            meta.put(ACTIVATION_BITS_KEY, Integer.toString(rep.recipe().floatActivations() ? 16 : rep.recipe().activationBits()));
            if (loaded != null) meta.put("quant_checkpoint", "true");
            if (rep.hook().stepBits() != null) meta.put("activation_bits_per_step", rep.hook().stepBits());
            if (deltaNote != null) meta.put("gbs_delta", deltaNote);
            meta.put("quant_execution", execution);
        }
        if (rep2 != null) meta.put("quant_transformer_2", rep2.recipe().name());
        meta.put("sampler", sched.name());
        meta.put("steps", Integer.toString(nSteps));
        meta.put("shift", Double.toString(fShift));
        meta.put("cfg", Float.toString(cfg));
        meta.put("seed", Long.toString(seed));
        if (prompt != null) meta.put("prompt", prompt);
        if (negativePrompt != null) meta.put("negative_prompt", negativePrompt);
        meta.put("prompt_embeds", textSource);
        meta.put("negative_embeds", negativeSource);
        if (enc != null) meta.put("text_encoder", enc.describe());
        meta.put("video", f + "x" + h + "x" + w);
        if (vae.isPresent()) meta.put("vae_tiling", vaeTiling ? "256x256 tiles, stride 192" : "off");
        meta.put("max_sequence_length", Integer.toString(padTo));
        int[] ls = sampleShape;
        // The run folder appears complete or not at all: everything is written into a temporary sibling, renamed over
        // --out at the end (an interrupted run leaves the previous run intact, never new latents beside an old run.json).
        // The writers below take `out`, so it names the temporary folder while they run.
        Path finalOut = out;
        List<String> files = new ArrayList<>();
        Tensor vid = video;
        double decodeSeconds = decodeS;
        AtomicFolder.write(finalOut, "run.json", "--out", tmp -> {
            out = tmp;
            try {
                writeRun(meta, latents, ls, vid, videoFps, files, c, sched, f, h, w, textSource, loadS, sampleS, decodeSeconds, stepSeconds, lm);
            } finally {
                out = finalOut;
            }
        });
        if (!quiet) {
            if (video == null)
                System.out.printf("latents %s → %s (%.2f s sampling, %s; no VAE: --model a pipeline folder for a video)%n",
                        Arrays.toString(sampleShape), out.resolve("latents.safetensors"), sampleS, sched.name());
            else
                System.out.printf(Locale.ROOT, "video %d×%d×%d → %s (%.2f s sampling, %s%s)%n", f, h, w, out.resolve("video.mp4"),
                        sampleS, sched.name(), decodeS > 0 ? String.format(Locale.ROOT, ", %.2f s VAE decode", decodeS) : "");
        }
    }

    private void writeRun(Map<String, String> meta, Tensor latents, int[] ls, Tensor video, int videoFps, List<String> files,
                          WanConfig c, Scheduler sched, int f, int h, int w, String textSource, double loadS, double sampleS,
                          double decodeS, double[] stepSeconds, LoadedModel lm) {
        int[] sampleShape = ls;
        Tensor batched = latents.reshape(1, ls[0], ls[1], ls[2], ls[3]);
        new SafetensorsWriter().metadata(meta).add("latents", batched).write(out.resolve("latents.safetensors"));
        files.add("latents.safetensors");
        if (video != null) {
            Tensor fr = Frames.fromSample(video, -1f, 1f);
            int up = Mp4Writer.upscaleFor(fr.dim(1), fr.dim(2), 256);
            Mp4Writer.write(out.resolve("video.mp4"), fr, videoFps, up);
            GifWriter.write(out.resolve("video.gif"), fr, Math.round(1000f / videoFps), up);
            files.add("video.mp4");
            files.add("video.gif");
            // the decoded frames in [0, 1] as a vdq-run/1 video, so `vdq score` and other tools can read them exactly
            new SafetensorsFrames(DType.F16).write(out.resolve(FRAMES_FILE), fr);
            files.add(FRAMES_FILE);
            if (pngFrames) {
                for (int i = 0; i < fr.dim(0); i++)
                    PngWriter.writeImage(out.resolve("frames").resolve(String.format(Locale.ROOT, "%04d.png", i)), fr.row(i), 1);
                files.add("frames/");
            }
        } else {
            Tensor preview = LatentPreview.video(latents);
            LatentPreview.writeGif(out.resolve("preview.gif"), preview, 250, VAE_S);
            LatentPreview.writeContactSheet(out.resolve("contact_sheet.png"), preview, VAE_S);
            files.add("preview.gif");
            files.add("contact_sheet.png");
            if (pngFrames && !quiet) System.err.println("generate: --png-frames: this model has no VAE, so there are no video frames to write");
        }
        writeRunJson(c, sched, sampleShape, f, h, w, videoFps, textSource, loadS, sampleS, decodeS, stepSeconds, meta, lm, video != null);
        files.add("run.json");
    }

    private static boolean hasEncoder(ModelDefaults d) {
        return !d.textEncoder().equals(ModelDefaults.NONE) && !d.textEncoder().equals(ModelDefaults.RANDOM);
    }

    /** Pixel-space sample [3, F, H, W]; F, H, W multiples of the model's patch. */
    static int[] pixelShape(WanConfig c, int f, int h, int w) {
        if (f < 1 || f % c.patchT() != 0) throw new ConfigException("--frames " + f + ": expected a positive multiple of the model's patch " + c.patchT());
        if (h < 1 || w < 1 || h % c.patchH() != 0 || w % c.patchW() != 0)
            throw new ConfigException("--height/--width " + h + "×" + w + ": expected positive multiples of the model's patch " + c.patchH() + "×" + c.patchW());
        checkSize(f, h, w);
        return new int[]{c.inChannels(), f, h, w};
    }

    /** Wan-VAE latents of an F×H×W video: F = 4k+1, H and W multiples of 8·patch (16 for Wan). */
    static int[] latentShape(WanConfig c, int f, int h, int w) {
        if (f < 1 || (f - 1) % VAE_T != 0) throw new ConfigException("--frames " + f + ": expected 4k+1 (1, 5, …, 81)");
        int spatial = VAE_S * Math.max(c.patchH(), c.patchW());
        if (h <= 0 || w <= 0 || h % spatial != 0 || w % spatial != 0)
            throw new ConfigException("--height/--width " + h + "×" + w + ": expected positive multiples of " + spatial);
        checkSize(f, h, w);
        int[] ls = {c.inChannels(), (f - 1) / VAE_T + 1, h / VAE_S, w / VAE_S};
        if (ls[1] % c.patchT() != 0)
            throw new ConfigException("--frames " + f + " gives " + ls[1] + " latent frames, not a multiple of patch " + c.patchT());
        return ls;
    }

    /** Video sizes beyond what any supported model samples are refused before anything is allocated. */
    static void checkSize(int f, int h, int w) {
        if (f > 1025 || h > 4096 || w > 4096)
            throw new ConfigException("--frames/--height/--width " + f + "×" + h + "×" + w + ": at most 1025 frames of 4096×4096");
    }

    /** The decoded RGB video must fit one float array and the heap; checked before the model is loaded. */
    static void checkDecodedVideo(int f, int h, int w) {
        checkSize(f, h, w);
        long values = 3L * Math.max(f, 1) * Math.max(h, 1) * Math.max(w, 1);   // the decoded RGB video in float32
        if (values > MAX_VIDEO_VALUES)
            throw new ConfigException("--frames/--height/--width " + f + "×" + h + "×" + w + ": the decoded video would hold "
                    + values + " values, more than one Java array takes (" + MAX_VIDEO_VALUES + "); reduce them");
        long heap = Runtime.getRuntime().maxMemory();
        if (values * 4 > heap)
            throw new ConfigException("--frames/--height/--width " + f + "×" + h + "×" + w + ": the decoded video alone needs "
                    + (values * 4 >> 20) + " MiB, more than the Java heap limit (" + (heap >> 20)
                    + " MiB); reduce them or pass VDQ_JAVA_OPTS=-Xmx...");
    }

    /** The most sampling steps accepted (Wan uses 50; the sampler keeps per-step tables of this length). */
    static final int MAX_STEPS = 10_000;
    /** The most text tokens a prompt is padded to (Wan uses 512; attention over them is quadratic). */
    static final int MAX_TOKENS = 4096;
    /** The most values one float[] holds on HotSpot. */
    static final long MAX_VIDEO_VALUES = Integer.MAX_VALUE - 8;

    private static void checkFinite(Tensor t, String what) {
        float[] a = t.data();
        for (int i = t.offset(), n = t.offset() + t.size(); i < n; i++)
            if (!Float.isFinite(a[i])) throw new VdqException(what + " hold a non-finite value (NaN or Inf) at element " + (i - t.offset()));
    }

    /** --base: loads that float model and refuses a quantized --model made from other weights. */
    private void checkBase() {
        if (loaded == null) throw new ConfigException("--base " + base + ": only for a quantized --model (" + model + " is float)");
        LoadedModel b = ModelLoader.load(base, null);
        if (b.quantized() != null) throw new ConfigException("--base " + base + " is itself a quantized checkpoint; expected its float base");
        QuantizedCheckpoint.requireBase(loaded, b.model(), "--base " + base);
    }

    /** The transformer of --model (for commands that need only it, e.g. vdq forward). */
    WanModel loadModel() {
        LoadedModel lm = ModelLoader.load(model, null);
        loaded = lm.quantized();
        return lm.model();
    }

    /**
     * A recipe whose sampler hook leaves a setting to be chosen by sampling (δ-GBS with {@code gbs_delta: auto}: the
     * method is data-free, so δ is chosen by sampling this run's own text embeddings with other noise seeds, seed +
     * 1 000 003 + i, two runs). Returns a note on the choice for the metadata, or null when there is nothing to choose.
     */
    /**
     * Quantizes {@code wan} with the --quant recipe. The calibration a calibrated recipe runs: the calibration prompts (--calib-prompts, else vdq quantize's
     * built-in ones) through the model's own encoder, sampled at this run's shape, steps, shift, guidance and noise seed
     * ({@code seed + i}). Lazy: a data-free method never asks, so nothing extra is sampled for it.
     */
    private QuantReport quantize(WanModel wan, Recipe r, List<String> prompts, int nSteps, double fShift, float cfg, int[] sampleShape) {
        var settings = new QuantizePipeline.Settings(r, prompts, seed, nSteps, sampleShape, cfg, fShift, 1,
                CalibrationTexts.supplier(model, prompts, null, wan.config(), System.err, quiet), false);
        QuantizePipeline.Progress progress = quiet ? QuantizePipeline.Progress.NONE : new QuantizePipeline.Progress() {
            @Override public void layer(int done, int total, String name, double outputRelL2, double elapsedS) {}
            @Override public void stage(String message) { System.err.println("generate: --quant " + r.name() + ": " + message); }
        };
        return QuantMethods.apply(wan, r, QuantizePipeline.calibration(wan, settings, progress));
    }

    private String chooseDelta(WanModel wan, QuantReport rep, int[] latentShape, Tensor text, Tensor negative, String sampler,
                               int steps, double shift, float guidance) {
        SamplerHook h = rep.hook();
        if (h.tuningGoal() == null) return null;
        if (!quiet) System.err.println("generate: " + h.tuningGoal() + " on 2 runs of this prompt");
        String chosen = h.tune(() -> {
            for (int i = 0; i < 2; i++)
                Sampler.sample(wan::forward, Scheduler.create(sampler, steps, shift), Sampler.noise(seed + 1_000_003L + i, latentShape),
                        text, negative, guidance, SamplerHooks.adapt(h));
        });
        if (!quiet) System.err.println("generate: tuned " + chosen);
        return chosen + " (auto, over 2 runs of this prompt)";
    }

    static Tensor readEmbeds(Path file, WanConfig c) { return CalibrationTexts.embeds(file, c); }

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

    private void writeRunJson(WanConfig c, Scheduler sched, int[] latentShape, int f, int h, int w, int videoFps, String textSource,
                              double loadS, double sampleS, double decodeS, double[] stepSeconds, Map<String, String> meta, LoadedModel lm,
                              boolean framesWritten) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        // A vdq-run/1 run directory (eval.run.VideoRun): its one video is the decoded frames file, if there is one
        root.put("format", VideoRun.FORMAT);
        root.put("frames", SafetensorsFrames.NAME);
        ArrayNode videos = root.putArray("videos");
        if (framesWritten) {
            ObjectNode v = videos.addObject();
            v.put("prompt", prompt == null ? "" : prompt);
            v.put("seed", seed);
            v.put("file", FRAMES_FILE);
            v.putArray("shape").add(f).add(h).add(w).add(3);
        }
        root.put("command", "generate");
        root.put("model", model);
        root.put("model_sha256", meta.get("model_sha256"));
        root.put("quant", meta.get("quant"));
        if (meta.containsKey("quant_transformer_2")) root.put("quant_transformer_2", meta.get("quant_transformer_2"));
        if (meta.containsKey("quant_checkpoint")) root.put("quant_checkpoint", true);
        if (meta.containsKey(ACTIVATION_BITS_KEY)) root.put(ACTIVATION_BITS_KEY, Integer.parseInt(meta.get(ACTIVATION_BITS_KEY)));
        if (meta.containsKey("activation_bits_per_step")) root.put("activation_bits_per_step", meta.get("activation_bits_per_step"));
        if (meta.containsKey("quant_execution")) root.put("quant_execution", meta.get("quant_execution"));
        root.set("config", c.toJsonNode());
        root.put("seed", seed);
        root.put("steps", sched.steps());
        if (prompt != null) root.put("prompt", prompt);
        if (negativePrompt != null) root.put("negative_prompt", negativePrompt);
        if (meta.containsKey("text_encoder")) root.put("text_encoder", meta.get("text_encoder"));
        if (transformer != null) root.put("transformer", transformer.toString());
        if (lm.pipeline() != null) root.put("pipeline", lm.pipeline().root().toString());
        if (lm.twoExperts()) root.put("boundary_ratio", lm.boundaryRatio());
        ObjectNode s = root.putObject("scheduler");
        s.put("name", sched.name());
        s.put("shift", Double.parseDouble(meta.get("shift")));
        s.put("num_train_timesteps", Scheduler.TRAIN_TIMESTEPS);
        ArrayNode sig = s.putArray("sigmas"), ts = s.putArray("timesteps");
        for (int i = 0; i <= sched.steps(); i++) sig.add(sched.sigma(i));
        for (int i = 0; i < sched.steps(); i++) ts.add(sched.timestep(i));
        root.put("guidance", Float.parseFloat(meta.get("cfg")));
        root.put("max_sequence_length", Integer.parseInt(meta.get("max_sequence_length")));
        root.put("prompt_embeds", textSource);
        root.put("negative_embeds", meta.get("negative_embeds"));
        root.put("fps", videoFps);
        if (meta.containsKey("vae_tiling")) root.put("vae_tiling", meta.get("vae_tiling"));
        ArrayNode video = root.putArray("video_frames_height_width");
        video.add(f).add(h).add(w);
        ArrayNode ls = root.putArray("latent_shape");
        for (int d : latentShape) ls.add(d);
        ObjectNode t = root.putObject("timings_s");
        t.put("load", loadS);
        t.put("sampling", sampleS);
        t.put("per_step_mean", sampleS / sched.steps());
        t.put("vae_decode", decodeS);
        ArrayNode per = t.putArray("per_step");
        for (double x : stepSeconds) per.add(x);
        root.put("threads", Parallel.threads());
        root.put("kernel_backend", Kernels.describe());
        root.put("finished", Instant.now().toString());
        Path file = out.resolve("run.json");
        try {   // a random temporary name created exclusively: a planted run.json.tmp link cannot redirect the write
            AtomicFiles.writeBytes(file, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write: " + e.getMessage(), e);
        }
    }
}
