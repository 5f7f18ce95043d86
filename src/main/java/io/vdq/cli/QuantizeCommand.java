package io.vdq.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException.CheckpointException;
import io.vdq.VdqException.ConfigException;
import io.vdq.io.AtomicFiles;
import io.vdq.io.AtomicFolder;
import io.vdq.io.Checkpoints;
import io.vdq.io.DType;
import io.vdq.io.TensorSource;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.pipeline.CalibrationTexts;
import io.vdq.pipeline.PipelineFolder;
import io.vdq.pipeline.QuantizePipeline;
import io.vdq.quant.LayerReport;
import io.vdq.quant.Presets;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.QuantReport;
import io.vdq.quant.Recipe;
import io.vdq.quant.SamplerHook;
import io.vdq.quant.ckpt.CheckpointSize;
import io.vdq.quant.ckpt.QuantizedCheckpoint;
import io.vdq.scale.MemoryProbe;
import io.vdq.scale.StreamingQuantize;
import io.vdq.tensor.Parallel;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vdq quantize}: a float Wan model and a recipe in, a quantized checkpoint folder out (usable as
 * {@code vdq generate --model OUT}); per-layer progress on stderr, a closing table of per-layer weight and output
 * error on stdout. The work is {@link QuantizePipeline}'s; this class parses options and loads the base.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = "Quantize a Wan model with a recipe and save a self-contained quantized checkpoint.")
final class QuantizeCommand implements Runnable {
    @Option(names = "--model", required = true, description = "Float Wan model: a diffusers pipeline folder (its transformer "
            + "is quantized; prompts go through its UMT5 encoder), a transformer folder, models/vdq-tiny, or random:tiny / random:1.3b.")
    String model;

    @Option(names = "--recipe", required = true, description = "Preset name (vdq recipes) or recipe JSON file, optionally with overrides NAME+key=value (e.g. w4a6-s2q+seed=1).")
    String recipe;

    @Option(names = "--calib-prompts", description = "Calibration prompts, one per line ('#' comments); encoded with the "
            + "model's own text encoder (UMT5 for a pipeline, the synthetic world's for vdq-tiny and random models; a bare "
            + "transformer folder has none: use --calib-embeds); given prompts also supply each layer's inputs for the output "
            + "error. Default: 2 built-in prompts, run only by methods that need data and by δ-GBS's automatic δ (outputs then "
            + "use Gaussian probes).")
    Path calibPrompts;

    @Option(names = "--calib-embeds", description = "Precomputed calibration embeddings instead of prompts: a folder of "
            + "safetensors files, one tensor [L, text_dim] (or [1, L, text_dim]) each, taken in name order "
            + "(vdq encode-prompt --prompts FILE --out DIR writes one); negative.safetensors in it, if present, is every "
            + "prompt's negative (else zeros).")
    Path calibEmbeds;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of calibration noise, token reservoir and probes (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--calib-steps", defaultValue = "20", description = "Sampling steps per calibration prompt (default ${DEFAULT-VALUE}).")
    int calibSteps;

    @Option(names = "--frames", description = "Calibration video frames: 4k+1 for latent models (default 81; 5 for random:tiny), "
            + "a multiple of the temporal patch for pixel-space models such as vdq-tiny (default 8).")
    Integer frames;

    @Option(names = "--height", description = "Calibration video height in pixels (default 480; 64 for random:tiny; 32 pixel-space).")
    Integer height;

    @Option(names = "--width", description = "Calibration video width in pixels (default 832; 64 for random:tiny; 32 pixel-space).")
    Integer width;

    @Option(names = "--guidance", defaultValue = "5.0", description = "CFG scale of calibration sampling (default ${DEFAULT-VALUE}).")
    float guidance;

    @Option(names = "--shift", defaultValue = "3.0", description = "Flow shift of calibration sampling (default ${DEFAULT-VALUE}).")
    double shift;

    @Option(names = "--probe-rows", defaultValue = "256", description = "Tokens per layer for the output error (default ${DEFAULT-VALUE}).")
    int probeRows;

    @Option(names = "--float-dtype", description = "Store float parameters as f32, bf16 or f16 (default: the base's dtype; f32 for random models).")
    String floatDtype;

    @Option(names = "--size-only", description = "Only print the checkpoint size this recipe gives for the model's shapes (nothing is quantized).")
    boolean sizeOnly;

    @Option(names = "--out", description = "Output model folder (config.json + diffusion_pytorch_model.safetensors; with --stream, shards and their index).")
    Path out;

    @Option(names = "--stream", description = "Data-free recipes only: quantize tensor by tensor from the mapped checkpoint into a "
            + "sharded quantized checkpoint, in memory bounded by one layer (for models larger than memory); an interrupted run "
            + "resumes, keeping the finished shards (docs/QUANT.md, \"Streaming quantization\").")
    boolean stream;

    @Option(names = "--shard-size", defaultValue = "2000000000", description = "With --stream: largest output shard in bytes (default ${DEFAULT-VALUE}).")
    long shardSize;

    @Option(names = "--table", description = "With --stream: print the per-layer table (one line per layer quantized in this run).")
    boolean table;

    @Option(names = "--quiet", description = "No progress output.")
    boolean quiet;

    /** The command name in messages and in quant_report.json ({@code stream-quantize} runs this command's --stream). */
    String commandName = "quantize --stream";

    @Override
    public void run() {
        Recipe r = Presets.resolve(recipe);
        QuantMethods.settings(r);
        QuantizedCheckpoint.requireStorable(r);   // before minutes of calibration
        PrintStream err = System.err;
        if (sizeOnly) {
            WanConfig c = config();
            DType ft = floatDtype != null ? parseDtype(floatDtype) : DType.F32;
            printSize("estimated from shapes", CheckpointSize.estimate(c, r, ft), ft);
            return;
        }
        if (out == null) throw new ConfigException("--out is required (or --size-only)");
        if (stream) { stream(r); return; }
        if (quiet) Logger.getLogger("").setLevel(Level.WARNING); // methods log at INFO
        if (calibPrompts != null && calibEmbeds != null) throw new ConfigException("--calib-prompts and --calib-embeds: give one of them");
        List<String> prompts = calibPrompts == null ? null : readPrompts(calibPrompts);
        AtomicFolder.checkReplaceable(out, QuantizedCheckpoint.WEIGHTS, "--out");
        // sizes are checked before the base model is loaded (it can take minutes)
        GenerateCommand.checkSize(frames == null ? 1 : frames, height == null ? 16 : height, width == null ? 16 : width);
        if (calibSteps < 1 || calibSteps > GenerateCommand.MAX_STEPS)
            throw new ConfigException("--calib-steps " + calibSteps + ": expected 1.." + GenerateCommand.MAX_STEPS);
        if (probeRows < 1 || probeRows > 65_536)   // rows × the widest layer's inputs are held per layer
            throw new ConfigException("--probe-rows " + probeRows + ": expected 1..65536");
        long t0 = System.nanoTime();
        DType[] baseType = {DType.F32};
        WanModel wan = load(baseType);
        DType ft = floatDtype != null ? parseDtype(floatDtype) : baseType[0];
        WanConfig c = wan.config();
        int[] latent = calibrationShape(c, model.startsWith("random:"));
        var settings = new QuantizePipeline.Settings(r, prompts, seed, calibSteps, latent, guidance, shift, probeRows,
                CalibrationTexts.supplier(model, prompts, calibEmbeds, c, err, quiet), calibEmbeds != null);
        if (!quiet) err.printf(Locale.ROOT, "quantize: %s (method %s, W%d A%d) on %s, %d threads%n", r.name(), r.method(),
                r.weightBits(), r.activationBits(), model, Parallel.threads());
        QuantizePipeline.Progress progress = quiet ? QuantizePipeline.Progress.NONE : new QuantizePipeline.Progress() {
            @Override public void layer(int done, int total, String name, double outputRelL2, double elapsedS) {
                double rate = done / Math.max(elapsedS, 1e-9);
                err.printf(Locale.ROOT, "quantize: [%d/%d] %s  output rel L2 %.3e  %.2f layers/s  ETA %.0f s%n", done, total, name,
                        outputRelL2, rate, (total - done) / rate);
            }
            @Override public void stage(String message) { err.println("quantize: " + message); }
        };
        QuantizePipeline.Result res = QuantizePipeline.run(wan, settings, progress);
        // the checkpoint folder appears complete or not at all (written into a temporary sibling, then renamed)
        AtomicFolder.write(out, QuantizedCheckpoint.WEIGHTS, "--out",
                tmp -> QuantizePipeline.save(res, tmp, ft, Map.of(GenerateCommand.BASE_MODEL_KEY, model)));
        System.out.print(QuantizePipeline.table(res.rows()));
        System.out.println("output error on " + res.outputProbe() + (res.deltaNote() != null ? "; sampler hook: " + res.deltaNote() : ""));
        Path file = out.resolve(QuantizedCheckpoint.WEIGHTS);
        printSize("measured in " + file, CheckpointSize.measure(file), ft);
        if (!quiet) err.printf(Locale.ROOT, "quantize: wrote %s in %.1f s%n", out, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * --stream: {@link StreamingQuantize} from the transformer folder's mapped weights into a sharded checkpoint, then
     * {@value #STREAM_REPORT} beside it (this run's layers, their errors; for DVD-Quant the BGR stages).
     */
    void stream(Recipe r) {
        if (model.startsWith("random:")) throw new ConfigException("--stream needs a checkpoint folder, not " + model);
        if (calibPrompts != null || calibEmbeds != null)
            throw new ConfigException("--stream runs data-free recipes only: --calib-prompts/--calib-embeds do not apply");
        if (floatDtype != null) throw new ConfigException("--stream keeps the base's float dtype: --float-dtype does not apply");
        Path dir = folder();
        if (QuantizedCheckpoint.isQuantized(dir))
            throw new ConfigException("--model " + model + " is already a quantized checkpoint; quantize its float base instead");
        checkStreamOutput(out);
        WanConfig c = WanConfig.read(dir.resolve("config.json"));
        long t0 = System.nanoTime();
        PrintStream err = System.err;
        try (MemoryProbe mem = new MemoryProbe(50); TensorSource src = Checkpoints.open(dir)) {
            if (!quiet) err.printf(Locale.ROOT, "%s: %s (method %s) on %s, %d threads%n", commandName, r.name(), r.method(), model, Parallel.threads());
            long[] shownAt = {0};
            StreamingQuantize.Summary s = StreamingQuantize.quantize(c, src, r, out, shardSize,
                    Map.of(GenerateCommand.BASE_MODEL_KEY, model), (done, total, last) -> {
                        if (quiet || (System.nanoTime() - shownAt[0] < 1_000_000_000L && done < total)) return;
                        shownAt[0] = System.nanoTime();
                        double sec = (System.nanoTime() - t0) / 1e9;
                        err.printf(Locale.ROOT, "%s: [%d/%d] %s  weight rel L2 %.3e  ETA %.0f s%n", commandName, done, total, last.name(),
                                last.weightRelL2(), sec / done * (total - done));
                    });
            mem.close();
            double wall = (System.nanoTime() - t0) / 1e9;
            AtomicFiles.writeBytes(out.resolve(STREAM_REPORT), streamReport(r, s, wall, mem));
            if (table) System.out.print(new QuantReport(r.method(), r, s.layers(), SamplerHook.NONE, null).table());
            System.out.printf(Locale.ROOT, "%d layers quantized (%d in this run), %d float tensors, %d shards (%d kept from an earlier run) → %s "
                            + "(vdq generate --model %s runs it)%n", s.quantizedLayers(), s.layers().size(), s.copied(), s.shards(), s.keptShards(), out, out);
            if (!s.layers().isEmpty() && s.layers().stream().allMatch(l -> l.stages() != null))
                System.out.printf(Locale.ROOT, "refined ≤ bounded ≤ MinMax on every layer: %s; mean weight-error reduction vs MinMax: "
                        + "bounded init %.1f %%, BGR %.1f %%%n", allOrdered(s.layers()) ? "yes" : "NO", 100 * meanInitReduction(s.layers()),
                        100 * meanReduction(s.layers()));
            System.out.printf(Locale.ROOT, "wall %.1f s (decode %.1f, quantize %.1f, write %.1f) on %d threads; base sha256 %s%n",
                    wall, s.decodeS(), s.quantS(), s.writeS(), Parallel.threads(), s.baseSha256());
            System.out.printf(Locale.ROOT, "memory: peak RSS %.2f GB (VmHWM), peak anonymous %.2f GB, peak file-backed %.2f GB%n",
                    mem.hwm() / 1e9, mem.peakAnon() / 1e9, mem.peakFile() / 1e9);
        }
    }

    /** The per-run report --stream writes into its output folder. */
    static final String STREAM_REPORT = "quant_report.json";

    /**
     * --stream resumes in its output folder, so it may only be new, empty or an earlier output (a quantized
     * checkpoint or its shards): a folder of other files is refused before anything is written.
     */
    private static void checkStreamOutput(Path out) {
        if (!Files.exists(out)) return;
        if (!Files.isDirectory(out)) throw new ConfigException("--out " + out + ": exists and is not a folder");
        try (var files = Files.list(out)) {
            List<String> names = files.map(f -> f.getFileName().toString()).toList();
            boolean ours = names.isEmpty() || names.contains("config.json") || names.contains(QuantizedCheckpoint.INDEX)
                    || names.stream().anyMatch(n -> n.startsWith("diffusion_pytorch_model-"));
            if (!ours)
                throw new ConfigException("--out " + out + ": a folder of other files (no config.json or checkpoint shards); give a new or "
                        + "empty folder, or an earlier output to resume or replace");
        } catch (IOException e) {
            throw new ConfigException("--out " + out + ": cannot read: " + e.getMessage());
        }
    }

    /** Mean over layers of 1 − refined/MinMax (BGR's weight error against round-to-nearest). */
    static double meanReduction(List<LayerReport> layers) {
        double s = 0;
        for (LayerReport l : layers) s += l.stages().reductionVsMinMax();
        return layers.isEmpty() ? 0 : s / layers.size();
    }

    /** Mean over layers of 1 − boundedInit/MinMax. */
    static double meanInitReduction(List<LayerReport> layers) {
        double s = 0;
        for (LayerReport l : layers) s += 1 - l.stages().boundedInit() / l.stages().minMax();
        return layers.isEmpty() ? 0 : s / layers.size();
    }

    /** Whether refined ≤ bounded init ≤ MinMax on every layer. */
    static boolean allOrdered(List<LayerReport> layers) { return layers.stream().allMatch(l -> l.stages().ordered()); }

    private byte[] streamReport(Recipe r, StreamingQuantize.Summary s, double wall, MemoryProbe mem) {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = m.createObjectNode();
        root.put("command", commandName);
        root.put("recipe", r.name());
        root.put("method", r.method());
        root.put("layers_quantized", s.quantizedLayers());
        root.put("layers_this_run", s.layers().size());
        root.put("tensors_copied", s.copied());
        root.put("shards", s.shards());
        root.put("shards_kept", s.keptShards());
        root.put("base_sha256", s.baseSha256());
        boolean staged = !s.layers().isEmpty() && s.layers().stream().allMatch(l -> l.stages() != null);
        if (staged) {
            root.put("all_ordered", allOrdered(s.layers()));
            root.put("mean_reduction_vs_minmax", meanReduction(s.layers()));
            root.put("mean_init_reduction_vs_minmax", meanInitReduction(s.layers()));
        }
        root.put("wall_s", wall);
        root.put("decode_s", s.decodeS());
        root.put("quantize_s", s.quantS());
        root.put("write_s", s.writeS());
        root.put("threads", Parallel.threads());
        root.put("peak_rss_bytes", mem.hwm());
        root.put("peak_rss_anon_bytes", mem.peakAnon());
        root.put("peak_rss_file_bytes", mem.peakFile());
        ArrayNode arr = root.putArray("layers");
        for (LayerReport l : s.layers()) {
            ObjectNode o = arr.addObject();
            o.put("name", l.name());
            o.put("out", l.out());
            o.put("in", l.in());
            o.put("weight_rel_l2", l.weightRelL2());
            if (l.stages() != null) {
                o.put("minmax_rel_sq", l.stages().minMax());
                o.put("bounded_init_rel_sq", l.stages().boundedInit());
                o.put("refined_rel_sq", l.stages().refined());
                o.put("reduction_vs_minmax", l.stages().reductionVsMinMax());
            }
            o.put("note", l.note());
        }
        try {
            return m.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The sample shape of calibration: a pixel-space model (in = out = 3 channels, e.g. vdq-tiny) samples
     * {@code [3, F, H, W]} directly (default 8 frames of 32×32, the demo's videos); a latent model samples Wan-VAE
     * latents of an F×H×W video (defaults as vdq generate: 81×480×832, or 5×64×64 for random:tiny).
     */
    private int[] calibrationShape(WanConfig c, boolean random) {
        if (c.inChannels() == 3 && c.outChannels() == 3) {
            int f = frames != null ? frames : 8, h = height != null ? height : 32, w = width != null ? width : 32;
            if (f < 1 || f % c.patchT() != 0 || h < 1 || w < 1 || h % c.patchH() != 0 || w % c.patchW() != 0)
                throw new ConfigException("--frames/--height/--width " + f + "×" + h + "×" + w + ": expected positive multiples of the "
                        + "model's patch [" + c.patchT() + ", " + c.patchH() + ", " + c.patchW() + "] (pixel-space model)");
            return new int[]{3, f, h, w};
        }
        int f = frames != null ? frames : random ? 5 : 81, h = height != null ? height : random ? 64 : 480,
                w = width != null ? width : random ? 64 : 832;
        int spatial = GenerateCommand.VAE_S * Math.max(c.patchH(), c.patchW());
        if (f < 1 || (f - 1) % GenerateCommand.VAE_T != 0) throw new ConfigException("--frames " + f + ": expected 4k+1");
        if (h <= 0 || w <= 0 || h % spatial != 0 || w % spatial != 0)
            throw new ConfigException("--height/--width " + h + "×" + w + ": expected positive multiples of " + spatial);
        int[] latent = {c.inChannels(), (f - 1) / GenerateCommand.VAE_T + 1, h / GenerateCommand.VAE_S, w / GenerateCommand.VAE_S};
        if (latent[1] % c.patchT() != 0)
            throw new ConfigException("--frames " + f + " gives " + latent[1] + " latent frames, not a multiple of patch " + c.patchT());
        return latent;
    }

    private void printSize(String what, CheckpointSize s, DType ft) {
        System.out.printf(Locale.ROOT, "size (%s, float parameters %s): %d quantized layers %.2f MiB = %.4f of BF16 (1/%.2f); "
                        + "float part %.2f MiB; whole %.2f MiB = %.4f of the model in BF16%n", what, ft, s.layers(),
                s.quantizedBytes() / 1048576.0, s.quantizedRatio(), 1 / s.quantizedRatio(), s.floatBytes() / 1048576.0,
                (s.quantizedBytes() + s.floatBytes()) / 1048576.0, s.totalRatio());
    }

    private WanConfig config() {
        return switch (model) {
            case "random:tiny" -> WanConfig.tiny();
            case "random:1.3b" -> WanConfig.wan21T2V1_3B();
            default -> {
                if (model.startsWith("random:")) throw new ConfigException("--model " + model + ": expected random:tiny or random:1.3b");
                yield WanConfig.read(folder().resolve("config.json"));
            }
        };
    }

    private Path folder() {
        Path dir = Path.of(model);
        if (PipelineFolder.isPipeline(dir)) {
            PipelineFolder p = PipelineFolder.read(dir);
            if (p.twoExperts())
                throw new ConfigException("--model " + model + " has two experts (Wan2.2): quantize each folder on its own (--model "
                        + p.transformer() + " and " + p.transformer2() + ", with --calib-embeds from vdq encode-prompt for calibrated "
                        + "recipes) and pass them to vdq generate as --transformer and --transformer-2");
            return p.transformer();
        }
        return Files.isDirectory(dir.resolve("transformer")) ? dir.resolve("transformer") : dir;
    }

    /** The float base; {@code type[0]} receives its float dtype when all its tensors share one (else F32). */
    private WanModel load(DType[] type) {
        WanConfig c = config();
        if (model.startsWith("random:")) return WanModel.random(c, 0);
        Path dir = folder();
        if (QuantizedCheckpoint.isQuantized(dir))
            throw new ConfigException("--model " + model + " is already a quantized checkpoint (recipe "
                    + QuantizedCheckpoint.load(dir).recipe().name() + "); quantize its float base instead");
        Path single = dir.resolve("diffusion_pytorch_model.safetensors");
        if (!Files.isRegularFile(single)) single = dir.resolve("diffusion_pytorch_model.safetensors.index.json");
        if (!Files.isRegularFile(single))
            throw new CheckpointException(dir + ": no diffusion_pytorch_model.safetensors or diffusion_pytorch_model.safetensors.index.json");
        try (TensorSource src = Checkpoints.open(single)) {
            Set<DType> types = EnumSet.noneOf(DType.class);
            for (String n : src.names()) types.add(src.info(n).dtype());
            if (types.size() == 1 && Set.of(DType.F32, DType.BF16, DType.F16).contains(types.iterator().next()))
                type[0] = types.iterator().next();
            return WanModel.load(c, src);
        }
    }

    static DType parseDtype(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "f32", "float32" -> DType.F32;
            case "bf16", "bfloat16" -> DType.BF16;
            case "f16", "float16" -> DType.F16;
            default -> throw new ConfigException("--float-dtype " + s + ": expected f32, bf16 or f16");
        };
    }

    static List<String> readPrompts(Path file) { return readPrompts(file, "calibration prompts"); }

    /** Non-empty, non-'#' lines of a prompt file, stripped; {@code what} names the prompts in errors. */
    static List<String> readPrompts(Path file, String what) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (CharacterCodingException e) {
            throw new ConfigException(file + ": " + what + " are not UTF-8 text (one prompt per line)");
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such file (" + what + ")");
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read " + what + ": " + e.getMessage(), e);
        }
        List<String> out = new ArrayList<>();
        for (String l : lines) {
            String t = l.strip();
            if (!t.isEmpty() && !t.startsWith("#")) out.add(t);
        }
        if (out.isEmpty()) throw new ConfigException(file + ": no " + what + " (one per line; '#' starts a comment)");
        return out;
    }
}
