package io.vdq.quant.dvd;

import io.vdq.VdqException.ConfigException;
import io.vdq.model.FloatLinear;
import io.vdq.model.Linear;
import io.vdq.model.LinearRegistry;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.Calibration;
import io.vdq.quant.Granularity;
import io.vdq.quant.LayerReport;
import io.vdq.quant.Layerwise;
import io.vdq.quant.QuantMethod;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.QuantReport;
import io.vdq.quant.QuantTargets;
import io.vdq.quant.Recipe;
import io.vdq.quant.SamplerHook;
import io.vdq.quant.ckpt.CheckpointSize;
import java.lang.System.Logger.Level;
import java.lang.System.Logger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * DVD-Quant as a {@link QuantMethod} named {@code dvd}: data-free (the calibration is ignored). Every layer the
 * recipe selects becomes an {@link ArqLinear}: W·R quantized by {@link Bgr}, activations by {@link Arq}, the
 * activation width fixed ({@code activation_bits}) or switched per step by δ-GBS ({@link GbsController}, the
 * report's hook). Each choice the paper leaves open is a recipe option; defaults in brackets:
 * <ul>
 * <li>Weights (decisions 1–4): always asymmetric (the recipe's {@code weight_symmetric} is ignored);
 *     {@code weight_granularity} per_channel [default] or per_group with {@code group_size};
 *     {@code bgr} [true] (false = MinMax with the same grid: the "arq-only" ablation);
 *     {@code bgr_init} "search" [default] | "fixed"; {@code bgr_bounds} "separate" [default: the paper's lower
 *     and upper shrink δ_l, δ_u searched apart on an 11 × 11 grid] | "tied" [one α for both, the default before
 *     issue #25]; {@code bgr_alpha} [0.9] (fixed α); {@code bgr_alpha_min}
 *     [0.5]; {@code bgr_alpha_step} [0.05]; {@code bgr_max_iterations} [50]; {@code bgr_tolerance} [1e-4];
 *     {@code bgr_real_zero_point} [false].</li>
 * <li>Activations (5–7): {@code arq} [true] (false = no rotation and no Λ: plain dynamic quantization, the
 *     "bgr-only" ablation as the paper's Table 3 presumably ran it); {@code rotate} [= arq]; {@code random_signs}
 *     [true]; {@code seed} [1234] (layer i uses seed + i); {@code rotation_cap} [1024]; {@code scaling}
 *     "block" [default when arq] | "channel" | "off" [default when not arq]; {@code scale_block} [128];
 *     {@code activation_granularity} per_token [default] | per_tensor; {@code integer_reference} [false] runs
 *     the integer formulation instead of fake quantization; {@code center} [false] subtracts each call's
 *     per-channel token mean before ARQ and adds it back through the weights in float (docs/DVD.md; the
 *     w4a4-dvd/w4a6-dvd presets set it with {@code scaling: channel}); {@code center_text} [false] also centres
 *     the layers whose input is the text tokens (cross-attention key/value), which hurt when tried;
 *     {@code center_weights} "quantized" [default] multiplies centring's correction μ·Wᵀ with the 4-bit Ŵ, "w8"
 *     with a per-row 8-bit copy of W·R (one more byte per weight), "float" with W·R itself (a diagnostic: the
 *     float weights are kept); neither is stored in a quantized checkpoint.</li>
 * <li>Bits per step (8–11): {@code gbs} [false]; {@code gbs_low_bits} [4]; {@code gbs_high_bits} [8];
 *     {@code gbs_delta} a number or "auto" [auto]; {@code gbs_target_bits} [= activation_bits] for auto-δ;
 *     {@code gbs_tolerance} [0.25]; {@code gbs_force_first} and {@code gbs_force_last} ["paper": the first
 *     round(4N/50) and last round(6N/50) of N steps run high, the paper's 4 and 6 of 50; or a step count; before
 *     issue #25 2 and 0]. With "auto", δ
 *     starts at 0.1 until {@link GbsController#calibrate} has run on calibration prompts; store the result in
 *     the recipe with {@link #withDelta}. With gbs on, {@code activation_bits} is the nominal mean (6 for W4A6).</li>
 * <li>Layers (12): the recipe's include/exclude patterns (Wan default: every block linear).</li>
 * </ul>
 * Each layer's report line carries the MinMax, bounded-init and refined weight errors (relative, squared).
 */
public final class DvdQuantMethod implements QuantMethod<DvdSettings> {
    private static final Logger LOG = System.getLogger(DvdQuantMethod.class.getName());

    @Override public String name() { return "dvd"; }

    /** Checkpoint bytes of one layer ({@link ArqCodec}): BGR's codes and a float32 scale and minimum per weight group. */
    @Override public OptionalLong storedBytes(Recipe r, DvdSettings s, String layer, int out, int in, long biasBytes) {
        int g = r.weightGranularity() == Granularity.PER_GROUP && r.groupSize() < in ? r.groupSize() : in; // as Bgr
        if (in % g != 0) throw new ConfigException(layer + ": DVD group size " + g + " does not divide K = " + in);
        return OptionalLong.of(CheckpointSize.codes(out, in, r.weightBits()) + 2L * 4 * out * (in / g) + biasBytes);
    }

    @Override public Set<String> options() { return DvdSettings.KEYS; }

    @Override public String description() {
        return "DVD-Quant: Hadamard + BGR weights, auto-scaled rotated activations, δ-guided bit switching; data-free";
    }

    /**
     * A recipe's options resolved against its widths and granularities: what each layer's BGR, ARQ and the δ-GBS
     * controller run with (for {@link #apply}, streaming quantization, tests and reports).
     */
    public record Settings(Bgr.Options bgr, Arq.Options arq, long seed, boolean integer, BitSwitcher.Options gbs,
                           boolean autoDelta, double targetBits, double tolerance, boolean centerText, CenterWeights centerWeights) {}

    /** Parses the options and checks them against the recipe's fields, so a bad recipe fails before any layer is quantized. */
    @Override public DvdSettings parseSettings(Recipe r) {
        DvdSettings o = DvdSettings.parse(r);
        settings(r, o);
        return o;
    }

    /** The recipe's resolved settings (its options parsed here). */
    public static Settings settings(Recipe r) { return settings(r, DvdSettings.parse(r)); }

    /** The recipe's resolved settings from its parsed options {@code o}. */
    public static Settings settings(Recipe r, DvdSettings o) {
        int group = switch (r.weightGranularity()) {
            case PER_CHANNEL -> 0;
            case PER_GROUP -> r.groupSize();
            default -> throw new ConfigException("recipe '" + r.name() + "': DVD weight_granularity must be per_channel or per_group, got "
                    + r.weightGranularity().jsonName());
        };
        if (r.floatWeights()) throw new ConfigException("recipe '" + r.name() + "': DVD-Quant needs weight_bits 2..8, got 16");
        boolean bgr = o.bgr();
        Bgr.Options bo = new Bgr.Options(r.weightBits(), group, bgr && o.bgrInit() == Bgr.Init.SEARCH ? Bgr.Init.SEARCH : Bgr.Init.FIXED,
                bgr ? o.bgrAlpha() : 1.0, o.bgrAlphaMin(), o.bgrAlphaStep(), bgr ? o.bgrMaxIterations() : 0, o.bgrTolerance(),
                o.bgrRealZeroPoint(), o.separateBounds());
        Arq.Granularity ag = switch (r.activationGranularity()) {
            case PER_TOKEN -> Arq.Granularity.PER_TOKEN;
            case PER_TENSOR -> Arq.Granularity.PER_TENSOR;
            default -> throw new ConfigException("recipe '" + r.name() + "': DVD activation_granularity must be per_token or per_tensor, got "
                    + r.activationGranularity().jsonName());
        };
        Arq.Options ao = new Arq.Options(o.rotate(), o.randomSigns(), o.rotationCap(), o.scaling(), o.scaleBlock(), ag, 1e-8, o.center());
        boolean auto = o.gbs() && o.autoDelta();
        double delta = o.autoDelta() ? 0.1 : o.gbsDelta();
        BitSwitcher.Options go = o.gbs() ? new BitSwitcher.Options(delta, o.gbsLowBits(), o.gbsHighBits(), o.gbsForceFirst(),
                o.gbsForceLast()) : null;
        if (go != null && !(ActivationBits.valid(go.lowBits()) && ActivationBits.valid(go.highBits())))
            throw new ConfigException("recipe '" + r.name() + "' options 'gbs_low_bits'/'gbs_high_bits' = " + go.lowBits() + "/"
                    + go.highBits() + ": expected 2..8 or 16 (float)");
        return new Settings(bo, ao, o.seed(), o.integerReference(), go, auto, o.gbsTargetBits(), o.gbsTolerance(), o.centerText(),
                o.centerWeights());
    }

    /** How centring's correction μ·Wᵀ gets its weights (option {@code center_weights}). */
    public enum CenterWeights { QUANTIZED, W8, FLOAT }

    /**
     * The weights of centring's correction for {@code mode}: null for QUANTIZED (the layer uses Ŵ); W·R for FLOAT;
     * for W8, W·R rounded per row to a symmetric 8-bit grid (step max|row| / 127, round half to even).
     */
    public static float[] shiftWeights(Arq arq, float[] w, int out, CenterWeights mode) {
        if (mode == CenterWeights.QUANTIZED) return null;
        int in = arq.k();
        float[] rw = w.clone();
        arq.rotateWeights(rw, 0, out);
        if (mode == CenterWeights.W8)
            for (int o = 0; o < out; o++) {
                double m = 0;
                for (int j = 0; j < in; j++) m = Math.max(m, Math.abs(rw[o * in + j]));
                double d = m / 127;
                if (d > 0) for (int j = 0; j < in; j++) rw[o * in + j] = (float) (d * Math.rint(rw[o * in + j] / d));
            }
        return rw;
    }

    @Override
    public QuantReport apply(LinearRegistry model, Recipe r, DvdSettings options, Calibration calibration) {
        Settings s = settings(r, options);
        if (s.gbs() == null && r.floatActivations() && options.arq())
            LOG.log(Level.INFO, "recipe {0}: float activations; ARQ only rotates", r.name());
        ActivationBits bits = sharedBits(s, r);
        List<LayerReport> rows = new ArrayList<>();
        double mm = 0, init = 0, ref = 0;
        int i = 0;
        for (Map.Entry<String, FloatLinear> e : QuantTargets.select(model, r).entrySet()) {
            FloatLinear f = e.getValue();
            int out = f.outFeatures(), in = f.inFeatures();
            Arq arq = new Arq(in, layerOptions(s, e.getKey()), layerSeed(s, i));
            Bgr.Result q = quantizeWeights(arq, f.weight(), out, s.bgr());
            ArqLinear layer = new ArqLinear(arq, q, f.bias(), bits, s.integer());
            if (arq.options().center()) layer.shiftWeights(shiftWeights(arq, f.weight(), out, s.centerWeights()));
            model.replaceLinear(e.getKey(), layer);
            LayerReport.WeightStages st = stages(q.error());
            mm += st.minMax();
            init += st.boundedInit();
            ref += st.refined();
            String note = note(q.error(), arq);
            rows.add(new LayerReport(e.getKey(), out, in, r.weightBits(), r.activationBits(),
                    q.error().refined() / ((double) out * in), Math.sqrt(st.refined()), note, st));
            LOG.log(Level.DEBUG, "{0}: {1}", e.getKey(), note);
            i++;
        }
        LOG.log(Level.INFO, String.format(Locale.ROOT, "dvd: %d layers; mean relative weight error minmax %.3e, bounded init %.3e, BGR %.3e (%.1f%% below MinMax)",
                i, mm / i, init / i, ref / i, 100 * (1 - ref / mm)));
        return new QuantReport(name(), r, rows, hook(s, bits), bits);
    }

    /** The activation width all of a recipe's layers share (δ-GBS starts it at its high bits and switches it per step). */
    public static ActivationBits sharedBits(Settings s, Recipe r) {
        return new ActivationBits(s.gbs() != null ? s.gbs().highBits() : r.activationBits());
    }

    /** The recipe's sampler hook: δ-GBS's controller of {@code bits}, or none. */
    public static SamplerHook hook(Settings s, ActivationBits bits) {
        if (s.gbs() == null) return SamplerHook.NONE;
        return new GbsController(s.gbs(), bits, s.autoDelta() ? new GbsController.Target(s.targetBits(), s.tolerance()) : null);
    }

    /** The ARQ options of one selected layer: {@code center} leaves the text inputs alone unless {@code center_text} is set. */
    public static Arq.Options layerOptions(Settings s, String layer) {
        Arq.Options ao = s.arq();
        return ao.center() && !s.centerText() && textInput(layer) ? ao.withCenter(false) : ao;
    }

    /**
     * True for a linear whose input is the text tokens (Wan's cross-attention key and value projections): option
     * {@code center} leaves those alone unless {@code center_text} is set (docs/DVD.md: centring them hurt).
     */
    static boolean textInput(String name) { return name.endsWith("attn2.to_k") || name.endsWith("attn2.to_v"); }

    /** The sign seed of the i-th selected layer (recipe seed + i; 0 would mean "no signs", so it is remapped). */
    public static long layerSeed(Settings s, int index) {
        return (s.seed() + index == 0) ? 0x9E3779B97F4A7C15L : s.seed() + index;
    }

    /** BGR (or MinMax, per the options) of W·R for an out×in weight; {@code w} is not modified. */
    public static Bgr.Result quantizeWeights(Arq arq, float[] w, int out, Bgr.Options o) {
        float[] rotated = w.clone();
        arq.rotateWeights(rotated, 0, out);
        return Bgr.quantize(rotated, 0, out, arq.k(), o);
    }

    /** A layer's BGR stage errors relative to ‖W‖² (the rotation is orthogonal, so ‖W·R‖ = ‖W‖). */
    public static LayerReport.WeightStages stages(Bgr.LayerError le) {
        double wsq = Math.max(le.weightSquares(), Double.MIN_NORMAL);
        return new LayerReport.WeightStages(le.minMax() / wsq, le.boundedInit() / wsq, le.refined() / wsq);
    }

    /** The report note of one layer: the stage errors, iterations, Hadamard block and Λ block. */
    static String note(Bgr.LayerError le, Arq arq) {
        LayerReport.WeightStages st = stages(le);
        return String.format(Locale.ROOT, "rel² minmax %.3e init %.3e bgr %.3e (%+.1f%%) it %.1f | H%d Λ%s" + (arq.options().center() ? " centred" : ""),
                st.minMax(), st.boundedInit(), st.refined(), -100 * le.reductionVsMinMax(),
                le.meanIterations(), arq.rotationBlock(), arq.options().scaling() == Arq.Scaling.OFF ? "off" : String.valueOf(arq.scaleBlock()));
    }

    @Override
    public Layerwise layerwise(Recipe r, DvdSettings options) {
        Settings s = settings(r, options);
        if (s.autoDelta())
            throw new ConfigException("recipe '" + r.name() + "' chooses δ-GBS's δ by sampling the model (gbs_delta auto), "
                    + "which streaming quantization does not do: give one, e.g. '" + r.name() + "+gbs_delta=0.05', or use vdq quantize");
        if (options.centerWeights() != CenterWeights.QUANTIZED)
            throw new ConfigException("recipe '" + r.name() + "' option 'center_weights' keeps a copy of the weights that a "
                    + "quantized checkpoint does not store; streaming quantization needs center_weights=quantized");
        ActivationBits bits = sharedBits(s, r);
        QuantReport plan = new QuantReport(name(), r, List.of(), hook(s, bits), bits);
        return new Layerwise() {
            @Override public QuantReport plan() { return plan; }
            @Override public Linear placeholder(String layer, int index, int out, int in, boolean bias) {
                return DvdQuantMethod.placeholder(s, r, bits, layer, index, out, in, bias);
            }
            @Override public Quantized quantize(String layer, int index, float[] w, int out, int in, float[] bias) {
                Arq arq = arq(s, layer, in, index);
                Bgr.Result q = quantizeWeights(arq, w, out, s.bgr());
                LayerReport.WeightStages st = stages(q.error());
                LayerReport lr = new LayerReport(layer, out, in, s.bgr().bits(), r.activationBits(),
                        q.error().refined() / ((double) out * in), Math.sqrt(st.refined()),
                        String.format(Locale.ROOT, "it %.1f | H%d Λ%s", q.error().meanIterations(), arq.rotationBlock(),
                                s.arq().scaling() == Arq.Scaling.OFF ? "off" : String.valueOf(arq.scaleBlock())), st);
                return new Quantized(new ArqLinear(arq, q, bias, bits, s.integer()), lr);
            }
        };
    }

    /**
     * A layer of the final kind and shapes with all-zero codes (its values are ignored: only its descriptor and tensor
     * shapes count), for writers that declare a checkpoint's layers before computing them.
     */
    public static Linear placeholder(Settings s, Recipe recipe, ActivationBits bits, String layer, int index, int out, int in,
                                     boolean hasBias) {
        int group = s.bgr().groupSize() == 0 ? in : s.bgr().groupSize();
        if (in % group != 0)
            throw new ConfigException("recipe '" + recipe.name() + "': group size " + group + " does not divide the input width "
                    + in + " of '" + layer + "'");
        int groups = out * (in / group);
        Bgr.Result empty = Bgr.fromCodes(out, in, group, s.bgr().bits(), new byte[out * in], new float[groups], new float[groups]);
        return new ArqLinear(arq(s, layer, in, index), empty, hasBias ? new float[out] : null, bits, s.integer());
    }

    /** The ARQ of the {@code index}-th selected layer: its sign seed is the recipe's seed + index, as in {@link #apply}. */
    public static Arq arq(Settings s, String layer, int in, int index) {
        return new Arq(in, layerOptions(s, layer), layerSeed(s, index));
    }

    /** The δ-GBS controller of a DVD report, if the recipe switches bits. */
    public static Optional<GbsController> controller(QuantReport report) {
        return report.hook() instanceof GbsController g ? Optional.of(g) : Optional.empty();
    }

    /** The recipe with a calibrated δ stored (so later runs need no calibration). */
    public static Recipe withDelta(Recipe r, double delta) { return r.withOption("gbs_delta", delta); }
}
