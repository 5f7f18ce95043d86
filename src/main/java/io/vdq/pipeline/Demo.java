package io.vdq.pipeline;

import io.vdq.VdqException.ConfigException;
import io.vdq.eval.report.DemoReport;
import io.vdq.eval.vbench.Dimension;
import io.vdq.io.AtomicFolder;
import io.vdq.kernel.Kernels;
import io.vdq.model.wan.WanConfig;
import io.vdq.quant.Presets;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.Recipe;
import io.vdq.tensor.Parallel;
import io.vdq.tensor.Tensor;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The demo's run ({@code vdq demo}): generate with full precision, quantize with every recipe, generate again with
 * the same seeds, compare, and write the report ({@link DemoReport}) into a folder that appears complete or not at
 * all. The model is vdq-tiny (or any pixel-space model of the synthetic world), so every video is also scored with
 * VBench-lite against its prompt; a seeded random-init model gives fidelity numbers only.
 */
public final class Demo {
    private Demo() {}

    /** The built-in evaluation prompts (the demo takes the first 4, --quick the first 2). */
    public static final List<String> PROMPTS = List.of("a red circle moving left", "a blue square moving right",
            "a green triangle moving up", "a yellow circle moving down", "a magenta square moving left",
            "an orange triangle moving right", "a white circle moving up", "a cyan square moving down");
    /** The built-in calibration prompts. */
    public static final List<String> CALIBRATION_PROMPTS = List.of("a red triangle moving down", "a blue circle moving up");

    /** The quick selection (those that are registered): both MinMax extremes, one calibrated, one rotated, δ-GBS. */
    public static final Set<String> QUICK = Set.of("w8a8-minmax", "w4a4-minmax", "w4a8-smoothquant", "w4a4-quarot", "w4a4/8-dvd");

    /**
     * The recipes to run: {@code names} resolved (presets or recipe files, with overrides; every option checked now,
     * before any sampling), or when null every preset whose method is registered, in registry order, only the
     * {@link #QUICK} ones when {@code quick}, ablations only when {@code ablations}, GGUF encodings never.
     */
    public static List<Recipe> recipes(List<String> names, boolean quick, boolean ablations) {
        List<Recipe> list = new ArrayList<>();
        if (names != null) {
            for (String name : names) {
                Recipe r = Presets.resolve(name.trim());
                QuantMethods.settings(r); // a misspelt option fails now, not after the full-precision videos
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

    /** {@code model}, else models/vdq-tiny under the checkout the launcher runs from (vdq.home), else under the working directory. */
    public static Path modelDir(Path model) {
        Path dir = model != null ? model : home().resolve("models").resolve("vdq-tiny");
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

    /** The checkout the launcher runs from (its docs and models), else the working directory. */
    static Path home() { return Path.of(System.getProperty("vdq.home", ".")); }

    /**
     * Runs every recipe of {@code recipes} under {@code s} and writes the report to {@code out} (replaced atomically;
     * {@code command} is the command line the report shows); progress lines go to {@code log} (null: none). Returns
     * the total seconds.
     */
    public static double run(RecipeRun.Settings s, List<Recipe> recipes, Path out, String command, PrintStream log) {
        RecipeRun run = new RecipeRun(s, log);
        WanConfig cfg = s.config();
        if (!s.trained())
            run.progress("demo: RANDOM-INIT Wan (%d × %d heads, ffn %d, %d layers, %d params): videos are structured noise",
                    cfg.numAttentionHeads(), cfg.attentionHeadDim(), cfg.ffnDim(), cfg.numLayers(), run.freshModel().parameterCount());
        else
            run.progress("demo: %s (%d × %d heads, ffn %d, %d layers, %d params)", s.modelDir(), cfg.numAttentionHeads(),
                    cfg.attentionHeadDim(), cfg.ffnDim(), cfg.numLayers(), run.freshModel().parameterCount());
        run.progress("demo: %d prompts × %d steps, %d recipes, %d frames of %d×%d, %d threads, backend %s", s.prompts().size(), s.steps(),
                recipes.size(), s.frames(), s.size(), s.size(), Parallel.threads(), Kernels.describe());
        double[] fpSeconds = new double[1];
        List<Tensor> fp = run.generateFullPrecision(fpSeconds);
        double[] fpScores = run.vbench(fp);
        if (fpScores.length > 0)
            run.progress("full precision: VBench-lite colour %.0f%%, direction %.0f%%, mean of 8 dimensions %.1f%%",
                    100 * fpScores[Dimension.COLOR.ordinal()], 100 * fpScores[Dimension.DIRECTION.ordinal()], 100 * DemoReport.mean(fpScores));
        List<DemoReport.Entry> results = new ArrayList<>();
        for (int i = 0; i < recipes.size(); i++) {
            Recipe r = recipes.get(i);
            run.progress("recipe %d/%d %s (%s W%d A%d)", i + 1, recipes.size(), r.name(), r.method(), r.weightBits(), r.activationBits());
            var pre = Presets.all().get(r.name());
            var res = entry(run.runRecipe(r, pre == null ? r.method() : pre.description(), fp));
            results.add(res);
            if (res.error() == null)
                run.progress("  %s: PSNR %.2f dB, rel L2 %.4f, cosine %.5f%s", r.name(), res.psnr(), res.relL2(), res.cosine(),
                        res.vbench().length == 0 ? "" : String.format(Locale.ROOT, ", VBench-lite colour %.0f%% direction %.0f%% mean %.1f%%",
                                100 * res.vbench()[Dimension.COLOR.ordinal()], 100 * res.vbench()[Dimension.DIRECTION.ordinal()],
                                100 * DemoReport.mean(res.vbench()))
                                + String.format(Locale.ROOT, ", Δ vs FP %.1f pts", DemoReport.vbenchDeviation(res.vbench(), fpScores)));
        }
        run.progress("writing report to %s", out);
        // the report folder appears complete or not at all: written into a temporary sibling, then renamed over out
        DemoReport.Setup setup = new DemoReport.Setup(cfg, s.modelDir(), s.modelSeed(), s.frames(), s.size(), s.steps(), s.guidance(),
                s.shift(), s.prompts(), s.calibrationPrompts(), s.noiseSeed(), s.teacherForced());
        AtomicFolder.write(out, "index.html", "--out", tmp -> DemoReport.write(tmp, home(), setup, fp, fpSeconds[0], fpScores, results,
                command, Kernels.describe(), run::elapsed));
        return run.elapsed();
    }

    /** A recipe's outcome as the report takes it. */
    static DemoReport.Entry entry(RecipeRun.RecipeResult r) {
        Recipe q = r.recipe();
        return new DemoReport.Entry(q.name(), q.method(), q.weightBits(), q.activationBits(), q.floatActivations(), r.description(),
                r.samples(), r.perPrompt(), r.psnr(), r.relL2(), r.cosine(), r.quantizeS(), r.generateS(), r.bitSchedule(), r.bitsVary(),
                r.layers(), r.layerNames(), r.layerWeightRelL2(), r.vbench(), r.stepFidelity(), r.error());
    }
}
