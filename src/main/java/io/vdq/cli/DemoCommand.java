package io.vdq.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException.ConfigException;
import io.vdq.eval.Fidelity;
import io.vdq.eval.report.DiffHeat;
import io.vdq.eval.report.HtmlReport;
import io.vdq.eval.report.SvgCharts;
import io.vdq.eval.vbench.Dimension;
import io.vdq.io.AtomicFiles;
import io.vdq.io.AtomicFolder;
import io.vdq.io.video.GifWriter;
import io.vdq.kernel.Kernels;
import io.vdq.model.wan.WanConfig;
import io.vdq.pipeline.ModelDefaults;
import io.vdq.pipeline.PipelineFolder;
import io.vdq.pipeline.RecipeRun;
import io.vdq.quant.Presets;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.Recipe;
import io.vdq.synth.Prompt;
import io.vdq.tensor.Parallel;
import io.vdq.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.SequencedMap;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vdq demo}: the whole pipeline on one small model — generate, quantize with every registered preset,
 * generate again with the same seeds, compare, and write {@code index.html} + {@code results.json}. The model is
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
    static final List<String> PROMPTS = List.of("a red circle moving left", "a blue square moving right",
            "a green triangle moving up", "a yellow circle moving down", "a magenta square moving left",
            "an orange triangle moving right", "a white circle moving up", "a cyan square moving down");
    static final List<String> CALIBRATION_PROMPTS = List.of("a red triangle moving down", "a blue circle moving up");

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

    /** The --quick selection (those that are registered): both MinMax extremes, one calibrated, one rotated, δ-GBS. */
    static final Set<String> QUICK = Set.of("w8a8-minmax", "w4a4-minmax", "w4a8-smoothquant", "w4a4-quarot", "w4a4/8-dvd");

    static final int UPSCALE = 4, GIF_DELAY_MS = 120;

    WanConfig config() {
        if (heads < 1 || headDim < 2 || (long) heads * headDim > WanConfig.MAX_DIM)
            throw new ConfigException("--heads " + heads + " × --head-dim " + headDim + ": expected positive values whose product is at most "
                    + WanConfig.MAX_DIM);
        return new WanConfig(1, patch, patch, heads, headDim, 3, 3, 64, 256, ffn, layers, true, WanConfig.QK_NORM_ACROSS_HEADS, 1e-6f, 1024);
    }

    /** The presets to run, in registry order, skipping those whose method is not registered. */
    List<Recipe> selectRecipes() {
        List<Recipe> list = new ArrayList<>();
        if (recipes != null) {
            for (String name : recipes) {
                Recipe r = Presets.resolve(name.trim());
                QuantMethods.checkOptions(r); // a misspelt option fails now, not after the full-precision videos
                list.add(r);
            }
            return list;
        }
        Set<String> methods = new HashSet<>(QuantMethods.names());
        for (var p : Presets.all().values()) {
            Recipe r = p.recipe();
            if (methods.contains(r.method()) && (!quick || QUICK.contains(r.name())) && (ablations || !p.ablation()) && !p.gguf()) list.add(r);
        }
        return list;
    }

    @Override
    public void run() {
        System.setProperty("java.awt.headless", "true");
        if (quiet) Logger.getLogger("").setLevel(Level.WARNING); // methods log at INFO
        int p = prompts != null ? prompts : quick ? 2 : 4;
        int n = steps != null ? steps : quick ? 6 : 10;
        if (p < 1 || p > PROMPTS.size()) throw new ConfigException("--prompts " + p + ": expected 1.." + PROMPTS.size());
        if (n < 1 || n > GenerateCommand.MAX_STEPS) throw new ConfigException("--steps " + n + ": expected 1.." + GenerateCommand.MAX_STEPS);
        AtomicFolder.checkReplaceable(out, "index.html", "--out");   // before any sampling
        if (evalPrompts != null && prompts != null) throw new ConfigException("--prompts and --eval-prompts: give one of them");
        List<String> evalList = evalPrompts == null ? PROMPTS.subList(0, p) : QuantizeCommand.readPrompts(evalPrompts, "evaluation prompts");
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
        Path dir = randomInit ? null : modelDir(model);
        WanConfig cfg = randomInit ? config() : WanConfig.read(dir.resolve("config.json"));
        if (cfg.inChannels() != 3 || cfg.outChannels() != 3)
            throw new ConfigException(dir + "/config.json: the demo needs a pixel-space model (in_channels = out_channels = 3), got "
                    + cfg.inChannels() + " and " + cfg.outChannels());
        if (frames % cfg.patchT() != 0 || size % cfg.patchH() != 0 || size % cfg.patchW() != 0)
            throw new ConfigException("--frames " + frames + " --size " + size + ": must be multiples of the model's patch ["
                    + cfg.patchT() + ", " + cfg.patchH() + ", " + cfg.patchW() + "]");
        List<Recipe> list = selectRecipes();
        var s = new RecipeRun.Settings(cfg, dir, seed, frames, size, n, guidance, 3.0, evalList,
                calibPrompts == null ? CALIBRATION_PROMPTS : QuantizeCommand.readPrompts(calibPrompts), 100, teacherForced);
        RecipeRun run = new RecipeRun(s, quiet ? null : System.err);
        if (randomInit)
            run.progress("demo: RANDOM-INIT Wan (%d × %d heads, ffn %d, %d layers, %d params): videos are structured noise",
                    heads, headDim, ffn, layers, run.freshModel().parameterCount());
        else
            run.progress("demo: %s (%d × %d heads, ffn %d, %d layers, %d params)", dir, cfg.numAttentionHeads(),
                    cfg.attentionHeadDim(), cfg.ffnDim(), cfg.numLayers(), run.freshModel().parameterCount());
        run.progress("demo: %d prompts × %d steps, %d recipes, %d frames of %d×%d, %d threads, backend %s", evalList.size(), n, list.size(),
                frames, size, size, Parallel.threads(), Kernels.describe());
        double[] fpSeconds = new double[1];
        List<Tensor> fp = run.generateFullPrecision(fpSeconds);
        double[] fpScores = run.vbench(fp);
        if (fpScores.length > 0)
            run.progress("full precision: VBench-lite colour %.0f%%, direction %.0f%%, mean of 8 dimensions %.1f%%",
                    100 * fpScores[Dimension.COLOR.ordinal()], 100 * fpScores[Dimension.DIRECTION.ordinal()], 100 * mean(fpScores));
        List<RecipeRun.RecipeResult> results = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            Recipe r = list.get(i);
            run.progress("recipe %d/%d %s (%s W%d A%d)", i + 1, list.size(), r.name(), r.method(), r.weightBits(), r.activationBits());
            var pre = Presets.all().get(r.name());
            results.add(run.runRecipe(r, pre == null ? r.method() : pre.description(), fp));
            var res = results.getLast();
            if (res.error() == null)
                run.progress("  %s: PSNR %.2f dB, rel L2 %.4f, cosine %.5f%s", r.name(), res.psnr(), res.relL2(), res.cosine(),
                        res.vbench().length == 0 ? "" : String.format(Locale.ROOT, ", VBench-lite colour %.0f%% direction %.0f%% mean %.1f%%",
                                100 * res.vbench()[Dimension.COLOR.ordinal()], 100 * res.vbench()[Dimension.DIRECTION.ordinal()], 100 * mean(res.vbench()))
                                + String.format(Locale.ROOT, ", Δ vs FP %.1f pts", vbenchDeviation(res.vbench(), fpScores)));
        }
        run.progress("writing report to %s", out);
        // the report folder appears complete or not at all: written into a temporary sibling (the writers take
        // `out`, so it names that folder meanwhile), then renamed over --out
        Path finalOut = out;
        AtomicFolder.write(finalOut, "index.html", "--out", tmp -> {
            out = tmp;
            try {
                write(run, s, fp, fpSeconds[0], fpScores, results);
            } finally {
                out = finalOut;
            }
        });
        double total = run.elapsed();
        if (!quiet) System.out.printf(Locale.ROOT, "demo: %d recipes × %d prompts → %s (total %.1f s)%n",
                list.size(), evalList.size(), out.resolve("index.html"), total);
    }

    /** --model, else models/vdq-tiny under the checkout the launcher runs from (vdq.home), else under the working directory. */
    static Path modelDir(Path model) {
        Path dir = model != null ? model
                : Path.of(System.getProperty("vdq.home", ".")).resolve("models").resolve("vdq-tiny");
        if (PipelineFolder.isPipeline(dir))
            throw new ConfigException("--model " + dir + ": the demo runs pixel-space models of the synthetic world (vdq-tiny); for a "
                    + "Wan pipeline use vdq quantize, vdq generate --prompt and vdq eval (README, \"Using a real Wan2.1 checkpoint\")");
        if (!Files.isRegularFile(dir.resolve("config.json")))
            throw new ConfigException(dir + ": no config.json here; pass --model DIR (a pixel-space Wan model folder, e.g. "
                    + "models/vdq-tiny of the repository) or --random-init");
        // the demo prompts (and calibrates) through the synthetic world's encoder: refuse a model trained on another
        String enc = ModelDefaults.read(dir, ModelDefaults.random(true)).textEncoder();
        if (!enc.equals(ModelDefaults.SYNTH) && !enc.equals(ModelDefaults.RANDOM))
            throw new ConfigException("--model " + dir + ": its " + ModelDefaults.FILE + " names the text encoder '" + enc
                    + "', but the demo encodes prompts with the synthetic world's encoder; it would calibrate and compare on meaningless embeddings");
        return dir;
    }

    private String command() {
        List<String> args = spec.commandLine().getParseResult() == null ? List.of()
                : spec.commandLine().getParseResult().originalArgs();
        int at = args.indexOf("demo"); // the parse result holds the whole command line, "demo" included
        if (at >= 0) args = args.subList(at + 1, args.size());
        return "./vdq demo" + (args.isEmpty() ? "" : " " + String.join(" ", args));
    }

    static double mean(double[] v) {
        double t = 0;
        for (double x : v) t += x;
        return v.length == 0 ? Double.NaN : t / v.length;
    }

    /**
     * How far a recipe's VBench-lite profile is from full precision's: the mean over the 8 dimensions of
     * |score − full-precision score|, in percentage points (0 = the same scores). A recipe can raise one
     * dimension and lower another; the mean score hides that, this does not. NaN when either is not scored.
     */
    static double vbenchDeviation(double[] v, double[] fp) { return RecipeRun.vbenchDeviation(v, fp); }

    /** Cells for the VBench-lite columns (colour, shape, direction, mean of all, Δ vs full precision); blanks when not scored. */
    private static List<String> scoreCells(double[] v, double[] fp) {
        if (v.length == 0) return List.of("", "", "", "", "");
        return List.of(HtmlReport.num(100 * v[Dimension.COLOR.ordinal()], 0), HtmlReport.num(100 * v[Dimension.SHAPE.ordinal()], 0),
                HtmlReport.num(100 * v[Dimension.DIRECTION.ordinal()], 0), HtmlReport.num(100 * mean(v), 1),
                HtmlReport.num(vbenchDeviation(v, fp), 1));
    }

    private static List<String> row(List<String> a, List<String> scores, List<String> b) {
        List<String> r = new ArrayList<>(a);
        r.addAll(scores);
        r.addAll(b);
        return r;
    }

    /** A recipe name as a file name: characters other than letters, digits and {@code . _ = + -} become '_'. */
    static String gifName(String recipe) { return recipe.replaceAll("[^A-Za-z0-9._=+-]", "_"); }

    /** The difference images' white point, as a fraction of the colour range the GIFs show (lo…hi). */
    static final double DIFF_FULL_SCALE = 0.5;

    private void write(RecipeRun run, RecipeRun.Settings s, List<Tensor> fp, double fpSeconds, double[] fpScores,
                       List<RecipeRun.RecipeResult> results) {
        List<HtmlReport.ImageRow> rows = new ArrayList<>();
        for (int i = 0; i < fp.size(); i++) {
            float[] ref = fp.get(i).toArray();
            float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
            for (float x : ref) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
            if (s.trained()) { lo = -1; hi = 1; } // a trained pixel-space model's range: show its colours as they are
            double fullScale = DIFF_FULL_SCALE * (hi > lo ? hi - lo : 1);
            List<HtmlReport.Cell> cells = new ArrayList<>();
            String name = "gifs/p" + i + "-fp.gif";
            GifWriter.write(out.resolve(name), RecipeRun.frames(fp.get(i), lo, hi), GIF_DELAY_MS, UPSCALE);
            cells.add(new HtmlReport.Cell("full precision", name));
            for (var r : results) {
                if (r.error() != null) continue;
                name = "gifs/p" + i + "-" + gifName(r.recipe().name()) + ".gif";
                GifWriter.write(out.resolve(name), RecipeRun.frames(r.samples().get(i), lo, hi), GIF_DELAY_MS, UPSCALE);
                String diff = "gifs/p" + i + "-" + gifName(r.recipe().name()) + "-diff.gif";
                GifWriter.write(out.resolve(diff), DiffHeat.frames(fp.get(i), r.samples().get(i), fullScale), GIF_DELAY_MS, UPSCALE);
                Fidelity.Metrics m = r.perPrompt().get(i);
                cells.add(new HtmlReport.Cell(r.recipe().name() + " · " + HtmlReport.num(m.psnr(), 1) + " dB", name, diff));
            }
            rows.add(new HtmlReport.ImageRow("Prompt " + (i + 1) + ": \"" + s.prompts().get(i) + "\" (noise seed " + run.seed(i) + ")", cells));
        }
        var psnr = new LinkedHashMap<String, Double>();
        double cap = 0;
        for (var r : results) if (r.error() == null && Double.isFinite(r.psnr())) cap = Math.max(cap, r.psnr());
        for (var r : results) if (r.error() == null) psnr.put(r.recipe().name(), r.psnr());
        List<HtmlReport.Figure> figs = new ArrayList<>();
        if (!psnr.isEmpty()) {
            SvgCharts.write(out.resolve("psnr.svg"), SvgCharts.hbars("PSNR vs full precision (higher is better)", "PSNR (dB)", psnr, cap + 10));
            figs.add(new HtmlReport.Figure("PSNR of each recipe's videos against full precision (mean over prompts; ∞ = identical, "
                    + "drawn 10 dB past the best finite bar)", "psnr.svg"));
        }
        var stepSnr = new LinkedHashMap<String, double[]>();
        for (var r : results) {
            if (r.error() != null || r.stepFidelity() == null) continue;
            double[] y = r.stepFidelity().perStepDb();
            if (Arrays.stream(y).allMatch(Double::isFinite)) stepSnr.put(r.recipe().name(), y); // +∞ only if bit-identical
        }
        if (!stepSnr.isEmpty()) {
            SvgCharts.write(out.resolve("step_snr.svg"), SvgCharts.panels(
                    "Teacher-forced SNR of the guided prediction per denoising step (higher is better)", "step", "SNR (dB)", stepSnr, false, false));
            figs.add(new HtmlReport.Figure("Per-step teacher-forced SNR, one panel per recipe (the other recipes in grey behind it, "
                    + "same axes): each recipe's guided prediction on the full-precision latents of that step, against full precision's "
                    + "(all prompts)", "step_snr.svg"));
        }
        var sched = new LinkedHashMap<String, double[]>();
        for (var r : results) {
            if (r.error() != null || !r.bitsVary()) continue;
            double[] y = new double[r.bitSchedule().length];
            for (int k = 0; k < y.length; k++) y[k] = r.bitSchedule()[k];
            sched.put(r.recipe().name(), y);
        }
        if (!sched.isEmpty()) {
            SvgCharts.write(out.resolve("bit_schedule.svg"), SvgCharts.panels("Activation bits per denoising step (prompt 1)", "step",
                    "bits", sched, true, true));
            figs.add(new HtmlReport.Figure("Per-step activation bits of every recipe that switches them (δ-GBS), prompt 1: the bits "
                    + "hold for a whole step", "bit_schedule.svg"));
        }
        var layerErr = new LinkedHashMap<String, SequencedMap<String, Double>>();
        for (var r : results) if (r.error() == null && !r.layerNames().isEmpty()) layerErr.put(r.recipe().name(), byName(r.layerNames(), r.layerWeightRelL2()));
        if (!layerErr.isEmpty()) {
            SvgCharts.write(out.resolve("layer_error.svg"), SvgCharts.heatmap("Per-layer weight error (relative L2, as each method reports it)",
                    "‖Ŵ − W‖ / ‖W‖", layerErr));
            figs.add(new HtmlReport.Figure("Weight error of each quantized layer, one column per layer name in forward order, log colour "
                    + "scale (hover for the value); a recipe that keeps several versions of a layer (ViDiT-Q: one per timestep range, "
                    + "LAYER@rangeK) has one stripe per version in that layer's cell; hatched where a recipe has no such layer",
                    "layer_error.svg"));
        }
        var vbMean = new LinkedHashMap<String, Double>();
        if (fpScores.length > 0) vbMean.put("full precision", 100 * mean(fpScores));
        for (var r : results) if (r.error() == null && r.vbench().length > 0) vbMean.put(r.recipe().name(), 100 * mean(r.vbench()));
        if (!vbMean.isEmpty()) {
            SvgCharts.write(out.resolve("vbench.svg"), SvgCharts.hbars("VBench-lite mean of 8 dimensions (higher is better)", "score (%)", vbMean, 100));
            figs.add(new HtmlReport.Figure("VBench-lite score of each recipe's videos against their prompts (mean of colour, shape, "
                    + "direction, smoothness, subject/background consistency, dynamic degree, imaging quality)", "vbench.svg"));
        }
        List<List<String>> table = new ArrayList<>();
        table.add(row(List.of("full precision", "float", "32", "32", "∞", "0", "1", "∞"), scoreCells(fpScores, fpScores),
                List.of("—", HtmlReport.num(fpSeconds, 1), "the reference")));
        for (var r : results) {
            Recipe q = r.recipe();
            String a = q.floatActivations() ? "16 (float)" : r.bitsVary() ? "≈" + q.activationBits() + " (switched)" : Integer.toString(q.activationBits());
            table.add(r.error() != null
                    ? row(List.of(q.name(), q.method(), Integer.toString(q.weightBits()), a, "", "", "", ""), scoreCells(new double[0], fpScores),
                            List.of(HtmlReport.num(r.quantizeS(), 1), "", "failed: " + r.error()))
                    : row(List.of(q.name(), q.method(), Integer.toString(q.weightBits()), a, HtmlReport.num(r.psnr(), 2),
                            HtmlReport.num(r.relL2(), 4), HtmlReport.num(r.cosine(), 5),
                            r.stepFidelity() == null ? "" : HtmlReport.num(r.stepFidelity().snrDb(), 2)), scoreCells(r.vbench(), fpScores),
                            List.of(HtmlReport.num(r.quantizeS(), 1), HtmlReport.num(r.generateS(), 1), r.description())));
        }
        WanConfig c = s.config();
        String model = String.format(Locale.ROOT, "Wan2.1 architecture, pixel space: %d×%d heads (width %d), ffn %d, %d layers, "
                        + "patch [%d,%d,%d], text_dim %d; videos %d frames of %d×%d; UniPC %d steps, shift %.1f, CFG %.1f "
                        + "with zero negative embeddings.", c.numAttentionHeads(), c.attentionHeadDim(), c.dim(), c.ffnDim(),
                c.numLayers(), c.patchT(), c.patchH(), c.patchW(), c.textDim(), s.frames(), s.size(), s.size(), s.steps(), s.shift(), s.guidance());
        String what = s.trained()
                ? "Model: " + mdLink(relative(s.modelDir())) + " (vdq-tiny: trained in Java by `vdq train-tiny` on the synthetic world of coloured shapes "
                        + "moving in a direction). Every video is scored with VBench-lite against its prompt (" + doc("docs/VBENCH_LITE.md") + "): "
                        + "the colour, shape and direction columns are the share of videos where the detected object matches the prompt."
                : "This model is RANDOM-INIT (seeded, --random-init, seed " + s.modelSeed() + "), not trained. Its videos are structured "
                        + "noise; what this report shows is how far each quantization recipe moves the output away from full precision "
                        + "with the same prompts and seeds, not visual quality.";
        List<String> notes = new ArrayList<>(List.of(what, model,
                "Text embeddings: the synthetic world's built-in text encoder, [16, 64] per prompt. PSNR uses each "
                        + "full-precision video's value range as the peak; GIFs show "
                        + (s.trained() ? "pixels [−1, 1] as black…white" : "that range as black…white") + ", ×" + UPSCALE + "."));
        if (s.teacherForced())
            notes.add("Step SNR (teacher-forced): at every step of every prompt the quantized model is given the full-precision "
                    + "trajectory's latents and its guided prediction is compared with full precision's, 10·log10(Σ‖v_fp‖² / "
                    + "Σ‖v_q − v_fp‖²) over all steps and prompts. Unlike the video PSNR it does not pass one step's error into the "
                    + "next step's input, so it ranks recipes whose per-step errors are close with less noise.");
        if (s.prompts().size() < 16)
            notes.add(String.format(Locale.ROOT, "Only %d prompt%s: PSNR differences below about 1.5 dB between recipes that quantize "
                    + "activations are within run-to-run noise (a float-level change of the attention kernel alone moved them that much, "
                    + doc("BENCHMARKS.md") + "); rank close recipes with --eval-prompts bench/eval-32.txt and several calibration sets.",
                    s.prompts().size(), s.prompts().size() == 1 ? "" : "s"));
        List<HtmlReport.Link> links = new ArrayList<>(List.of(new HtmlReport.Link("results.json (every number of this page)", "results.json")));
        for (String[] d : DOC_LINKS)
            if (Files.isRegularFile(home().resolve(d[0]))) links.add(new HtmlReport.Link(d[1], relative(home().resolve(d[0]))));
        String videoNote = "Each quantized video has its difference view beside it: per pixel and frame |full precision − quantized| "
                + "(mean over the colour channels) relative to R, square-rooted, black <span class=\"ramp\" style=\"background:"
                + DiffHeat.CSS_GRADIENT + "\"></span> white: black = 0, pure red = R/9, yellow = 4R/9, white = R or more, where R = "
                + HtmlReport.num(DIFF_FULL_SCALE * 100, 0) + "% of the colour range shown (" + (s.trained() ? "1.0 on [−1, 1]"
                : "of each full-precision video's range") + ").";
        HtmlReport.Page page = new HtmlReport.Page("vdq demo — quantization recipes vs full precision", links, notes,
                new HtmlReport.Table(List.of("recipe", "method", "W bits", "A bits", "PSNR dB", "rel L2", "cosine", "step SNR dB",
                        "colour %", "shape %", "direction %", "VBench-lite %", "VBench-lite Δ vs FP (pts)", "quantize s", "generate s", "description"), table), rows, figs, videoNote, command(),
                String.format(Locale.ROOT, "Finished %s in %.1f s on %d threads (%s kernels).", Instant.now(), run.elapsed(),
                        Parallel.threads(), Kernels.describe()));
        writeJson(run, s, fpSeconds, fpScores, results);
        HtmlReport.write(out.resolve("index.html"), page);
    }

    /** Documentation the report links to (path in the checkout, link text), when the checkout has it. */
    static final String[][] DOC_LINKS = {{"README.md", "README"}, {"docs/QUANT.md", "quantization methods"},
            {"docs/DVD.md", "DVD-Quant and δ-GBS"}, {"docs/VBENCH_LITE.md", "VBench-lite"}, {"docs/SYNTH_WORLD.md", "the synthetic world"}};

    /** The checkout the launcher runs from (its docs and models), else the working directory. */
    private static Path home() { return Path.of(System.getProperty("vdq.home", ".")).toAbsolutePath().normalize(); }

    /** {@code target} relative to the report folder (forward slashes), for links that survive moving the checkout. */
    private String relative(Path target) {
        Path from = out.toAbsolutePath().normalize(), to = target.toAbsolutePath().normalize();
        try {
            return from.relativize(to).toString().replace('\\', '/');
        } catch (IllegalArgumentException e) { // another root: nothing relative reaches it
            return to.toUri().toString();
        }
    }

    /** A checkout file as a link in a note, its text the file's name in the checkout (plain text where the checkout lacks it). */
    private String doc(String file) {
        return Files.isRegularFile(home().resolve(file)) ? "[" + file + "](" + relative(home().resolve(file)) + ")" : file;
    }

    private static String mdLink(String path) { return "[" + path + "](" + path + ")"; }

    /**
     * Layer name → value; a name repeated in one report gets "@#2", "@#3", … (a second version of that layer, drawn
     * as a stripe of its cell by {@link SvgCharts#heatmap}) so that no value is dropped.
     */
    static SequencedMap<String, Double> byName(List<String> names, double[] values) {
        SequencedMap<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            String k = names.get(i);
            for (int dup = 2; m.containsKey(k); dup++) k = names.get(i) + "@#" + dup;
            m.put(k, values[i]);
        }
        return m;
    }

    private void writeJson(RecipeRun run, RecipeRun.Settings s, double fpSeconds, double[] fpScores, List<RecipeRun.RecipeResult> results) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("command", command());
        root.put("model", s.trained() ? s.modelDir().toString() : "random-init");
        if (!s.trained()) root.put("model_seed", s.modelSeed());
        root.set("config", s.config().toJsonNode());
        root.put("frames", s.frames()).put("height", s.size()).put("width", s.size());
        root.put("sampler", "unipc").put("steps", s.steps()).put("shift", s.shift()).put("guidance", s.guidance());
        ArrayNode pr = root.putArray("prompts");
        for (int i = 0; i < s.prompts().size(); i++) pr.addObject().put("prompt", s.prompts().get(i)).put("seed", run.seed(i));
        ArrayNode cp = root.putArray("calibration_prompts");
        s.calibrationPrompts().forEach(cp::add);
        root.put("full_precision_generate_s", fpSeconds);
        vbenchJson(root, "full_precision_vbench", fpScores);
        ArrayNode rs = root.putArray("recipes");
        for (var r : results) {
            ObjectNode o = rs.addObject();
            o.put("name", r.recipe().name()).put("method", r.recipe().method());
            o.put("weight_bits", r.recipe().weightBits()).put("activation_bits", r.recipe().activationBits());
            if (r.error() != null) { o.put("error", r.error()); continue; }
            o.put("layers", r.layers());
            ArrayNode ln = o.putArray("layer_names");
            r.layerNames().forEach(ln::add);
            finite(o, "psnr_db", r.psnr());
            finite(o, "rel_l2", r.relL2());
            finite(o, "cosine", r.cosine());
            if (r.stepFidelity() != null) {
                finite(o, "teacher_forced_snr_db", r.stepFidelity().snrDb());
                ArrayNode st = o.putArray("teacher_forced_snr_db_per_step");
                for (double v : r.stepFidelity().perStepDb()) if (Double.isFinite(v)) st.add(v); else st.addNull();
            }
            o.put("quantize_s", r.quantizeS()).put("generate_s", r.generateS());
            vbenchJson(o, "vbench", r.vbench());
            if (fpScores.length > 0) finite(o, "vbench_deviation_pts", vbenchDeviation(r.vbench(), fpScores));
            ArrayNode lw = o.putArray("layer_weight_rel_l2");
            for (double v : r.layerWeightRelL2()) lw.add(v);
            ArrayNode bits = o.putArray("activation_bits_per_step");
            for (int b : r.bitSchedule()) bits.add(b);
            ArrayNode per = o.putArray("per_prompt");
            for (Fidelity.Metrics m : r.perPrompt()) {
                ObjectNode q = per.addObject();
                finite(q, "psnr_db", m.psnr());
                finite(q, "rel_l2", m.relL2());
                finite(q, "cosine", m.cosine());
                finite(q, "mse", m.mse());
            }
        }
        root.put("total_s", run.elapsed());
        root.put("threads", Parallel.threads());
        root.put("finished", Instant.now().toString());
        try {
            AtomicFiles.writeBytes(out.resolve("results.json"), json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        } catch (IOException e) {
            throw new UncheckedIOException(out.resolve("results.json") + ": cannot write: " + e.getMessage(), e);
        }
    }

    private static void vbenchJson(ObjectNode o, String key, double[] v) {
        if (v.length == 0) return;
        ObjectNode n = o.putObject(key);
        for (Dimension d : Dimension.values()) n.put(d.key(), v[d.ordinal()]);
    }

    /** JSON has no ∞/NaN: such values are written as null. */
    private static void finite(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) o.put(key, v); else o.putNull(key);
    }
}
