package io.vdq.cli;

import io.vdq.VdqException.ConfigException;
import io.vdq.io.AtomicFolder;
import io.vdq.model.wan.WanConfig;
import io.vdq.pipeline.Demo;
import io.vdq.pipeline.RecipeRun;
import io.vdq.quant.Recipe;
import io.vdq.synth.Prompt;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vdq demo}: the whole pipeline on one small model — generate, quantize with every registered preset,
 * generate again with the same seeds, compare, and write {@code index.html} + {@code results.json}. Parses and checks
 * the options, then calls {@link Demo} (the run) and prints where the report is. The model is
 * vdq-tiny ({@code models/vdq-tiny}, trained in Java on the synthetic world by {@code vdq train-tiny}), so every
 * video is also scored with VBench-lite against its prompt; {@code --random-init} runs a seeded random-init
 * pixel-space Wan instead (structured noise: only the fidelity numbers mean something).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Generate → quantize with every recipe → generate again with the same seeds → compare → HTML report.",
                "",
                "The model is vdq-tiny (models/vdq-tiny: Wan2.1 architecture, width 256, pixel space, trained on the synthetic "
                        + "world); videos are scored with VBench-lite and against full precision.",
                ""})
final class DemoCommand implements Runnable {
    @Option(names = "--out", defaultValue = "report", description = "Report folder (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--model", description = "Pixel-space Wan model folder (config.json + safetensors; default: models/vdq-tiny of this checkout).")
    Path model;

    @Option(names = "--random-init", description = "Use a seeded random-init model shaped by --heads/--head-dim/--ffn/--layers/--patch instead of vdq-tiny.")
    boolean randomInit;

    @Option(names = "--quick", description = "About 2 minutes: 2 prompts, 6 steps, 5 recipes (w8a8/w4a4-minmax, w4a8-smoothquant, w4a4-quarot, w4a4/8-dvd).")
    boolean quick;

    @Option(names = "--prompts", description = "Evaluation prompts, 1..8 of the built-in list (default 4; 2 with --quick).")
    Integer prompts;

    @Option(names = "--eval-prompts", description = "Evaluation prompts from a file instead, one per line ('#' comments), "
            + "in the synthetic world's grammar (docs/SYNTH_WORLD.md) so VBench-lite can score them; prompt i gets noise seed "
            + "--seed + i. More prompts make the VBench-lite columns less noisy.")
    Path evalPrompts;

    @Option(names = "--steps", description = "UniPC steps (default 10; 6 with --quick).")
    Integer steps;

    @Option(names = "--recipes", split = ",", description = "Presets or recipe JSON files to run, comma-separated, each optionally with overrides "
            + "NAME+key=value (e.g. w4a6-s2q+seed=1) (default: every preset whose method is registered, ablations only with --ablations).")
    List<String> recipes;

    @Option(names = "--calib-prompts", description = "Calibration prompts, one per line ('#' comments), for the methods "
            + "that need data and for δ-GBS's automatic δ (default: 2 built-in prompts). S²Q's salient data selection only "
            + "chooses when the pool (prompts × steps) holds more than its 40 samples.")
    Path calibPrompts;

    @Option(names = "--ablations", description = "Also run the methods' ablation presets (DVD-Quant BGR-only / ARQ-only, S²Q without SDS / STD).")
    boolean ablations;

    @Option(names = "--guidance", defaultValue = "5.0", description = "CFG scale with zero negative embeddings (default ${DEFAULT-VALUE}).")
    float guidance;

    @Option(names = "--seed", defaultValue = "0", description = "Random-init model seed; prompt i uses noise seed 100 + i (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--frames", defaultValue = "8", description = "Video frames (default ${DEFAULT-VALUE}).")
    int frames;

    @Option(names = "--size", defaultValue = "32", description = "Video height = width in pixels, a multiple of --patch (default ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--patch", defaultValue = "2",
            description = "Spatial patch size p, patch [1, p, p] (with --random-init; default ${DEFAULT-VALUE}; 4 gives 1/4 of the tokens and ~1/4 of the time).")
    int patch;

    @Option(names = "--heads", defaultValue = "2", description = "Attention heads (with --random-init; default ${DEFAULT-VALUE}).")
    int heads;

    @Option(names = "--head-dim", defaultValue = "128", description = "Head dimension; d/3 must be even, e.g. 12, 24, 48, 128 (with --random-init; default ${DEFAULT-VALUE}).")
    int headDim;

    @Option(names = "--ffn", defaultValue = "512", description = "FFN width (with --random-init; default ${DEFAULT-VALUE}).")
    int ffn;

    @Option(names = "--layers", defaultValue = "2", description = "Transformer blocks (with --random-init; default ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--teacher-forced", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Also score every step with the quantized model on the full-precision trajectory's latents: the "
                    + "step SNR column, free of the sampler's amplification of small differences (on by default; "
                    + "--no-teacher-forced saves it: 12 s of the default demo's 131 s).")
    boolean teacherForced;

    @Option(names = "--quiet", description = "No progress output.")
    boolean quiet;

    @Spec CommandSpec spec;

    WanConfig config() {
        if (heads < 1 || headDim < 2 || (long) heads * headDim > WanConfig.MAX_DIM)
            throw new ConfigException("--heads " + heads + " × --head-dim " + headDim + ": expected positive values whose product is at most "
                    + WanConfig.MAX_DIM);
        return new WanConfig(1, patch, patch, heads, headDim, 3, 3, 64, 256, ffn, layers, true, WanConfig.QK_NORM_ACROSS_HEADS, 1e-6f, 1024);
    }

    /** The presets to run, in registry order, skipping those whose method is not registered. */
    List<Recipe> selectRecipes() { return Demo.recipes(recipes, quick, ablations); }

    @Override
    public void run() {
        System.setProperty("java.awt.headless", "true");
        if (quiet) Logger.getLogger("").setLevel(Level.WARNING); // methods log at INFO
        int p = prompts != null ? prompts : quick ? 2 : 4;
        int n = steps != null ? steps : quick ? 6 : 10;
        if (p < 1 || p > Demo.PROMPTS.size()) throw new ConfigException("--prompts " + p + ": expected 1.." + Demo.PROMPTS.size());
        if (n < 1 || n > GenerateCommand.MAX_STEPS) throw new ConfigException("--steps " + n + ": expected 1.." + GenerateCommand.MAX_STEPS);
        AtomicFolder.checkReplaceable(out, "index.html", "--out");   // before any sampling
        if (evalPrompts != null && prompts != null) throw new ConfigException("--prompts and --eval-prompts: give one of them");
        List<String> evalList = evalPrompts == null ? Demo.PROMPTS.subList(0, p) : QuantizeCommand.readPrompts(evalPrompts, "evaluation prompts");
        if (evalPrompts != null && !randomInit) // VBench-lite parses every prompt; the built-in ones are known to parse
            for (int i = 0; i < evalList.size(); i++) {
                try {
                    Prompt.parse(evalList.get(i));
                } catch (ConfigException e) {
                    throw new ConfigException(evalPrompts + ": prompt " + (i + 1) + ": " + e.getMessage());
                }
            }
        if (n < 2) throw new ConfigException("--steps " + n + ": expected >= 2");
        if (frames > 1025 || size > 4096)
            throw new ConfigException("--frames " + frames + " --size " + size + ": at most 1025 frames of 4096×4096");
        if (frames < 1 || patch < 1 || size < patch || size % patch != 0)
            throw new ConfigException("--frames " + frames + " --size " + size + " --patch " + patch
                    + ": expected frames >= 1 and a size that is a positive multiple of the patch");
        Path dir = randomInit ? null : Demo.modelDir(model);
        WanConfig cfg = randomInit ? config() : WanConfig.read(dir.resolve("config.json"));
        if (cfg.inChannels() != 3 || cfg.outChannels() != 3)
            throw new ConfigException(dir + "/config.json: the demo needs a pixel-space model (in_channels = out_channels = 3), got "
                    + cfg.inChannels() + " and " + cfg.outChannels());
        if (frames % cfg.patchT() != 0 || size % cfg.patchH() != 0 || size % cfg.patchW() != 0)
            throw new ConfigException("--frames " + frames + " --size " + size + ": must be multiples of the model's patch ["
                    + cfg.patchT() + ", " + cfg.patchH() + ", " + cfg.patchW() + "]");
        List<Recipe> list = selectRecipes();
        var s = new RecipeRun.Settings(cfg, dir, seed, frames, size, n, guidance, 3.0, evalList,
                calibPrompts == null ? Demo.CALIBRATION_PROMPTS : QuantizeCommand.readPrompts(calibPrompts), 100, teacherForced);
        double total = Demo.run(s, list, out, command(), quiet ? null : System.err);
        if (!quiet) System.out.printf(Locale.ROOT, "demo: %d recipes × %d prompts → %s (total %.1f s)%n",
                list.size(), evalList.size(), out.resolve("index.html"), total);
    }

    private String command() {
        List<String> args = spec.commandLine().getParseResult() == null ? List.of()
                : spec.commandLine().getParseResult().originalArgs();
        int at = args.indexOf("demo"); // the parse result holds the whole command line, "demo" included
        if (at >= 0) args = args.subList(at + 1, args.size());
        return "./vdq demo" + (args.isEmpty() ? "" : " " + String.join(" ", args));
    }
}
