package io.vdq.cli;

import io.vdq.VdqException.ConfigException;
import io.vdq.model.wan.WanConfig;
import io.vdq.pipeline.Demo;
import io.vdq.pipeline.RecipeRun;
import io.vdq.pipeline.Sweep;
import io.vdq.quant.Presets;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.Recipe;
import io.vdq.synth.Prompt;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vdq sweep}: recipes × seeds × calibration sets on the demo's model, paired by (seed, calibration set) so
 * that recipes are compared on the same noise and the same calibration data (docs/SWEEP.md). Each cell runs
 * through {@link RecipeRun} exactly as the demo does ({@link Sweep}); finished cells are appended to {@code cells.jsonl}
 * and a rerun with the same arguments skips them. With {@code --spark} the cells run as Spark tasks (the vdq-spark module).
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = {"Recipes × seeds × calibration sets on vdq-tiny (or another Wan folder, latent-space ones too), paired by (seed, calibration set): mean ± sd per recipe "
                + "and paired differences against a baseline (mean, sd, sign count, paired t). Resumes from --out's cells.jsonl.", ""})
final class SweepCommand implements Runnable {
    @Option(names = "--recipes", required = true, split = ",",
            description = "Presets or recipe JSON files, comma-separated, optionally NAME+key=value; methods with a 'seed' option get seed=s "
                    + "unless the recipe sets it.")
    List<String> recipes;

    @Option(names = "--seeds", defaultValue = "3", description = "Seeds s = 0..N-1: noise of every prompt and of calibration, and the methods' seed option (default ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--prompts", description = "Evaluation prompts, the first N (1..8) of the demo's list (default 4).")
    Integer prompts;

    @Option(names = "--eval-prompts", description = "Evaluation prompts from a file instead, one per line ('#' comments), e.g. bench/eval-32.txt.")
    Path evalPrompts;

    @Option(names = "--calib-sets", description = "Calibration sets drawn without overlap from a pool of world prompts (colour × shape × "
            + "left/right/up/down, evaluation prompts left out) with a fixed shuffle (default 1; with --calib-prompts: one per file).")
    Integer calibSets;

    @Option(names = "--calib-size", defaultValue = "2", description = "Prompts per drawn calibration set (default ${DEFAULT-VALUE}, as the demo).")
    int calibSize;

    @Option(names = "--calib-prompts", split = ",", description = "Calibration sets from files instead, FILE[,FILE…]: one set per file.")
    List<Path> calibPrompts;

    @Option(names = "--steps", defaultValue = "10", description = "UniPC steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--baseline", description = "The recipe the others are paired against (default: the first of --recipes).")
    String baseline;

    @Option(names = "--model", description = "Wan model folder (default: models/vdq-tiny of this checkout); a latent-space one (e.g. from "
            + "'vdq make-checkpoint') is sampled in its latent space, PSNR is then of the final latents and VBench-lite is left out.")
    Path model;

    @Option(names = "--random-init", description = "A seeded random-init model (seed 0) shaped by --heads/--head-dim/--ffn/--layers/--patch instead of vdq-tiny.")
    boolean randomInit;

    @Option(names = "--out", defaultValue = "sweep", description = "Output folder: cells.jsonl, sweep.json, report.html (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--teacher-forced", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Teacher-forced step SNR per cell, as the demo computes it (on by default; --no-teacher-forced skips it).")
    boolean teacherForced;

    @Option(names = "--quiet", description = "No progress output (the table is still printed).")
    boolean quiet;

    @Option(names = "--guidance", defaultValue = "5.0", description = "CFG scale with zero negative embeddings (default ${DEFAULT-VALUE}).")
    float guidance;

    @Option(names = "--frames", defaultValue = "8", description = "Video frames (default ${DEFAULT-VALUE}).")
    int frames;

    @Option(names = "--size", defaultValue = "32", description = "Video height = width in pixels (default ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--patch", defaultValue = "2", description = "Random-init: spatial patch size (default ${DEFAULT-VALUE}).")
    int patch;

    @Option(names = "--heads", defaultValue = "2", description = "Random-init: attention heads (default ${DEFAULT-VALUE}).")
    int heads;

    @Option(names = "--head-dim", defaultValue = "128", description = "Random-init: head dimension (default ${DEFAULT-VALUE}).")
    int headDim;

    @Option(names = "--ffn", defaultValue = "512", description = "Random-init: FFN width (default ${DEFAULT-VALUE}).")
    int ffn;

    @Option(names = "--layers", defaultValue = "2", description = "Random-init: transformer blocks (default ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--videos", description = "Also write each computed cell's videos, and each seed's full-precision ones, as MP4 under "
            + "OUT/videos/<cell id>/prompt-<i>.mp4 (with --spark the executors write them: OUT must then be shared storage).")
    boolean videos;

    @Option(names = "--spark", paramLabel = "MASTER",
            description = "Run the cells as Apache Spark tasks on MASTER (local[N], local[N,F] with F tries per task, spark://HOST:PORT, yarn, "
                    + "k8s://…; 'submit' = the master spark-submit was given). Needs the vdq-spark module (README, \"Sweeps on a Spark cluster\").")
    String spark;

    @Spec CommandSpec spec;

    @Override
    public void run() {
        System.setProperty("java.awt.headless", "true");
        if (quiet) Logger.getLogger("").setLevel(Level.WARNING);
        long t0 = System.nanoTime();
        PrintStream log = quiet ? null : System.err;
        Sweep sweep = new Sweep(plan());
        Sweep.Runner runner = Sweep.runner(spark);
        Sweep.Outcome o = sweep.run(out, runner, log, t0);
        Sweep.Spec sp = sweep.spec();
        System.out.printf(Locale.ROOT, "sweep: %d recipes × %d seeds × %d calibration set(s) × %d prompts (%s), %d steps: %d cells (%d computed, %d resumed)%n",
                sp.recipes().size(), sp.seeds(), sp.calibSets().size(), sp.evalPrompts().size(), sp.trained() ? sp.modelDir() : "random-init",
                sp.steps(), o.cells().size(), o.computed(), o.resumed());
        System.out.print(o.table().text());
        sweep.write(out, o, command(), runner.describe());
        System.out.println("sweep: wrote " + out.resolve("sweep.json") + " and " + out.resolve("report.html"));
    }

    /** The options checked and turned into the sweep's plan (no sampling yet). */
    private Sweep.Spec plan() {
        if (seeds < 1) throw new ConfigException("--seeds " + seeds + ": expected >= 1");
        if (steps < 2 || steps > GenerateCommand.MAX_STEPS) throw new ConfigException("--steps " + steps + ": expected 2.." + GenerateCommand.MAX_STEPS);
        if (Files.exists(out) && !Files.isDirectory(out))   // before any sampling
            throw new ConfigException("--out " + out + ": exists and is not a folder");
        if (evalPrompts != null && prompts != null) throw new ConfigException("--prompts and --eval-prompts: give one of them");
        int p = prompts == null ? 4 : prompts;
        if (p < 1 || p > Demo.PROMPTS.size()) throw new ConfigException("--prompts " + p + ": expected 1.." + Demo.PROMPTS.size());
        List<String> evalList = evalPrompts == null ? Demo.PROMPTS.subList(0, p) : QuantizeCommand.readPrompts(evalPrompts, "evaluation prompts");
        Path dir = randomInit ? null : Demo.modelDir(model);
        if (!randomInit)
            for (int i = 0; i < evalList.size(); i++) {
                try {
                    Prompt.parse(evalList.get(i));
                } catch (ConfigException e) {
                    throw new ConfigException((evalPrompts == null ? "prompts" : evalPrompts.toString()) + ": prompt " + (i + 1) + ": " + e.getMessage());
                }
            }
        WanConfig cfg = randomInit
                ? new WanConfig(1, patch, patch, heads, headDim, 3, 3, 64, 256, ffn, layers, true, WanConfig.QK_NORM_ACROSS_HEADS, 1e-6f, 1024)
                : WanConfig.read(dir.resolve("config.json"));
        if (cfg.inChannels() != cfg.outChannels())
            throw new ConfigException(dir + "/config.json: the sweep samples the model's own input space: in_channels (" + cfg.inChannels()
                    + ") must equal out_channels (" + cfg.outChannels() + ")");
        if (frames > 1025 || size > 4096)
            throw new ConfigException("--frames " + frames + " --size " + size + ": at most 1025 frames of 4096×4096");
        if (frames < 1 || size < 1 || frames % cfg.patchT() != 0 || size % cfg.patchH() != 0 || size % cfg.patchW() != 0)
            throw new ConfigException("--frames " + frames + " --size " + size + ": must be positive multiples of the model's patch ["
                    + cfg.patchT() + ", " + cfg.patchH() + ", " + cfg.patchW() + "]");
        List<String> names = recipes.stream().map(String::strip).toList();
        if (new HashSet<>(names).size() != names.size()) throw new ConfigException("--recipes " + String.join(",", names) + ": a recipe is named twice");
        List<String> recipeJson = new ArrayList<>();
        for (String n : names) {
            Recipe r = Presets.resolve(n);
            QuantMethods.settings(r); // a misspelt option fails now, not after the full-precision videos
            recipeJson.add(Sweep.recipeJson(n, r));
        }
        String base = baseline == null ? names.getFirst() : baseline.strip();
        if (!names.contains(base)) throw new ConfigException("--baseline " + base + ": not one of --recipes " + names);
        List<List<String>> sets = calibrationSets(evalList);
        return new Sweep.Spec(dir == null ? null : dir.toAbsolutePath().normalize().toString(), patch, heads, headDim, ffn, layers, frames, size,
                steps, guidance, teacherForced, evalList, sets, names, recipeJson, seeds, base,
                videos ? out.resolve("videos").toAbsolutePath().normalize().toString() : null);
    }

    /** The calibration sets: the files of --calib-prompts, or --calib-sets disjoint draws from the pool. */
    List<List<String>> calibrationSets(List<String> evalList) {
        List<List<String>> sets = new ArrayList<>();
        if (calibPrompts != null) {
            if (calibSets != null && calibSets != calibPrompts.size())
                throw new ConfigException("--calib-sets " + calibSets + " with " + calibPrompts.size() + " --calib-prompts files: give one set per file");
            for (Path f : calibPrompts) sets.add(QuantizeCommand.readPrompts(f));
            return sets;
        }
        int n = calibSets == null ? 1 : calibSets;
        if (n < 1) throw new ConfigException("--calib-sets " + n + ": expected >= 1");
        if (calibSize < 1) throw new ConfigException("--calib-size " + calibSize + ": expected >= 1");
        List<String> pool = Sweep.calibrationPool(evalList);
        if ((long) n * calibSize > pool.size())
            throw new ConfigException("--calib-sets " + n + " × --calib-size " + calibSize + " needs " + (long) n * calibSize
                    + " distinct calibration prompts; the pool has " + pool.size());
        for (int c = 0; c < n; c++) sets.add(List.copyOf(pool.subList(c * calibSize, (c + 1) * calibSize)));
        return sets;
    }

    private String command() {
        List<String> args = spec.commandLine().getParseResult() == null ? List.of() : spec.commandLine().getParseResult().originalArgs();
        int at = args.indexOf("sweep");
        if (at >= 0) args = args.subList(at + 1, args.size());
        return "./vdq sweep" + (args.isEmpty() ? "" : " " + String.join(" ", args));
    }
}
