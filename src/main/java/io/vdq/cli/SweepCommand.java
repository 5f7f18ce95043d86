package io.vdq.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException.ConfigException;
import io.vdq.eval.report.HtmlReport;
import io.vdq.io.AtomicFiles;
import io.vdq.kernel.Kernels;
import io.vdq.model.wan.WanConfig;
import io.vdq.pipeline.RecipeRun;
import io.vdq.quant.Presets;
import io.vdq.quant.QuantMethod;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.Recipe;
import io.vdq.synth.Direction;
import io.vdq.synth.ObjectColor;
import io.vdq.synth.ObjectShape;
import io.vdq.synth.Prompt;
import io.vdq.tensor.Parallel;
import io.vdq.tensor.Tensor;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vdq sweep}: recipes × seeds × calibration sets on the demo's model, paired by (seed, calibration set) so
 * that recipes are compared on the same noise and the same calibration data (docs/SWEEP.md). Each cell runs
 * through {@link RecipeRun} exactly as the demo does; finished cells are appended to {@code cells.jsonl} and a rerun
 * with the same arguments skips them.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = {"Recipes × seeds × calibration sets on vdq-tiny (or another Wan folder, latent-space ones too), paired by (seed, calibration set): mean ± sd per recipe "
                + "and paired differences against a baseline (mean, sd, sign count, paired t). Resumes from --out's cells.jsonl.", ""})
final class SweepCommand implements Runnable {
    /** Noise seed of evaluation prompt i at seed s: {@code 100 + SEED_STRIDE·s + i} (seed 0 is the demo's noise). */
    static final long SEED_STRIDE = 1_000_000L;
    /** The seed of the shuffle that draws calibration sets from the pool. */
    static final long CALIB_POOL_SEED = 20261207L;

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

    @Spec CommandSpec spec;

    private long t0;
    private PrintStream log;

    private void progress(String fmt, Object... args) {
        if (log != null) log.printf(Locale.ROOT, "[%6.1f s] %s%n", (System.nanoTime() - t0) / 1e9, String.format(Locale.ROOT, fmt, args));
    }

    @Override
    public void run() {
        System.setProperty("java.awt.headless", "true");
        if (quiet) Logger.getLogger("").setLevel(Level.WARNING);
        t0 = System.nanoTime();
        log = quiet ? null : System.err;
        if (seeds < 1) throw new ConfigException("--seeds " + seeds + ": expected >= 1");
        if (steps < 2 || steps > GenerateCommand.MAX_STEPS) throw new ConfigException("--steps " + steps + ": expected 2.." + GenerateCommand.MAX_STEPS);
        if (Files.exists(out) && !Files.isDirectory(out))   // before any sampling
            throw new ConfigException("--out " + out + ": exists and is not a folder");
        if (evalPrompts != null && prompts != null) throw new ConfigException("--prompts and --eval-prompts: give one of them");
        int p = prompts == null ? 4 : prompts;
        if (p < 1 || p > DemoCommand.PROMPTS.size()) throw new ConfigException("--prompts " + p + ": expected 1.." + DemoCommand.PROMPTS.size());
        List<String> evalList = evalPrompts == null ? DemoCommand.PROMPTS.subList(0, p) : QuantizeCommand.readPrompts(evalPrompts, "evaluation prompts");
        Path dir = randomInit ? null : DemoCommand.modelDir(model);
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
        boolean pixel = cfg.inChannels() == 3; // a latent-space checkpoint (vdq make-checkpoint) has no videos to score
        if (frames > 1025 || size > 4096)
            throw new ConfigException("--frames " + frames + " --size " + size + ": at most 1025 frames of 4096×4096");
        if (frames < 1 || size < 1 || frames % cfg.patchT() != 0 || size % cfg.patchH() != 0 || size % cfg.patchW() != 0)
            throw new ConfigException("--frames " + frames + " --size " + size + ": must be positive multiples of the model's patch ["
                    + cfg.patchT() + ", " + cfg.patchH() + ", " + cfg.patchW() + "]");
        List<String> names = recipes.stream().map(String::strip).toList();
        if (new HashSet<>(names).size() != names.size()) throw new ConfigException("--recipes " + String.join(",", names) + ": a recipe is named twice");
        List<Recipe> list = new ArrayList<>();
        for (String n : names) {
            Recipe r = Presets.resolve(n);
            QuantMethods.checkOptions(r); // a misspelt option fails now, not after the full-precision videos
            list.add(r);
        }
        String base = baseline == null ? names.getFirst() : baseline.strip();
        if (!names.contains(base)) throw new ConfigException("--baseline " + base + ": not one of --recipes " + names);
        List<List<String>> sets = calibrationSets(evalList);

        var tmpl = new RecipeRun.Settings(cfg, dir, 0, frames, size, steps, guidance, 3.0, evalList, sets.getFirst(), 100, teacherForced);
        String fingerprint = fingerprint(tmpl);
        ObjectMapper json = new ObjectMapper();
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new UncheckedIOException(out + ": cannot create the output folder: " + e.getMessage(), e);
        }
        Path cellsFile = out.resolve("cells.jsonl");
        Map<String, SweepCells.Cell> done = SweepCells.read(cellsFile, json);
        int total = list.size() * seeds * sets.size();
        progress("sweep: %s, %d recipes × %d seeds × %d calibration set(s) × %d prompts = %d cells, %d steps, %d frames of %d×%d, %d threads, %s",
                randomInit ? "RANDOM-INIT model" : dir, list.size(), seeds, sets.size(), evalList.size(), total, steps, frames, size, size,
                Parallel.threads(), Kernels.describe());

        int toCompute = 0; // for the ETA: cells not already in the cells file
        for (int s = 0; s < seeds; s++)
            for (List<String> set : sets)
                for (String n : names) if (!done.containsKey(SweepCells.id(fingerprint, n, s, set))) toCompute++;
        List<SweepCells.Cell> cells = new ArrayList<>();
        List<String> pairs = new ArrayList<>();
        int computed = 0, resumed = 0, index = 0;
        long work0 = 0;
        for (int s = 0; s < seeds; s++) {
            var st = new RecipeRun.Settings(cfg, dir, 0, frames, size, steps, guidance, 3.0, evalList, sets.getFirst(),
                    100 + SEED_STRIDE * s, teacherForced, RecipeRun.Settings.DEFAULT_CALIBRATION_SEED + SEED_STRIDE * s);
            RecipeRun run = null;
            List<Tensor> fp = null;
            double[] fpScores = null;
            for (int c = 0; c < sets.size(); c++) {
                pairs.add(SweepTable.pair(s, c));
                for (int ri = 0; ri < list.size(); ri++) {
                    index++;
                    String id = SweepCells.id(fingerprint, names.get(ri), s, sets.get(c));
                    SweepCells.Cell prev = done.get(id);
                    if (prev != null) {
                        cells.add(prev);
                        resumed++;
                        progress("cell %d/%d %s seed %d calib set %d: already in %s, skipped", index, total, names.get(ri), s, c, cellsFile);
                        continue;
                    }
                    if (computed == 0) work0 = System.nanoTime();
                    progress("cell %d/%d %s seed %d calib set %d (%s)", index, total, names.get(ri), s, c,
                            eta(work0, computed, toCompute - computed));
                    if (fp == null) {
                        run = new RecipeRun(st, log, t0);
                        fp = run.generateFullPrecision(new double[1]);
                        fpScores = run.vbench(fp);
                    }
                    Recipe r = withSeed(list.get(ri), names.get(ri), s);
                    RecipeRun.RecipeResult res = run.runRecipe(r, r.method(), fp, sets.get(c));
                    SweepCells.Cell cell = cell(id, names.get(ri), s, c, res, fpScores);
                    SweepCells.append(cellsFile, json, cell);
                    cells.add(cell);
                    computed++;
                    if (cell.ok())
                        progress("  %s seed %d calib set %d: PSNR %.2f dB, step SNR %s dB%s", names.get(ri), s, c,
                                cell.psnr(), HtmlReport.num(cell.stepSnr(), 3),
                                Double.isNaN(cell.vbenchDelta()) ? "" : ", VBench-lite |Δ| " + HtmlReport.num(cell.vbenchDelta(), 2) + " pts");
                }
            }
        }
        List<SweepTable.Metric> metrics = new ArrayList<>(List.of(SweepTable.PSNR));
        if (teacherForced) metrics.add(SweepTable.STEP_SNR);
        if (!randomInit && pixel) metrics.add(SweepTable.VBENCH);
        SweepTable table = new SweepTable(names, base, metrics, pairs, cells);
        String text = table.text();
        progress("sweep: %d cells computed, %d resumed from %s", computed, resumed, cellsFile);
        System.out.printf(Locale.ROOT, "sweep: %d recipes × %d seeds × %d calibration set(s) × %d prompts (%s), %d steps: %d cells (%d computed, %d resumed)%n",
                list.size(), seeds, sets.size(), evalList.size(), randomInit ? "random-init" : dir, steps, total, computed, resumed);
        System.out.print(text);
        write(json, tmpl, names, base, sets, cells, table, computed, resumed);
        System.out.println("sweep: wrote " + out.resolve("sweep.json") + " and " + out.resolve("report.html"));
    }

    private static String eta(long work0, int computed, int remaining) {
        if (computed == 0) return "ETA after the first cell";
        double perCell = (System.nanoTime() - work0) / 1e9 / computed;
        long sec = Math.round(perCell * remaining);
        return String.format(Locale.ROOT, "ETA %dm%02ds, %.0f s per cell", sec / 60, sec % 60, perCell);
    }

    /** The recipe with {@code seed = s} when its method declares a seed option and the spec does not set one. */
    static Recipe withSeed(Recipe r, String spec, int s) {
        QuantMethod m = QuantMethods.get(r.method());
        if (m.options() == null || !m.options().contains("seed") || spec.contains("+seed=")) return r;
        return r.withOption("seed", s);
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
        List<String> pool = calibrationPool(evalList);
        if ((long) n * calibSize > pool.size())
            throw new ConfigException("--calib-sets " + n + " × --calib-size " + calibSize + " needs " + (long) n * calibSize
                    + " distinct calibration prompts; the pool has " + pool.size());
        for (int c = 0; c < n; c++) sets.add(List.copyOf(pool.subList(c * calibSize, (c + 1) * calibSize)));
        return sets;
    }

    /** Every colour × shape × left/right/up/down prompt that is not an evaluation prompt, in a fixed shuffled order. */
    static List<String> calibrationPool(List<String> evalList) {
        Set<String> eval = new HashSet<>(evalList.stream().map(String::strip).toList());
        List<String> pool = new ArrayList<>();
        for (ObjectColor col : ObjectColor.values())
            for (ObjectShape sh : ObjectShape.values())
                for (Direction d : List.of(Direction.LEFT, Direction.RIGHT, Direction.UP, Direction.DOWN)) {
                    String t = new Prompt(col, sh, d, null, null).text();
                    if (!eval.contains(t)) pool.add(t);
                }
        Collections.shuffle(pool, new Random(CALIB_POOL_SEED));
        return pool;
    }

    /** Everything besides recipe, seed and calibration prompts that decides a cell's numbers. */
    private String fingerprint(RecipeRun.Settings s) {
        return "model=" + (s.trained() ? s.modelDir().toAbsolutePath().normalize() : "random-init") + "\nconfig=" + s.config().toJsonNode()
                + "\nframes=" + s.frames() + " size=" + s.size() + " steps=" + s.steps() + " guidance=" + s.guidance() + " shift=" + s.shift()
                + " teacher_forced=" + s.teacherForced() + " seed_stride=" + SEED_STRIDE + "\nprompts=" + String.join("\n", s.prompts());
    }

    private static SweepCells.Cell cell(String id, String recipe, int seed, int calib, RecipeRun.RecipeResult r, double[] fpScores) {
        if (r.error() != null)
            return new SweepCells.Cell(id, recipe, seed, calib, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, new double[0],
                    r.quantizeS(), Double.NaN, r.error());
        double[] per = r.perPrompt().stream().mapToDouble(m -> m.psnr()).toArray();
        return new SweepCells.Cell(id, recipe, seed, calib, r.psnr(), r.relL2(), r.cosine(),
                r.stepFidelity() == null ? Double.NaN : r.stepFidelity().snrDb(), DemoCommand.vbenchDeviation(r.vbench(), fpScores),
                per, r.quantizeS(), r.generateS(), null);
    }

    private String command() {
        List<String> args = spec.commandLine().getParseResult() == null ? List.of() : spec.commandLine().getParseResult().originalArgs();
        int at = args.indexOf("sweep");
        if (at >= 0) args = args.subList(at + 1, args.size());
        return "./vdq sweep" + (args.isEmpty() ? "" : " " + String.join(" ", args));
    }

    private void write(ObjectMapper json, RecipeRun.Settings s, List<String> names, String base, List<List<String>> sets,
                       List<SweepCells.Cell> cells, SweepTable table, int computed, int resumed) {
        ObjectNode root = json.createObjectNode();
        root.put("command", command());
        ObjectNode machine = root.putObject("machine");
        machine.put("cpu", cpuModel()).put("threads", Parallel.threads()).put("kernels", Kernels.describe())
                .put("date", Instant.now().toString());
        String commit = commit();
        if (commit != null) machine.put("commit", commit); else machine.putNull("commit");
        ObjectNode set = root.putObject("settings");
        set.put("model", s.trained() ? s.modelDir().toString() : "random-init");
        set.set("config", s.config().toJsonNode());
        set.put("frames", s.frames()).put("height", s.size()).put("width", s.size()).put("sampler", "unipc").put("steps", s.steps())
                .put("shift", s.shift()).put("guidance", s.guidance()).put("teacher_forced", s.teacherForced()).put("seeds", seeds);
        set.put("noise_seed", "prompt i at seed s: 100 + " + SEED_STRIDE + "·s + i; calibration prompt i: "
                + RecipeRun.Settings.DEFAULT_CALIBRATION_SEED + " + " + SEED_STRIDE + "·s + i");
        names.forEach(set.putArray("recipes")::add);
        set.put("baseline", base);
        s.prompts().forEach(set.putArray("eval_prompts")::add);
        ArrayNode cs = set.putArray("calibration_sets");
        for (List<String> c : sets) c.forEach(cs.addArray()::add);
        root.put("cells_computed", computed).put("cells_resumed", resumed);
        ArrayNode ca = root.putArray("cells");
        for (SweepCells.Cell c : cells) ca.add(c.toJson(json));
        root.set("table", table.json(json));
        List<String> notes = new ArrayList<>();
        notes.add(String.format(Locale.ROOT, "%d recipes × %d seeds × %d calibration sets × %d prompts on %s; UniPC %d steps, %d frames of %d×%d. "
                        + "A pair is one (seed, calibration set): every recipe of a pair sees the same noise and calibration prompts.",
                names.size(), seeds, sets.size(), s.prompts().size(), s.trained() ? s.modelDir() : "a RANDOM-INIT model", s.steps(), s.frames(),
                s.size(), s.size()));
        if (s.config().inChannels() != 3)
            notes.add("Latent-space model (" + s.config().inChannels() + " channels): 'video PSNR' is the PSNR of the final latents against "
                    + "full precision's (peak: their value range); there is no VBench-lite without a VAE.");
        notes.add("Δ is recipe − " + base + " per pair; 'ahead' counts the pairs where the recipe is better (higher PSNR and step SNR, "
                + "lower VBench-lite |Δ| vs full precision); the paired t has n − 1 degrees of freedom (|t| > 4.30 at n = 3, > 2.26 at n = 10 "
                + "is p < 0.05 two-sided).");
        HtmlReport.write(out.resolve("report.html"), new HtmlReport.Page("vdq sweep — paired recipe comparison", notes, table.html(),
                List.of(), List.of(), command(), String.format(Locale.ROOT, "%s, %d threads, %s, commit %s, finished %s.", cpuModel(),
                        Parallel.threads(), Kernels.describe(), commit == null ? "unknown" : commit, Instant.now())));
        // each file is written whole (temporary sibling + rename); cells.jsonl is the journal, and a rerun with the same
        // arguments resumes from it and rewrites both
        try {
            AtomicFiles.writeBytes(out.resolve("sweep.json"), json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        } catch (IOException e) {
            throw new UncheckedIOException(out.resolve("sweep.json") + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** The first "model name" of /proc/cpuinfo, or the OS architecture where there is none. */
    static String cpuModel() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8))
                if (l.startsWith("model name")) return l.substring(l.indexOf(':') + 1).strip();
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }

    /** {@code git rev-parse HEAD} of the checkout (vdq.home, else the working directory), or null when git cannot say. */
    static String commit() {
        try {
            Process p = new ProcessBuilder("git", "-C", System.getProperty("vdq.home", "."), "rev-parse", "HEAD")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String outText = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(5, TimeUnit.SECONDS)) { p.destroy(); return null; }
            return p.exitValue() == 0 && outText.matches("[0-9a-f]{40}") ? outText : null;
        } catch (IOException | RuntimeException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
