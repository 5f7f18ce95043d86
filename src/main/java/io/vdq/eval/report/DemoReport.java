package io.vdq.eval.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.eval.Fidelity;
import io.vdq.eval.StepFidelity;
import io.vdq.eval.vbench.Dimension;
import io.vdq.io.AtomicFiles;
import io.vdq.io.video.Frames;
import io.vdq.io.video.GifWriter;
import io.vdq.model.wan.WanConfig;
import io.vdq.tensor.Parallel;
import io.vdq.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.SequencedMap;
import java.util.function.DoubleSupplier;

/**
 * The demo's report, written into a folder: {@code index.html} (the table of every recipe against full precision,
 * its charts and notes, each video with its difference view beside it, links to {@code results.json} and to the
 * docs, every path relative to the folder), the GIFs under {@code gifs/}, the SVG charts and {@code results.json}
 * (every number of the page). Takes plain values (the run's settings, the full-precision videos and scores, one
 * {@link Entry} per recipe), so it knows neither the sampler nor the methods.
 */
public final class DemoReport {
    /** GIF magnification and frame delay. */
    public static final int UPSCALE = 4, GIF_DELAY_MS = 120;

    /** What was run: the model (its folder, or null for a seeded random-init one), the videos and the sampler. */
    public record Setup(WanConfig config, Path modelDir, long modelSeed, int frames, int size, int steps, float guidance, double shift,
                        List<String> prompts, List<String> calibrationPrompts, long noiseSeed, boolean teacherForced) {
        /** A trained model from a folder (its videos are scored with VBench-lite), not a random-init one. */
        public boolean trained() { return modelDir != null; }

        /** The noise seed of evaluation prompt {@code i}. */
        public long seed(int i) { return noiseSeed + i; }
    }

    /**
     * One recipe's outcome: its name, method, widths ({@code floatActivations}: A16) and description, then either
     * {@code error} or the videos ({@code samples}, one per prompt) and their scores; {@code layerNames} and
     * {@code layerWeightRelL2} are parallel.
     */
    public record Entry(String name, String method, int weightBits, int activationBits, boolean floatActivations, String description,
                        List<Tensor> samples, List<Fidelity.Metrics> perPrompt, double psnr, double relL2, double cosine,
                        double quantizeS, double generateS, int[] bitSchedule, boolean bitsVary, int layers, List<String> layerNames,
                        double[] layerWeightRelL2, double[] vbench, StepFidelity stepFidelity, String error) {}

    private final Path out;
    private final Path home;
    private final Setup s;
    private final List<Tensor> fp;
    private final double fpSeconds;
    private final double[] fpScores;
    private final List<Entry> results;
    private final String command, kernels;
    private final DoubleSupplier elapsed;

    private DemoReport(Path out, Path home, Setup s, List<Tensor> fp, double fpSeconds, double[] fpScores, List<Entry> results,
                       String command, String kernels, DoubleSupplier elapsed) {
        this.out = out;
        this.home = home.toAbsolutePath().normalize();
        this.s = s;
        this.fp = fp;
        this.fpSeconds = fpSeconds;
        this.fpScores = fpScores;
        this.results = results;
        this.command = command;
        this.kernels = kernels;
        this.elapsed = elapsed;
    }

    /**
     * Writes the report into {@code out} (an existing folder; the caller makes it appear atomically). {@code home} is
     * the checkout whose docs the page links to, {@code fp} / {@code fpSeconds} / {@code fpScores} the full-precision
     * videos, their generation time and VBench-lite means (empty for a random-init model), {@code command} the
     * command line shown, {@code kernels} the kernel backend in words, {@code elapsed} the run's seconds so far.
     */
    public static void write(Path out, Path home, Setup s, List<Tensor> fp, double fpSeconds, double[] fpScores, List<Entry> results,
                             String command, String kernels, DoubleSupplier elapsed) {
        new DemoReport(out, home, s, fp, fpSeconds, fpScores, results, command, kernels, elapsed).write();
    }

    public static double mean(double[] v) {
        double t = 0;
        for (double x : v) t += x;
        return v.length == 0 ? Double.NaN : t / v.length;
    }

    /**
     * How far a recipe's VBench-lite profile is from full precision's: the mean over the 8 dimensions of
     * |score − full-precision score|, in percentage points (0 = the same scores). A recipe can raise one
     * dimension and lower another; the mean score hides that, this does not. NaN when either is not scored.
     */
    public static double vbenchDeviation(double[] v, double[] fp) {
        if (v.length == 0 || v.length != fp.length) return Double.NaN;
        double t = 0;
        for (int k = 0; k < v.length; k++) t += Math.abs(v[k] - fp[k]);
        return 100 * t / v.length;
    }

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
    public static String gifName(String recipe) { return recipe.replaceAll("[^A-Za-z0-9._=+-]", "_"); }

    /** The difference images' white point, as a fraction of the colour range the GIFs show (lo…hi). */
    static final double DIFF_FULL_SCALE = 0.5;

    private void write() {
        List<HtmlReport.ImageRow> rows = new ArrayList<>();
        for (int i = 0; i < fp.size(); i++) {
            float[] ref = fp.get(i).toArray();
            float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
            for (float x : ref) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
            if (s.trained()) { lo = -1; hi = 1; } // a trained pixel-space model's range: show its colours as they are
            double fullScale = DIFF_FULL_SCALE * (hi > lo ? hi - lo : 1);
            List<HtmlReport.Cell> cells = new ArrayList<>();
            String name = "gifs/p" + i + "-fp.gif";
            GifWriter.write(out.resolve(name), Frames.fromSample(fp.get(i), lo, hi), GIF_DELAY_MS, UPSCALE);
            cells.add(new HtmlReport.Cell("full precision", name));
            for (var r : results) {
                if (r.error() != null) continue;
                name = "gifs/p" + i + "-" + gifName(r.name()) + ".gif";
                GifWriter.write(out.resolve(name), Frames.fromSample(r.samples().get(i), lo, hi), GIF_DELAY_MS, UPSCALE);
                String diff = "gifs/p" + i + "-" + gifName(r.name()) + "-diff.gif";
                GifWriter.write(out.resolve(diff), DiffHeat.frames(fp.get(i), r.samples().get(i), fullScale), GIF_DELAY_MS, UPSCALE);
                Fidelity.Metrics m = r.perPrompt().get(i);
                cells.add(new HtmlReport.Cell(r.name() + " · " + HtmlReport.num(m.psnr(), 1) + " dB", name, diff));
            }
            rows.add(new HtmlReport.ImageRow("Prompt " + (i + 1) + ": \"" + s.prompts().get(i) + "\" (noise seed " + s.seed(i) + ")", cells));
        }
        var psnr = new LinkedHashMap<String, Double>();
        double cap = 0;
        for (var r : results) if (r.error() == null && Double.isFinite(r.psnr())) cap = Math.max(cap, r.psnr());
        for (var r : results) if (r.error() == null) psnr.put(r.name(), r.psnr());
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
            if (Arrays.stream(y).allMatch(Double::isFinite)) stepSnr.put(r.name(), y); // +∞ only if bit-identical
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
            sched.put(r.name(), y);
        }
        if (!sched.isEmpty()) {
            SvgCharts.write(out.resolve("bit_schedule.svg"), SvgCharts.panels("Activation bits per denoising step (prompt 1)", "step",
                    "bits", sched, true, true));
            figs.add(new HtmlReport.Figure("Per-step activation bits of every recipe that switches them (δ-GBS), prompt 1: the bits "
                    + "hold for a whole step", "bit_schedule.svg"));
        }
        var layerErr = new LinkedHashMap<String, SequencedMap<String, Double>>();
        for (var r : results) if (r.error() == null && !r.layerNames().isEmpty()) layerErr.put(r.name(), byName(r.layerNames(), r.layerWeightRelL2()));
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
        for (var r : results) if (r.error() == null && r.vbench().length > 0) vbMean.put(r.name(), 100 * mean(r.vbench()));
        if (!vbMean.isEmpty()) {
            SvgCharts.write(out.resolve("vbench.svg"), SvgCharts.hbars("VBench-lite mean of 8 dimensions (higher is better)", "score (%)", vbMean, 100));
            figs.add(new HtmlReport.Figure("VBench-lite score of each recipe's videos against their prompts (mean of colour, shape, "
                    + "direction, smoothness, subject/background consistency, dynamic degree, imaging quality)", "vbench.svg"));
        }
        List<List<String>> table = new ArrayList<>();
        table.add(row(List.of("full precision", "float", "32", "32", "∞", "0", "1", "∞"), scoreCells(fpScores, fpScores),
                List.of("—", HtmlReport.num(fpSeconds, 1), "the reference")));
        for (var r : results) {
            String a = r.floatActivations() ? "16 (float)" : r.bitsVary() ? "≈" + r.activationBits() + " (switched)" : Integer.toString(r.activationBits());
            table.add(r.error() != null
                    ? row(List.of(r.name(), r.method(), Integer.toString(r.weightBits()), a, "", "", "", ""), scoreCells(new double[0], fpScores),
                            List.of(HtmlReport.num(r.quantizeS(), 1), "", "failed: " + r.error()))
                    : row(List.of(r.name(), r.method(), Integer.toString(r.weightBits()), a, HtmlReport.num(r.psnr(), 2),
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
                        "colour %", "shape %", "direction %", "VBench-lite %", "VBench-lite Δ vs FP (pts)", "quantize s", "generate s", "description"), table), rows, figs, videoNote, command,
                String.format(Locale.ROOT, "Finished %s in %.1f s on %d threads (%s kernels).", Instant.now(), elapsed.getAsDouble(),
                        Parallel.threads(), kernels));
        writeJson();
        HtmlReport.write(out.resolve("index.html"), page);
    }

    /** Documentation the report links to (path in the checkout, link text), when the checkout has it. */
    static final String[][] DOC_LINKS = {{"README.md", "README"}, {"docs/QUANT.md", "quantization methods"},
            {"docs/DVD.md", "DVD-Quant and δ-GBS"}, {"docs/VBENCH_LITE.md", "VBench-lite"}, {"docs/SYNTH_WORLD.md", "the synthetic world"}};

    /** The checkout whose docs the report links to. */
    private Path home() { return home; }

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
    public static SequencedMap<String, Double> byName(List<String> names, double[] values) {
        SequencedMap<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            String k = names.get(i);
            for (int dup = 2; m.containsKey(k); dup++) k = names.get(i) + "@#" + dup;
            m.put(k, values[i]);
        }
        return m;
    }

    private void writeJson() {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("command", command);
        root.put("model", s.trained() ? s.modelDir().toString() : "random-init");
        if (!s.trained()) root.put("model_seed", s.modelSeed());
        root.set("config", s.config().toJsonNode());
        root.put("frames", s.frames()).put("height", s.size()).put("width", s.size());
        root.put("sampler", "unipc").put("steps", s.steps()).put("shift", s.shift()).put("guidance", s.guidance());
        ArrayNode pr = root.putArray("prompts");
        for (int i = 0; i < s.prompts().size(); i++) pr.addObject().put("prompt", s.prompts().get(i)).put("seed", s.seed(i));
        ArrayNode cp = root.putArray("calibration_prompts");
        s.calibrationPrompts().forEach(cp::add);
        root.put("full_precision_generate_s", fpSeconds);
        vbenchJson(root, "full_precision_vbench", fpScores);
        ArrayNode rs = root.putArray("recipes");
        for (var r : results) {
            ObjectNode o = rs.addObject();
            o.put("name", r.name()).put("method", r.method());
            o.put("weight_bits", r.weightBits()).put("activation_bits", r.activationBits());
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
        root.put("total_s", elapsed.getAsDouble());
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
