package io.vdq.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException.ConfigException;
import io.vdq.eval.report.DemoReport;
import io.vdq.eval.report.HtmlReport;
import io.vdq.io.AtomicFiles;
import io.vdq.io.video.Mp4Writer;
import io.vdq.kernel.ExecutionContext;
import io.vdq.kernel.ExecutionContext.QuantExec;
import io.vdq.kernel.Kernels;
import io.vdq.model.wan.WanConfig;
import io.vdq.quant.QuantMethod;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.Recipe;
import io.vdq.quant.RecipeJson;
import io.vdq.synth.Direction;
import io.vdq.synth.ObjectColor;
import io.vdq.synth.ObjectShape;
import io.vdq.synth.Prompt;
import io.vdq.tensor.Parallel;
import io.vdq.tensor.Tensor;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A paired sweep (docs/SWEEP.md): recipes × seeds × calibration sets, each cell one recipe at one seed on one
 * calibration set over every evaluation prompt, run through {@link RecipeRun} exactly as the demo runs a recipe.
 * The plan ({@link Spec}) is plain serializable values, so another runner (the vdq-spark module) can ship it to other
 * JVMs and compute cells there with {@link #fullPrecision} and {@link #runCell}; the numbers of a cell depend only on
 * the spec and the cell, never on where or in which order it runs. {@link #run} journals finished cells to
 * {@code cells.jsonl} (one line per cell id, whatever the runner delivers twice), resumes from it and aggregates.
 */
public final class Sweep {
    /** Noise seed of evaluation prompt i at seed s: {@code 100 + SEED_STRIDE·s + i} (seed 0 is the demo's noise). */
    public static final long SEED_STRIDE = 1_000_000L;
    /** The seed of the shuffle that draws calibration sets from the pool. */
    public static final long CALIB_POOL_SEED = 20261207L;

    /**
     * What a sweep runs. {@code modelDir} is an absolute folder, or null for a seeded random-init model shaped by
     * {@code patch, heads, headDim, ffn, layers}; {@code recipeJson} holds each recipe of {@code recipes} (their names as
     * given, which go into the cell ids) resolved on the driver, so executors need neither the recipe files nor the
     * presets' spelling. {@code videoDir}: an absolute folder that receives every computed cell's videos as MP4, or
     * null for none (settings only, not in the cell ids).
     */
    public record Spec(String modelDir, int patch, int heads, int headDim, int ffn, int layers, int frames, int size, int steps,
                       float guidance, boolean teacherForced, List<String> evalPrompts, List<List<String>> calibSets,
                       List<String> recipes, List<String> recipeJson, int seeds, String baseline, String videoDir) implements Serializable {
        public Spec {
            evalPrompts = List.copyOf(evalPrompts);
            calibSets = calibSets.stream().map(List::copyOf).toList();
            recipes = List.copyOf(recipes);
            recipeJson = List.copyOf(recipeJson);
        }

        public boolean trained() { return modelDir != null; }
    }

    /** One cell: indices into the spec's recipes and calibration sets, the seed, its id and its place in sweep order. */
    public record CellKey(int recipe, int seed, int calib, String id, int index) implements Serializable {}

    /** A seed's full-precision videos (and, when teacher-forced, trajectories inside {@code run}) and their VBench-lite scores. */
    public record FullPrecision(int seed, RecipeRun run, List<Tensor> videos, double[] scores) {}

    /** Computes cells: in this JVM ({@link #LOCAL}) or elsewhere (vdq-spark). */
    public interface Runner {
        /**
         * Computes every cell of {@code todo} and hands each finished cell to {@code done}, on the calling thread or
         * one thread at a time. A cell may be handed over more than once (a retried task); the sweep records it once.
         */
        void run(Sweep sweep, List<CellKey> todo, PrintStream log, long t0, Consumer<SweepCells.Cell> done);

        /** For the output: "local", "spark local[2]", … */
        String describe();
    }

    /** Makes a runner for {@code --spark MASTER}; found with {@link ServiceLoader} (the vdq-spark module provides one). */
    public interface RunnerProvider {
        Runner create(String master);
    }

    /** The runner for a {@code --spark} value: null is this JVM, anything else needs a {@link RunnerProvider} on the class path. */
    public static Runner runner(String spark) {
        if (spark == null) return LOCAL;
        for (RunnerProvider p : ServiceLoader.load(RunnerProvider.class)) return p.create(spark);
        throw new ConfigException("--spark " + spark + ": the vdq-spark module is not on the class path (./vdq builds and adds it when "
                + "--spark is given; with spark-submit, ship vdq-spark.jar and its ship/ folder, README \"Sweeps on a Spark cluster\")");
    }

    private final Spec spec;
    private final WanConfig cfg;
    private final List<Recipe> recipes = new ArrayList<>();
    private final String fingerprint;
    private final QuantExec quantExec;
    private final List<CellKey> cells = new ArrayList<>();

    /** The sweep of a spec: reads the model's config (random-init: builds it) and the recipes; no sampling. */
    public Sweep(Spec spec) {
        this.spec = spec;
        this.cfg = spec.trained()
                ? WanConfig.read(Path.of(spec.modelDir()).resolve("config.json"))
                : new WanConfig(1, spec.patch(), spec.patch(), spec.heads(), spec.headDim(), 3, 3, 64, 256, spec.ffn(), spec.layers(), true,
                        WanConfig.QK_NORM_ACROSS_HEADS, 1e-6f, 1024);
        for (int i = 0; i < spec.recipes().size(); i++) recipes.add(RecipeJson.parse(spec.recipeJson().get(i), spec.recipes().get(i)));
        this.fingerprint = fingerprint(settings(0));
        // how this JVM executes quantized layers decides the numbers too; the integer kernels (the default) add nothing,
        // so the ids of sweeps run before the mode was part of them stay valid
        this.quantExec = ExecutionContext.quantExec();
        String cellSettings = quantExec == QuantExec.INT ? fingerprint : fingerprint + "\nquant_exec=" + quantExec.name().toLowerCase(Locale.ROOT);
        int index = 0;
        for (int s = 0; s < spec.seeds(); s++)
            for (int c = 0; c < spec.calibSets().size(); c++)
                for (int r = 0; r < recipes.size(); r++)
                    cells.add(new CellKey(r, s, c, SweepCells.id(cellSettings, spec.recipes().get(r), s, spec.calibSets().get(c)), index++));
    }

    /**
     * The recipe JSON the spec carries for {@code name}, resolved here with {@link io.vdq.quant.Presets}; refused when
     * the JSON would not give back the same recipe (so every JVM runs exactly this recipe).
     */
    public static String recipeJson(String name, Recipe r) {
        String j = RecipeJson.write(r);
        if (!RecipeJson.parse(j, name).equals(r) || !RecipeJson.write(RecipeJson.parse(j, name)).equals(j))
            throw new ConfigException("recipe '" + name + "': its JSON form does not read back as the same recipe, so it cannot be shipped");
        return j;
    }

    public Spec spec() { return spec; }
    public WanConfig config() { return cfg; }
    public List<Recipe> recipes() { return Collections.unmodifiableList(recipes); }
    /** Every cell in sweep order: seed, then calibration set, then recipe. */
    public List<CellKey> cells() { return Collections.unmodifiableList(cells); }
    /**
     * The settings besides recipe, seed and calibration prompts that decide a cell's numbers (part of every id, with
     * the quantized execution when it is not the integer kernels' ({@link #quantExec})).
     */
    public String fingerprint() { return fingerprint; }

    /** How quantized layers executed in the JVM that planned this sweep ({@code -Dvdq.quant.exec}); part of the cell ids. */
    public QuantExec quantExec() { return quantExec; }

    /** The demo's settings at seed {@code s}: noise 100 + SEED_STRIDE·s + i, calibration noise likewise shifted. */
    public RecipeRun.Settings settings(int s) {
        return new RecipeRun.Settings(cfg, spec.trained() ? Path.of(spec.modelDir()) : null, 0, spec.frames(), spec.size(), spec.steps(),
                spec.guidance(), 3.0, spec.evalPrompts(), spec.calibSets().getFirst(), 100 + SEED_STRIDE * s, spec.teacherForced(),
                RecipeRun.Settings.DEFAULT_CALIBRATION_SEED + SEED_STRIDE * s);
    }

    private String fingerprint(RecipeRun.Settings s) {
        return "model=" + (s.trained() ? s.modelDir().toAbsolutePath().normalize() : "random-init") + "\nconfig=" + s.config().toJsonNode()
                + "\nframes=" + s.frames() + " size=" + s.size() + " steps=" + s.steps() + " guidance=" + s.guidance() + " shift=" + s.shift()
                + " teacher_forced=" + s.teacherForced() + " seed_stride=" + SEED_STRIDE + "\nprompts=" + String.join("\n", s.prompts());
    }

    /** Seed {@code s}'s full-precision videos (shared by every recipe and calibration set of that seed). */
    public FullPrecision fullPrecision(int s, PrintStream log, long t0) {
        RecipeRun run = new RecipeRun(settings(s), log, t0);
        List<Tensor> fp = run.generateFullPrecision(new double[1]);
        if (spec.videoDir() != null)
            writeVideos(fullPrecisionVideos(s), fp, fp);
        return new FullPrecision(s, run, fp, run.vbench(fp));
    }

    /** Where {@code --videos} puts seed {@code s}'s full-precision videos: {@code fp-<hash of the settings and seed>}. */
    public Path fullPrecisionVideos(int s) {
        return Path.of(spec.videoDir()).resolve("fp-" + SweepCells.id(fingerprint, "full precision", s, List.of()));
    }

    /** Where {@code --videos} puts a cell's videos: its id. */
    public Path cellVideos(CellKey k) { return Path.of(spec.videoDir()).resolve(k.id()); }

    /** {@code prompt-<i>.mp4} per video, each written whole (temporary file + rename), scaled by full precision's value range. */
    private void writeVideos(Path dir, List<Tensor> videos, List<Tensor> reference) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot create the video folder: " + e.getMessage(), e);
        }
        for (int i = 0; i < videos.size(); i++) {
            float[] ref = reference.get(i).toArray();
            float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
            for (float x : ref) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
            Mp4Writer.write(dir.resolve("prompt-" + (i + 1) + ".mp4"), RecipeRun.frames(videos.get(i), lo, hi), VIDEO_FPS,
                    Mp4Writer.upscaleFor(spec.size(), spec.size(), 256));
        }
    }

    /** Frame rate of the MP4s that {@code --videos} writes. */
    static final int VIDEO_FPS = 8;

    /** One cell on a fresh copy of the model, quantized once and reused across the evaluation prompts. */
    public SweepCells.Cell runCell(CellKey k, FullPrecision fp) {
        if (fp.seed() != k.seed()) throw new IllegalArgumentException("cell of seed " + k.seed() + " given seed " + fp.seed() + "'s videos");
        String name = spec.recipes().get(k.recipe());
        Recipe r = withSeed(recipes.get(k.recipe()), name, k.seed());
        RecipeRun.RecipeResult res = fp.run().runRecipe(r, r.method(), fp.videos(), spec.calibSets().get(k.calib()));
        if (res.error() != null)
            return new SweepCells.Cell(k.id(), name, k.seed(), k.calib(), Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                    new double[0], res.quantizeS(), Double.NaN, res.error());
        if (spec.videoDir() != null) writeVideos(cellVideos(k), res.samples(), fp.videos());
        double[] per = res.perPrompt().stream().mapToDouble(m -> m.psnr()).toArray();
        return new SweepCells.Cell(k.id(), name, k.seed(), k.calib(), res.psnr(), res.relL2(), res.cosine(),
                res.stepFidelity() == null ? Double.NaN : res.stepFidelity().snrDb(), DemoReport.vbenchDeviation(res.vbench(), fp.scores()),
                per, res.quantizeS(), res.generateS(), null);
    }

    /** The recipe with {@code seed = s} when its method declares a seed option and the spec does not set one. */
    public static Recipe withSeed(Recipe r, String spec, int s) {
        QuantMethod m = QuantMethods.get(r.method());
        if (m.options() == null || !m.options().contains("seed") || spec.contains("+seed=")) return r;
        return r.withOption("seed", s);
    }

    /** Every colour × shape × left/right/up/down prompt that is not an evaluation prompt, in a fixed shuffled order. */
    public static List<String> calibrationPool(List<String> evalList) {
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

    /** The outcome of {@link #run}: every cell in sweep order and the aggregated table. */
    public record Outcome(List<SweepCells.Cell> cells, SweepTable table, int computed, int resumed) {}

    /**
     * Runs the sweep into {@code out}: cells already in {@code out/cells.jsonl} are read back, the rest are computed by
     * {@code runner} and appended to the journal as they arrive (once per id), then the table is built. Writes no
     * other file ({@link #write} does).
     */
    public Outcome run(Path out, Runner runner, PrintStream log, long t0) {
        ObjectMapper json = new ObjectMapper();
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new UncheckedIOException(out + ": cannot create the output folder: " + e.getMessage(), e);
        }
        Path cellsFile = out.resolve("cells.jsonl");
        Map<String, SweepCells.Cell> recorded = new LinkedHashMap<>(SweepCells.read(cellsFile, json));
        int total = cells.size();
        progress(log, t0, "sweep: %s, %d recipes × %d seeds × %d calibration set(s) × %d prompts = %d cells, %d steps, %d frames of %d×%d, "
                        + "%d threads, %s, runner %s", spec.trained() ? spec.modelDir() : "RANDOM-INIT model", recipes.size(), spec.seeds(),
                spec.calibSets().size(), spec.evalPrompts().size(), total, spec.steps(), spec.frames(), spec.size(), spec.size(),
                Parallel.threads(), Kernels.describe(), runner.describe());
        List<CellKey> todo = new ArrayList<>();
        Set<String> wanted = new HashSet<>();
        int resumed = 0;
        for (CellKey k : cells) {
            wanted.add(k.id());
            if (recorded.containsKey(k.id())) {
                resumed++;
                progress(log, t0, "cell %d/%d %s seed %d calib set %d: already in %s, skipped", k.index() + 1, total,
                        spec.recipes().get(k.recipe()), k.seed(), k.calib(), cellsFile);
            } else todo.add(k);
        }
        int[] computed = {0};
        if (!todo.isEmpty())
            runner.run(this, List.copyOf(todo), log, t0, cell -> {
                if (!wanted.contains(cell.id()) || recorded.containsKey(cell.id())) return; // a retried task's second copy
                SweepCells.append(cellsFile, json, cell);
                recorded.put(cell.id(), cell);
                computed[0]++;
                if (cell.ok())
                    progress(log, t0, "  %s seed %d calib set %d: PSNR %.2f dB, step SNR %s dB%s (%d/%d computed)",
                            cell.recipe(), cell.seed(), cell.calibSet(), cell.psnr(), HtmlReport.num(cell.stepSnr(), 3),
                            Double.isNaN(cell.vbenchDelta()) ? "" : ", VBench-lite |Δ| " + HtmlReport.num(cell.vbenchDelta(), 2) + " pts",
                            computed[0], todo.size());
                else progress(log, t0, "  %s seed %d calib set %d failed: %s", cell.recipe(), cell.seed(), cell.calibSet(), cell.error());
            });
        List<SweepCells.Cell> list = new ArrayList<>();
        for (CellKey k : cells) {
            SweepCells.Cell c = recorded.get(k.id());
            if (c == null) throw new IllegalStateException("sweep: runner " + runner.describe() + " did not deliver cell " + k.id());
            list.add(c);
        }
        progress(log, t0, "sweep: %d cells computed, %d resumed from %s", computed[0], resumed, cellsFile);
        return new Outcome(list, table(list), computed[0], resumed);
    }

    /** The paired table of these cells (PSNR; step SNR when teacher-forced; VBench-lite for a trained pixel-space model). */
    public SweepTable table(List<SweepCells.Cell> list) {
        List<SweepTable.Metric> metrics = new ArrayList<>(List.of(SweepTable.PSNR));
        if (spec.teacherForced()) metrics.add(SweepTable.STEP_SNR);
        if (spec.trained() && cfg.inChannels() == 3) metrics.add(SweepTable.VBENCH); // a latent-space model has no videos to score
        List<String> pairs = new ArrayList<>();
        for (int s = 0; s < spec.seeds(); s++)
            for (int c = 0; c < spec.calibSets().size(); c++) pairs.add(SweepTable.pair(s, c));
        return new SweepTable(spec.recipes(), spec.baseline(), metrics, pairs, list);
    }

    private static void progress(PrintStream log, long t0, String fmt, Object... args) {
        if (log != null) log.printf(Locale.ROOT, "[%6.1f s] %s%n", (System.nanoTime() - t0) / 1e9, String.format(Locale.ROOT, fmt, args));
    }

    /** Cells one after another in this JVM; a seed's full-precision videos are made once, before its first computed cell. */
    public static final Runner LOCAL = new Runner() {
        @Override
        public void run(Sweep sweep, List<CellKey> todo, PrintStream log, long t0, Consumer<SweepCells.Cell> done) {
            FullPrecision fp = null;
            long work0 = System.nanoTime();
            int n = 0, total = sweep.cells().size();
            for (CellKey k : todo) {
                progress(log, t0, "cell %d/%d %s seed %d calib set %d (%s)", k.index() + 1, total, sweep.spec().recipes().get(k.recipe()),
                        k.seed(), k.calib(), eta(work0, n, todo.size() - n));
                if (fp == null || fp.seed() != k.seed()) {
                    fp = null; // the previous seed's videos can go before the next seed's are made
                    fp = sweep.fullPrecision(k.seed(), log, t0);
                }
                done.accept(sweep.runCell(k, fp));
                n++;
            }
        }

        @Override public String describe() { return "local"; }
    };

    private static String eta(long work0, int computed, int remaining) {
        if (computed == 0) return "ETA after the first cell";
        double perCell = (System.nanoTime() - work0) / 1e9 / computed;
        long sec = Math.round(perCell * remaining);
        return String.format(Locale.ROOT, "ETA %dm%02ds, %.0f s per cell", sec / 60, sec % 60, perCell);
    }

    /**
     * Writes {@code sweep.json} (every cell, the table, the command, the settings and the machine) and
     * {@code report.html} into {@code out}, each through a temporary file renamed into place.
     */
    public void write(Path out, Outcome o, String command, String runner) {
        ObjectMapper json = new ObjectMapper();
        RecipeRun.Settings s = settings(0);
        List<String> names = spec.recipes();
        String base = spec.baseline();
        ObjectNode root = json.createObjectNode();
        root.put("command", command);
        ObjectNode machine = root.putObject("machine");
        machine.put("cpu", cpuModel()).put("threads", Parallel.threads()).put("kernels", Kernels.describe())
                .put("date", Instant.now().toString()).put("runner", runner);
        String commit = commit();
        if (commit != null) machine.put("commit", commit); else machine.putNull("commit");
        ObjectNode set = root.putObject("settings");
        set.put("model", s.trained() ? s.modelDir().toString() : "random-init");
        set.set("config", s.config().toJsonNode());
        set.put("frames", s.frames()).put("height", s.size()).put("width", s.size()).put("sampler", "unipc").put("steps", s.steps())
                .put("shift", s.shift()).put("guidance", s.guidance()).put("teacher_forced", s.teacherForced()).put("seeds", spec.seeds());
        set.put("quant_exec", quantExec.name().toLowerCase(Locale.ROOT));
        set.put("noise_seed", "prompt i at seed s: 100 + " + SEED_STRIDE + "·s + i; calibration prompt i: "
                + RecipeRun.Settings.DEFAULT_CALIBRATION_SEED + " + " + SEED_STRIDE + "·s + i");
        names.forEach(set.putArray("recipes")::add);
        set.put("baseline", base);
        s.prompts().forEach(set.putArray("eval_prompts")::add);
        ArrayNode cs = set.putArray("calibration_sets");
        for (List<String> c : spec.calibSets()) c.forEach(cs.addArray()::add);
        root.put("cells_computed", o.computed()).put("cells_resumed", o.resumed());
        ArrayNode ca = root.putArray("cells");
        for (SweepCells.Cell c : o.cells()) ca.add(c.toJson(json));
        root.set("table", o.table().json(json));
        List<String> notes = new ArrayList<>();
        notes.add(String.format(Locale.ROOT, "%d recipes × %d seeds × %d calibration sets × %d prompts on %s; UniPC %d steps, %d frames of %d×%d. "
                        + "A pair is one (seed, calibration set): every recipe of a pair sees the same noise and calibration prompts.",
                names.size(), spec.seeds(), spec.calibSets().size(), s.prompts().size(), s.trained() ? s.modelDir() : "a RANDOM-INIT model",
                s.steps(), s.frames(), s.size(), s.size()));
        if (s.config().inChannels() != 3)
            notes.add("Latent-space model (" + s.config().inChannels() + " channels): 'video PSNR' is the PSNR of the final latents against "
                    + "full precision's (peak: their value range); there is no VBench-lite without a VAE.");
        notes.add("Δ is recipe − " + base + " per pair; 'ahead' counts the pairs where the recipe is better (higher PSNR and step SNR, "
                + "lower VBench-lite |Δ| vs full precision); the paired t has n − 1 degrees of freedom (|t| > 4.30 at n = 3, > 2.26 at n = 10 "
                + "is p < 0.05 two-sided).");
        HtmlReport.write(out.resolve("report.html"), new HtmlReport.Page("vdq sweep — paired recipe comparison", notes, o.table().html(),
                List.of(), List.of(), command, String.format(Locale.ROOT, "%s, %d threads, %s, commit %s, runner %s, finished %s.", cpuModel(),
                        Parallel.threads(), Kernels.describe(), commit == null ? "unknown" : commit, runner, Instant.now())));
        // each file is written whole (temporary sibling + rename); cells.jsonl is the journal, and a rerun with the same
        // arguments resumes from it and rewrites both
        try {
            AtomicFiles.writeBytes(out.resolve("sweep.json"), json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        } catch (IOException e) {
            throw new UncheckedIOException(out.resolve("sweep.json") + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** The first "model name" of /proc/cpuinfo, or the OS architecture where there is none. */
    public static String cpuModel() {
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
