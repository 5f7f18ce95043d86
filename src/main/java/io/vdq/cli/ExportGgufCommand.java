package io.vdq.cli;

import io.vdq.VdqException.ConfigException;
import io.vdq.io.gguf.GgmlType;
import io.vdq.io.gguf.WanQuantMix;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.pipeline.CalibrationTexts;
import io.vdq.pipeline.GgufCalibration;
import io.vdq.pipeline.GgufExport;
import io.vdq.pipeline.LoadedModel;
import io.vdq.pipeline.ModelDefaults;
import io.vdq.pipeline.ModelLoader;
import io.vdq.pipeline.QuantizePipeline;
import io.vdq.quant.GgmlEncoder;
import io.vdq.quant.calib.ColumnImportance;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vdq export-gguf}: parses the options, builds the calibration settings from the model's defaults, and runs
 * {@link GgufExport} (which writes the file) with the block encoder registered under {@code --method}
 * ({@link GgmlEncoder}).
 */
@Command(name = "export-gguf", mixinStandardHelpOptions = true,
        description = "Write a Wan transformer as a GGUF file for ComfyUI-GGUF / stable-diffusion.cpp.")
final class ExportGgufCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Diffusers Wan transformer folder (or safetensors file).")
    Path model;

    @Option(names = "--type", required = true, paramLabel = "TYPE",
            description = "ggml type of the blocks' linear weights: q8_0, q6_k, q5_k, q5_1, q5_0, q4_k, q4_1, q4_0, q3_k, q2_k, f16, bf16, f32, or a llama.cpp mix: q3_k_s/m/l, q4_k_s/m, q5_k_s/m (more bits for the v and ffn.2 projections).")
    String type;

    @Option(names = "--method", defaultValue = "ref", paramLabel = "ref|bgr|gptq",
            description = "Block encoder: ref (ggml's reference, as llama-quantize without imatrix), bgr (vdq's refinement, never worse per block) "
                    + "or gptq (error feedback through each layer's calibration Hessian; runs the model on the calibration prompts). Default: ${DEFAULT-VALUE}.")
    String method;

    @Option(names = "--calib-prompts", paramLabel = "FILE",
            description = "Calibration prompts for --method gptq / --write-importance, one per line ('#' comments); default: the demo's two ("
                    + "'a red triangle moving down', 'a blue circle moving up').")
    Path calibPrompts;

    @Option(names = "--calib-embeds", paramLabel = "DIR",
            description = "Precomputed calibration embeddings instead of prompts (a bare transformer folder has no text encoder): a folder of "
                    + "safetensors files, one tensor [L, text_dim] each, taken in name order (vdq encode-prompt writes one; vdq make-checkpoint "
                    + "--prompts N writes random ones); negative.safetensors in it, if present, is every prompt's negative (else zeros).")
    Path calibEmbeds;

    @Option(names = "--calib-steps", paramLabel = "N", description = "Sampling steps per calibration prompt (default: the model's vdq.json steps).")
    Integer calibSteps;

    @Option(names = "--calib-frames", paramLabel = "F", description = "Calibration video frames (default: the model's vdq.json frames).")
    Integer calibFrames;

    @Option(names = "--calib-height", paramLabel = "H", description = "Calibration video height (default: the model's vdq.json height).")
    Integer calibHeight;

    @Option(names = "--calib-width", paramLabel = "W", description = "Calibration video width (default: the model's vdq.json width).")
    Integer calibWidth;

    @Option(names = "--seed", defaultValue = "0", description = "Calibration noise seed: prompt i uses seed + i (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--damp", defaultValue = "0.01", description = "--method gptq: dampening, a fraction of the mean diagonal of H (default ${DEFAULT-VALUE}).")
    double damp;

    @Option(names = "--write-importance", paramLabel = "FILE",
            description = "Run the calibration prompts and write each block linear's per-input-channel mean square (the --importance file) to FILE; "
                    + "with --method bgr and no --importance, the encoding also uses it.")
    Path writeImportance;

    @Option(names = "--importance", paramLabel = "FILE",
            description = "With --method bgr: per-column importance of each linear (safetensors of mean squares keyed by diffusers layer name, see quant.calib.ColumnImportance); the weighted error is minimised.")
    Path importance;

    @Option(names = "--hessian-budget", defaultValue = "1000000000", paramLabel = "BYTES",
            description = "--method gptq: most bytes of calibration Hessians held at once; layers are calibrated in passes of this "
                    + "much, in the order they are written (at least one layer a pass; each pass reruns the calibration prompts). "
                    + "The output does not depend on it. Default: ${DEFAULT-VALUE}.")
    long hessianBudget;

    @Option(names = "--out", required = true, paramLabel = "FILE.gguf", description = "Output file.")
    Path out;

    @Option(names = "--quiet", description = "No progress output.")
    boolean quiet;

    @Override public Integer call() {
        WanQuantMix mix = WanQuantMix.parse(type);
        if (mix == null)
            throw new ConfigException("--type: '" + type + "' is not one of " + Arrays.toString(GgmlType.values()).toLowerCase(Locale.ROOT)
                    + " or q3_k_s, q3_k_m, q3_k_l, q4_k_s, q4_k_m, q5_k_s, q5_k_m");
        if (Files.isDirectory(out)) throw new ConfigException("--out " + out + ": is a folder; give a .gguf file");
        GgmlEncoder enc = GgmlEncoder.find(method)
                .orElseThrow(() -> new ConfigException("--method: '" + method + "' is not one of " + String.join(", ", GgmlEncoder.names())));
        PrintWriter log = spec.commandLine().getErr();
        if (importance != null && !enc.usesImportance())
            throw new ConfigException("--importance needs --method bgr (ggml's reference encoder takes no weights; gptq uses its Hessian)");
        boolean calibrate = GgufExport.calibrates(enc, writeImportance);
        if (!calibrate && (calibPrompts != null || calibEmbeds != null || calibSteps != null || calibFrames != null || calibHeight != null || calibWidth != null))
            throw new ConfigException("--calib-* options need --method gptq or --write-importance (nothing else runs calibration)");
        if (calibPrompts != null && calibEmbeds != null) throw new ConfigException("--calib-prompts and --calib-embeds: give one of them");
        if (!(damp >= 0)) throw new ConfigException("--damp " + damp + ": expected >= 0");
        Map<String, float[]> imp = importance == null ? Map.of() : ColumnImportance.load(importance);
        long t0 = System.nanoTime();
        if (hessianBudget < 1) throw new ConfigException("--hessian-budget " + hessianBudget + ": expected a positive number of bytes");
        var options = new GgufExport.Options(model, mix, enc, damp, imp, importance == null ? null : importance.getFileName().toString(),
                writeImportance, quiet ? null : log);
        GgufExport.run(options, order -> calibrate(order, log), out);
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s (%s, method %s) in %.1f s%n", out, mix.name(), enc.name(),
                (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    /** Loads --model as a Wan model and runs the calibration prompts over it (see {@link GgufCalibration}). */
    private GgufCalibration.Result calibrate(List<String> hessianOrder, PrintWriter log) {
        List<String> prompts = calibPrompts == null ? null : QuantizeCommand.readPrompts(calibPrompts);
        LoadedModel lm = ModelLoader.load(model.toString(), null);
        if (lm.quantized() != null || lm.twoExperts())
            throw new ConfigException("--model " + model + ": calibration needs one float transformer (not a quantized checkpoint or a two-expert pipeline)");
        WanModel wan = lm.model();
        WanConfig c = wan.config();
        ModelDefaults d = lm.defaults();
        int steps = calibSteps != null ? calibSteps : d.steps();
        if (steps < 1 || steps > GenerateCommand.MAX_STEPS)
            throw new ConfigException("--calib-steps " + steps + ": expected 1.." + GenerateCommand.MAX_STEPS);
        int f = calibFrames != null ? calibFrames : d.frames(), h = calibHeight != null ? calibHeight : d.height(),
                wd = calibWidth != null ? calibWidth : d.width();
        int[] shape = d.pixelSpace() ? GenerateCommand.pixelShape(c, f, h, wd) : GenerateCommand.latentShape(c, f, h, wd);
        // the recipe is not used: only the calibration runs of these settings are
        var settings = new QuantizePipeline.Settings(null, prompts, seed, steps, shape, d.guidance(), d.shift(), 1,
                CalibrationTexts.supplier(model.toString(), prompts, calibEmbeds, c, System.err, quiet), calibEmbeds != null);
        QuantizePipeline.Progress progress = quiet ? QuantizePipeline.Progress.NONE : new QuantizePipeline.Progress() {
            @Override public void layer(int done, int total, String name, double outputRelL2, double elapsedS) {}
            @Override public void stage(String message) { log.println("export-gguf: " + message); log.flush(); }
        };
        return GgufCalibration.run(wan, settings, hessianOrder, hessianBudget, progress);
    }
}
