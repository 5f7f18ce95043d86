package io.vdq.pipeline;

import io.vdq.VdqException.ConfigException;
import io.vdq.eval.Fidelity;
import io.vdq.eval.LayerErrorReport;
import io.vdq.io.DType;
import io.vdq.model.FloatLinear;
import io.vdq.model.Linear;
import io.vdq.model.LinearRegistry;
import io.vdq.model.wan.WanModel;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.ActivationQuantizer;
import io.vdq.quant.Calibration;
import io.vdq.quant.Granularity;
import io.vdq.quant.LayerReport;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.QuantReport;
import io.vdq.quant.QuantTargets;
import io.vdq.quant.QuantizedLinear;
import io.vdq.quant.Recipe;
import io.vdq.quant.SamplerHook;
import io.vdq.quant.SwitchedLinear;
import io.vdq.quant.calib.LayerStats;
import io.vdq.quant.calib.Recorder;
import io.vdq.quant.calib.RecordingLinear;
import io.vdq.quant.calib.StatsRequest;
import io.vdq.quant.ckpt.QuantizedCheckpoint;
import io.vdq.synth.TextEncoder;
import io.vdq.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SequencedMap;
import java.util.SequencedSet;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@code vdq quantize} as a reusable pipeline: quantize a float Wan model with a recipe (calibrating on prompts when
 * the method records statistics), tune δ-GBS when the recipe asks for an automatic δ, measure per-layer weight and
 * output errors, and save the result as a {@link QuantizedCheckpoint}.
 *
 * <p>Calibration: each prompt is encoded by the synthetic world's {@link TextEncoder} (the text encoder vdq-tiny is
 * trained with) and sampled with UniPC over {@code steps} steps from noise seed {@code seed + i}, the step tag set
 * before every step. Without prompts {@link #DEFAULT_CALIBRATION_PROMPTS} are used; data-free methods never run
 * them. Output error per layer: relative L2 ‖f̂(X) − f(X)‖ / ‖f(X)‖ of the quantized against the float layer on X =
 * a seeded reservoir of {@code probeRows} calibration input tokens per layer when prompts were given (one extra
 * calibration pass before quantizing), else {@code probeRows} seeded Gaussian rows. Timestep-switched layers report
 * each range's variant on its own row. Activations are measured at the width the model starts with (δ-GBS: its
 * high width), when the method installs each layer (the float layer is then dropped). The report's
 * {@link LayerReport#extra} columns are carried into the table.
 */
public final class QuantizePipeline {
    private static final System.Logger LOG = System.getLogger("io.vdq.pipeline");

    /** Used when no calibration prompts are given (the demo's calibration prompts). */
    public static final List<String> DEFAULT_CALIBRATION_PROMPTS = List.of("a red triangle moving down", "a blue circle moving up");

    /**
     * @param prompts    calibration prompts, or null for {@link #DEFAULT_CALIBRATION_PROMPTS} (then outputs use Gaussian probes)
     * @param seed       seeds the calibration noise ({@code seed + i}), the token reservoir and the Gaussian probes
     * @param latentShape calibration latent {@code [C, F, H, W]}
     * @param probeRows  rows per layer for the output error (reservoir size or Gaussian rows)
     * @param texts      the calibration texts as the model sees them (its own encoder's output, or precomputed
     *                   embeddings), encoded on first use; null = {@code prompts} through the synthetic world's encoder
     * @param embedsGiven the texts are embeddings the user gave (they then also supply the output-error probes)
     */
    public record Settings(Recipe recipe, List<String> prompts, long seed, int steps, int[] latentShape, float guidance,
                           double shift, int probeRows, Supplier<List<CalibrationText>> texts, boolean embedsGiven) {
        /** Prompts encoded by the synthetic world's encoder (vdq-tiny, random models), zero negatives. */
        public Settings(Recipe recipe, List<String> prompts, long seed, int steps, int[] latentShape, float guidance,
                        double shift, int probeRows) {
            this(recipe, prompts, seed, steps, latentShape, guidance, shift, probeRows, null, false);
        }

        public Settings {
            if (steps < 1) throw new ConfigException("calibration steps = " + steps + ": expected >= 1");
            if (probeRows < 1) throw new ConfigException("probe rows = " + probeRows + ": expected >= 1");
            if (prompts != null && prompts.isEmpty()) throw new ConfigException("calibration prompt list is empty");
            latentShape = latentShape.clone();
        }

        public List<String> calibrationPrompts() { return prompts == null ? DEFAULT_CALIBRATION_PROMPTS : prompts; }

        /** Whether calibration data was given (prompts or precomputed embeddings) rather than the default prompts. */
        boolean givenData() { return prompts != null || embedsGiven; }
    }

    /**
     * One calibration prompt as the model sees it: its embeddings and the negative embeddings of its CFG branch
     * (null = zeros). {@code label} names it in progress lines and the checkpoint's metadata.
     */
    public record CalibrationText(String label, Tensor text, Tensor negative) {}

    /** The calibration texts of {@code s}: its own, else its prompts through the synthetic world's encoder. */
    private static List<CalibrationText> texts(WanModel model, Settings s) {
        if (s.texts() != null) return s.texts().get();
        TextEncoder enc = new TextEncoder(model.config().textDim(), TextEncoder.DEFAULT_LENGTH, TextEncoder.DEFAULT_SEED);
        List<CalibrationText> out = new ArrayList<>();
        for (String p : s.calibrationPrompts()) out.add(new CalibrationText(p, enc.encode(p), null));
        return out;
    }

    /** One row of the closing table; {@code extra} are the method's extra columns ({@link LayerReport#extra}). */
    public record LayerRow(String name, int out, int in, int weightBits, int activationBits, double weightRelL2,
                           double outputRelL2, String note, SequencedMap<String, Double> extra) {}

    /** The quantized model, the method's report, the table rows and what the checkpoint metadata should record. */
    public record Result(WanModel model, QuantReport report, List<LayerRow> rows, String baseSha256, String outputProbe,
                         String deltaNote, Map<String, String> metadata) {}

    /** Progress callbacks (per quantized layer, and free-form stages). */
    public interface Progress {
        /** Layer {@code done} of {@code total} was quantized; {@code outputRelL2} its output error (the worst range's). */
        void layer(int done, int total, String name, double outputRelL2, double elapsedS);

        void stage(String message);

        Progress NONE = new Progress() {
            @Override public void layer(int done, int total, String name, double outputRelL2, double elapsedS) {}
            @Override public void stage(String message) {}
        };
    }

    private QuantizePipeline() {}

    /** Quantizes {@code model} in place (it must be float) and returns the result; nothing is written. */
    public static Result run(WanModel model, Settings s, Progress progress) {
        long t0 = System.nanoTime();
        Recipe r = s.recipe();
        String baseSha = model.fingerprint();
        SequencedSet<String> targets = new LinkedHashSet<>(QuantTargets.select(model, r).keySet());
        // encoded on first use: data-free methods never ask, so they never need a text encoder
        List<List<CalibrationText>> cache = new ArrayList<>();
        Supplier<List<CalibrationText>> texts = () -> {
            if (cache.isEmpty()) cache.add(texts(model, s));
            return cache.getFirst();
        };
        Calibration calib = calibration(model, s, texts, progress);

        Map<String, float[]> probes = new LinkedHashMap<>();
        String probe;
        if (s.givenData()) {
            progress.stage("recording " + s.probeRows() + " calibration input tokens per layer for the output error");
            SequencedMap<String, LayerStats> st = Recorder.record(model, targets, calib,
                    new StatsRequest(false, false, false, s.probeRows(), s.seed()));
            int minRows = Integer.MAX_VALUE;
            for (var e : st.entrySet()) { probes.put(e.getKey(), e.getValue().samples()); minRows = Math.min(minRows, e.getValue().sampleCount()); }
            probe = "calibration inputs (" + (minRows == Integer.MAX_VALUE ? 0 : minRows) + "+ tokens per layer)";
        } else {
            probe = s.probeRows() + " Gaussian rows per layer (seed " + s.seed() + ")";
        }

        Counting counting = new Counting(model, targets, progress, t0, probes, s);
        QuantReport rep = QuantMethods.apply(counting, r, calib);
        int startBits = rep.activationBits().get();
        String deltaNote = tuneDelta(model, s, rep, texts, progress);
        rep.activationBits().set(startBits);
        List<LayerRow> rows = rows(rep, counting.outErr());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("calibration_prompts", s.texts() == null
                ? String.join("\n", s.calibrationPrompts()) + (s.prompts() == null ? "\n(default prompts)" : "")
                : cache.isEmpty() ? "(not used: no calibration sampling)"
                : String.join("\n", cache.getFirst().stream().map(CalibrationText::label).toList()));
        meta.put("calibration", String.format(Locale.ROOT, "unipc, %d steps, shift %s, cfg %s, latent %s, noise seed %d + i",
                s.steps(), s.shift(), s.guidance(), Arrays.toString(s.latentShape()), s.seed()));
        meta.put("output_error_probe", probe);
        if (deltaNote != null) meta.put("gbs_delta_note", deltaNote);
        LOG.log(System.Logger.Level.DEBUG, () -> String.format("quantized %d layers in %.1f s", targets.size(), (System.nanoTime() - t0) / 1e9));
        return new Result(model, rep, rows, baseSha, probe, deltaNote, meta);
    }

    /**
     * The calibration runs of {@code s} as a {@link Calibration} (no quantization): each text sampled with UniPC from
     * noise seed {@code seed + i}, the step tag set before every step. For callers that record statistics themselves
     * (export-gguf's data-aware encoders); {@link #run} uses the same.
     */
    public static Calibration calibration(WanModel model, Settings s, Progress progress) {
        List<List<CalibrationText>> cache = new ArrayList<>();
        return calibration(model, s, () -> {
            if (cache.isEmpty()) cache.add(texts(model, s));
            return cache.getFirst();
        }, progress);
    }

    private static Calibration calibration(WanModel model, Settings s, Supplier<List<CalibrationText>> texts, Progress progress) {
        return Calibration.of(s.steps(), tag -> {
            List<CalibrationText> ts = texts.get();
            for (int i = 0; i < ts.size(); i++) {
                progress.stage(String.format(Locale.ROOT, "calibration prompt %d/%d \"%s\"", i + 1, ts.size(), ts.get(i).label()));
                Sampling.sample(model, "unipc", s.steps(), s.shift(), s.guidance(), s.seed() + i, s.latentShape(),
                        ts.get(i).text(), ts.get(i).negative(), SamplerHook.tagging(tag));
            }
            tag.clear();
        });
    }

    /** Writes the result as a quantized checkpoint folder; float parameters as {@code floatType} (the base's type). */
    public static void save(Result res, Path out, DType floatType) { save(res, out, floatType, Map.of()); }

    /** As {@link #save(Result, Path, DType)} with more metadata (e.g. {@code base_model}, where the base came from). */
    public static void save(Result res, Path out, DType floatType, Map<String, String> extra) {
        Map<String, String> meta = new LinkedHashMap<>(res.metadata());
        meta.putAll(extra);
        QuantizedCheckpoint.save(out, res.model(), res.report(), res.baseSha256(), floatType, meta);
    }

    /**
     * A recipe whose sampler hook leaves a setting to be chosen by sampling (δ-GBS with {@code gbs_delta: auto}):
     * the hook tunes it on the calibration prompts. Returns a note on the hook's setting, or null when it has none.
     */
    private static String tuneDelta(WanModel m, Settings s, QuantReport rep, Supplier<List<CalibrationText>> texts, Progress progress) {
        SamplerHook h = rep.hook();
        if (h.tuningGoal() == null) return h.setting() == null ? null : h.setting() + " (from the recipe)";
        List<CalibrationText> prompts = texts.get();
        progress.stage(h.tuningGoal() + " on " + prompts.size() + " calibration prompts");
        String chosen;
        try {
            chosen = h.tune(() -> {
                for (int i = 0; i < prompts.size(); i++)
                    Sampling.sample(m, "unipc", s.steps(), s.shift(), s.guidance(), s.seed() + i, s.latentShape(),
                            prompts.get(i).text(), prompts.get(i).negative(), h);
            });
        } catch (ConfigException e) {
            throw new ConfigException("recipe '" + rep.recipe().name() + "': " + h.tuningGoal() + " over " + s.steps()
                    + " calibration steps: " + e.getMessage() + " (more calibration steps lower the minimum)", e);
        }
        String note = String.format(Locale.ROOT, "%s (auto, over %d calibration prompts × %d steps)", chosen, prompts.size(), s.steps());
        progress.stage("tuned: " + note);
        return note;
    }

    /** Output rel. L2 of a replacement against the float layer it replaces, on the layer's probe rows. */
    private static Map<String, Double> outputErrors(String name, Linear ref, Linear q, Map<String, float[]> probes, Settings s) {
        int k = q.inFeatures();
        float[] x = probes.get(name);
        int n;
        if (x != null && x.length >= k) n = x.length / k;
        else { n = s.probeRows(); x = LayerErrorReport.gaussian(s.seed() ^ name.hashCode(), n * k); }
        float[] yRef = LayerErrorReport.run(ref, x, n);
        Map<String, Double> out = new LinkedHashMap<>();
        if (q instanceof SwitchedLinear t) {
            for (int i = 0; i < t.variants().size(); i++)
                out.put(name + "@range" + i, Fidelity.relL2(yRef, LayerErrorReport.run(t.variants().get(i), x, n)));
        } else {
            out.put(name, Fidelity.relL2(yRef, LayerErrorReport.run(q, x, n)));
        }
        return out;
    }

    /** Key of a layer's MinMax baseline output error in the output-error map. */
    static final String MINMAX_SUFFIX = "#minmax";

    /**
     * Output rel. L2 of plain MinMax (RTN, symmetric per-channel weights, dynamic per-token activations) at the
     * recipe's bits on the same probe rows: the baseline each method's layer is printed next to (column
     * {@code minmax_out}). NaN for float weights.
     */
    private static double minMaxOutputError(String name, FloatLinear ref, Map<String, float[]> probes, Settings s) {
        Recipe r = s.recipe();
        if (r.floatWeights()) return Double.NaN;
        ActivationQuantizer aq = r.floatActivations() ? null
                : new ActivationQuantizer(new ActivationBits(r.activationBits()), true, Granularity.PER_TOKEN, r.groupSize(), null);
        QuantizedLinear mm = QuantizedLinear.roundToNearest(ref, r.weightBits(), true, Granularity.PER_CHANNEL, r.groupSize(), null, aq);
        return outputErrors(name, ref, mm, probes, s).get(name);
    }

    private static List<LayerRow> rows(QuantReport rep, Map<String, Double> outErr) {
        List<LayerRow> rows = new ArrayList<>();
        for (LayerReport l : rep.layers()) {
            SequencedMap<String, Double> extra = l.columns();
            Double mm = outErr.get(l.name() + MINMAX_SUFFIX);
            if (mm != null) { extra = new LinkedHashMap<>(extra); extra.put("minmax_out", mm); }
            rows.add(new LayerRow(l.name(), l.out(), l.in(), l.weightBits(), l.activationBits(), l.weightRelL2(),
                    outErr.getOrDefault(l.name(), Double.NaN), l.note(), extra));
        }
        return rows;
    }

    /**
     * The closing table: layer, shape, W/A bits, weight rel. L2, output rel. L2, each extra column (the method's,
     * then {@code minmax_out}: plain MinMax's output rel. L2 at the same bits on the same rows), the note.
     */
    public static String table(List<LayerRow> rows) {
        int w = 5;
        Set<String> extra = new LinkedHashSet<>();
        for (LayerRow r : rows) { w = Math.max(w, r.name().length()); extra.addAll(r.extra().keySet()); }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-" + w + "s  %11s  %5s  %11s  %11s", "layer", "out×in", "W/A", "w_rel_l2", "out_rel_l2"));
        for (String c : extra) sb.append(String.format(Locale.ROOT, "  %11s", c));
        sb.append("  note\n");
        double ws = 0, os = 0;
        for (LayerRow r : rows) {
            sb.append(String.format(Locale.ROOT, "%-" + w + "s  %11s  %5s  %11.4e  %11.4e", r.name(), r.out() + "×" + r.in(),
                    r.weightBits() + "/" + r.activationBits(), r.weightRelL2(), r.outputRelL2()));
            for (String c : extra) {
                Double v = r.extra().get(c);
                sb.append(v == null ? String.format(Locale.ROOT, "  %11s", "") : String.format(Locale.ROOT, "  %11.4e", v));
            }
            sb.append("  ").append(r.note()).append('\n');
            ws += r.weightRelL2();
            os += r.outputRelL2();
        }
        if (!rows.isEmpty())
            sb.append(String.format(Locale.ROOT, "%-" + w + "s  %11s  %5s  %11.4e  %11.4e%n", "mean", "", "", ws / rows.size(), os / rows.size()));
        return sb.toString();
    }

    /**
     * The model as the method sees it: when a target layer's quantized replacement is installed, its output error
     * against the float layer it replaces is measured at once (so no copy of the float model is kept) and progress
     * is reported, once per layer.
     */
    private record Counting(WanModel model, Set<String> targets, Progress progress, long t0, Map<String, float[]> probes,
                            Settings settings, Map<String, Double> outErr, Set<String> done) implements LinearRegistry {
        Counting(WanModel model, Set<String> targets, Progress progress, long t0, Map<String, float[]> probes, Settings settings) {
            this(model, targets, progress, t0, probes, settings, new LinkedHashMap<>(), new HashSet<>());
        }

        @Override public SequencedMap<String, Linear> linears() { return model.linears(); }

        @Override public LinearRegistry underlying() { return model; }

        @Override public void replaceLinear(String name, Linear layer) {
            Linear old = model.linears().get(name);
            model.replaceLinear(name, layer);
            if (layer instanceof FloatLinear || layer instanceof RecordingLinear || !targets.contains(name) || !done.add(name)) return;
            if (old instanceof RecordingLinear r) old = r.inner();
            Map<String, Double> e = old instanceof FloatLinear ? outputErrors(name, old, layer, probes, settings) : Map.of();
            outErr.putAll(e);
            if (old instanceof FloatLinear f && !e.isEmpty()) outErr.put(name + MINMAX_SUFFIX, minMaxOutputError(name, f, probes, settings));
            probes.remove(name);
            progress.layer(done.size(), targets.size(), name, e.values().stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN),
                    (System.nanoTime() - t0) / 1e9);
        }
    }

    /** Encodes prompts as the pipeline does (for callers sampling the same prompts). */
    public static Tensor encode(WanModel m, String prompt) {
        return new TextEncoder(m.config().textDim(), TextEncoder.DEFAULT_LENGTH, TextEncoder.DEFAULT_SEED).encode(prompt);
    }
}
