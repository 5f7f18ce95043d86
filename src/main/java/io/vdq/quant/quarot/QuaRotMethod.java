package io.vdq.quant.quarot;

import io.vdq.VdqException.ConfigException;
import io.vdq.model.FloatLinear;
import io.vdq.model.LinearRegistry;
import io.vdq.model.wan.WanModel;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.Calibration;
import io.vdq.quant.Gptq;
import io.vdq.quant.Hadamard;
import io.vdq.quant.InputTransform;
import io.vdq.quant.LayerReport;
import io.vdq.quant.Layerwise;
import io.vdq.quant.QuantMethod;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.QuantReport;
import io.vdq.quant.QuantTargets;
import io.vdq.quant.QuantizedLinear;
import io.vdq.quant.Recipe;
import io.vdq.quant.calib.LayerStats;
import io.vdq.quant.calib.Recorder;
import io.vdq.quant.calib.StatsRequest;
import io.vdq.quant.ckpt.CheckpointSize;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SequencedMap;
import java.util.Set;

/**
 * QuaRot (Ashkboos et al., 2024) as far as a Wan block allows it exactly (docs/QUANT.md, "QuaRot on Wan"): every
 * selected linear's input is rotated by R = D·H_b (random signs, block Walsh–Hadamard), R folded into the weights
 * (W·R) and applied online to the activations, because every read of Wan's residual stream but one passes through
 * a per-timestep, per-channel adaLN modulation and two of its three writes through a per-channel gate, which no
 * rotation commutes with. Where a rotation can be folded on both sides, option {@code vo_fold} does it: a
 * head-wise rotation of each attention's value projection's outputs (folded into its rows and bias) is the
 * rotation of the output projection's input (folded into its columns), so {@code to_out.0} needs no online
 * rotation. Weights: {@code weights} = gptq (GPTQ from {@link Gptq} on the rotated weights, with the rotated
 * Hessian RᵀXᵀXR of the float model's calibration inputs) or rtn (round to nearest, data-free; the earlier port).
 *
 * <p>Options: {@code weights} (rtn), {@code block} (power of two dividing K; 0 = largest power of two dividing K,
 * capped by {@code max_block}, default 1024), {@code random_signs} (true), {@code seed} (layer i uses seed + i),
 * {@code vo_fold} (false; block = largest power of two dividing the head dimension, capped by {@code max_block}),
 * {@code head_dim} (0 = the Wan model's), GPTQ's {@code damp} (0.01), {@code act_order} (false) and
 * {@code token_stride} (1). All Hessians are recorded in one pass over the float model.
 */
public final class QuaRotMethod implements QuantMethod<QuaRotSettings> {
    @Override public String name() { return "quarot"; }

    /** Checkpoint bytes of one layer: the {@code quantized_linear} codec's weight layout (the Hadamard rotation stores nothing). */
    @Override public OptionalLong storedBytes(Recipe r, QuaRotSettings s, String layer, int out, int in, long biasBytes) {
        return OptionalLong.of(CheckpointSize.quantizedLinearBytes(r, out, in, false) + biasBytes);
    }

    @Override public Set<String> options() { return QuaRotSettings.KEYS; }

    @Override public QuaRotSettings parseSettings(Recipe r) { return QuaRotSettings.parse(r); }

    @Override public String description() {
        return "QuaRot: Hadamard rotations (online per layer input; V→O folded as an option), GPTQ or RTN weights, dynamic activations";
    }

    /** How one layer is rotated: its input rotation, whether it runs online, and an optional rotation of its outputs. */
    record Plan(Hadamard input, boolean online, Hadamard output) {}

    @Override
    public QuantReport apply(LinearRegistry model, Recipe r, QuaRotSettings settings, Calibration calibration) {
        int block = settings.block(), maxBlock = settings.maxBlock();
        boolean signs = settings.randomSigns();
        long seed = settings.seed();
        String weights = settings.weights();
        boolean gptq = settings.gptq();
        if (gptq && r.floatWeights()) throw new ConfigException("recipe '" + r.name() + "': weights=gptq needs weight_bits 2..8");
        double damp = settings.damp();
        boolean actOrder = settings.actOrder();
        int stride = settings.tokenStride();
        boolean voFold = settings.voFold();

        SequencedMap<String, FloatLinear> targets = QuantTargets.select(model, r);
        Map<String, Plan> plans = new HashMap<>();
        int i = 0;
        for (Map.Entry<String, FloatLinear> e : targets.entrySet()) {
            int k = e.getValue().inFeatures();
            int b = block > 0 ? block : Hadamard.defaultBlock(k, maxBlock);
            plans.put(e.getKey(), new Plan(new Hadamard(k, b, signs ? seedFor(seed, i) : 0), true, null));
            i++;
        }
        if (voFold) foldValueIntoOutput(model, r, settings.headDim(), targets, plans, maxBlock, signs, seed + 1_000_003L);

        SequencedMap<String, LayerStats> stats = gptq
                ? Recorder.record(model, targets.keySet(), calibration, StatsRequest.hessian(stride)) : null;
        ActivationBits bits = new ActivationBits(r.activationBits());
        List<LayerReport> rows = new ArrayList<>();
        for (Map.Entry<String, FloatLinear> e : targets.entrySet()) {
            FloatLinear f = e.getValue();
            Plan p = plans.get(e.getKey());
            FloatLinear ref = p.output() == null ? f : rotateOutputs(f, p.output());
            InputTransform t = InputTransform.hadamard(p.input());
            QuantizedLinear q;
            if (gptq) {
                float[] w = ref.weight().clone();
                t.foldIntoWeights(w, f.outFeatures());
                LayerStats st = stats.get(e.getKey());
                if (st.xtxTokens() == 0)
                    throw new ConfigException("recipe '" + r.name() + "': weights=gptq needs calibration data and layer '" + e.getKey()
                            + "' saw none (use weights=rtn, e.g. w4a4-quarot-rtn, for a data-free run)");
                double[] h = st.xtx();
                double n = st.xtxTokens();
                for (int j = 0; j < h.length; j++) h[j] /= n;
                rotateHessian(h, p.input());
                Gptq.Result res = Gptq.quantize(e.getKey(), w, f.outFeatures(), f.inFeatures(), h, r.weightBits(),
                        r.weightSymmetric(), r.weightGranularity(), r.groupSize(), damp, actOrder);
                q = new QuantizedLinear(f.outFeatures(), f.inFeatures(), res.dequantized(), ref.bias(), res.codes(), res.params(),
                        p.online() ? t : null, QuantTargets.activationQuantizer(r, bits));
            } else if (p.online()) {
                q = QuantizedLinear.roundToNearest(ref, r.weightBits(), r.weightSymmetric(), r.weightGranularity(), r.groupSize(),
                        t, QuantTargets.activationQuantizer(r, bits));
            } else {
                float[] w = ref.weight().clone();
                t.foldIntoWeights(w, f.outFeatures());
                q = QuantizedLinear.roundToNearest(new FloatLinear(w, ref.bias(), f.outFeatures(), f.inFeatures()), r.weightBits(),
                        r.weightSymmetric(), r.weightGranularity(), r.groupSize(), null, QuantTargets.activationQuantizer(r, bits));
            }
            model.replaceLinear(e.getKey(), q);
            // measured against the float layer in the same bases (rotated outputs, folded input rotation)
            FloatLinear measuredRef = ref;
            if (!p.online()) {
                float[] w = ref.weight().clone();
                t.foldIntoWeights(w, f.outFeatures());
                measuredRef = new FloatLinear(w, ref.bias(), f.outFeatures(), f.inFeatures());
            }
            String note = "block=" + p.input().block() + (signs ? " seed=" + p.input().seed() : "") + " " + weights
                    + (p.online() ? "" : " input rotation folded upstream") + (p.output() == null ? "" : " outputs rotated (block=" + p.output().block() + ")");
            rows.add(LayerReport.measure(e.getKey(), measuredRef, q, r.activationBits(), note));
        }
        return new QuantReport(name(), r, rows, null, bits);
    }

    /**
     * For every {@code X.to_v} whose {@code X.to_out.0} is also selected: one head-wise rotation R_v (block dividing
     * the head dimension, so it never mixes heads and commutes with attention, which mixes tokens within each head:
     * (P·V_h)·R_h = P·(V_h·R_h)) rotates V's outputs and becomes O's input rotation, folded, not online.
     */
    private static void foldValueIntoOutput(LinearRegistry model, Recipe r, int headDim, Map<String, FloatLinear> targets,
                                            Map<String, Plan> plans, int maxBlock, boolean signs, long seed) {
        if (headDim <= 0) {
            if (model.underlying() instanceof WanModel wm) headDim = wm.config().attentionHeadDim();
            else throw new ConfigException("recipe '" + r.name() + "': vo_fold needs the head dimension (option head_dim, or a Wan model)");
        }
        int j = 0;
        for (String name : targets.keySet()) {
            if (!name.endsWith(".to_v")) continue;
            String o = name.substring(0, name.length() - ".to_v".length()) + ".to_out.0";
            if (!targets.containsKey(o)) continue;
            FloatLinear v = targets.get(name);
            if (v.outFeatures() % headDim != 0 || targets.get(o).inFeatures() != v.outFeatures())
                throw new ConfigException("recipe '" + r.name() + "': vo_fold: " + name + " has " + v.outFeatures()
                        + " outputs, not a multiple of the head dimension " + headDim + " or not " + o + "'s inputs");
            Hadamard rv = new Hadamard(v.outFeatures(), Hadamard.defaultBlock(headDim, maxBlock), signs ? seedFor(seed, j++) : 0);
            plans.put(name, new Plan(plans.get(name).input(), true, rv));
            plans.put(o, new Plan(rv, false, null));
        }
    }

    /** The float layer with rotated outputs: y·R = x·(RᵀW)ᵀ + b·R, i.e. every column of W and the bias rotated. */
    static FloatLinear rotateOutputs(FloatLinear f, Hadamard rot) {
        int out = f.outFeatures(), in = f.inFeatures();
        float[] w = f.weight(), t = new float[in * out];
        for (int o = 0; o < out; o++) for (int c = 0; c < in; c++) t[c * out + o] = w[o * in + c];
        rot.rotateRows(t, 0, in);
        float[] wr = new float[out * in];
        for (int o = 0; o < out; o++) for (int c = 0; c < in; c++) wr[o * in + c] = t[c * out + o];
        float[] b = null;
        if (f.bias() != null) {
            b = f.bias().clone();
            rot.rotateRow(b, 0);
        }
        return new FloatLinear(wr, b, out, in);
    }

    /** H ← RᵀHR in place (H symmetric K × K, in double): rows rotated, then the columns (rows of the transpose). */
    static void rotateHessian(double[] h, Hadamard rot) {
        int k = rot.k();
        for (int i = 0; i < k; i++) rotateRow(h, i * k, rot);
        for (int i = 0; i < k; i++) for (int j = i + 1; j < k; j++) {
            double a = h[i * k + j];
            h[i * k + j] = h[j * k + i];
            h[j * k + i] = a;
        }
        for (int i = 0; i < k; i++) rotateRow(h, i * k, rot);
    }

    /** row ← row·D·H_b in double (the same rotation as {@link Hadamard#rotateRow}). */
    static void rotateRow(double[] x, int off, Hadamard rot) {
        int k = rot.k(), block = rot.block();
        float[] s = rot.signs();
        if (s != null) for (int i = 0; i < k; i++) x[off + i] *= s[i];
        double norm = 1 / Math.sqrt(block);
        for (int b0 = off; b0 < off + k; b0 += block) {
            for (int hh = 1; hh < block; hh <<= 1)
                for (int i = b0; i < b0 + block; i += hh << 1)
                    for (int j = i; j < i + hh; j++) {
                        double a = x[j], c = x[j + hh];
                        x[j] = a + c;
                        x[j + hh] = a - c;
                    }
            for (int i = b0; i < b0 + block; i++) x[i] *= norm;
        }
    }

    @Override
    public Layerwise layerwise(Recipe r, QuaRotSettings s) {
        if (!s.dataFree()) throw QuantMethods.needsData(r, "weights=gptq or vo_fold");
        ActivationBits bits = new ActivationBits(r.activationBits());
        return Layerwise.perLayer(name(), r, bits, "rtn, rotated", (index, f) -> rtnLayer(r, s, bits, index, f));
    }

    /**
     * Layer {@code index} (its position among the selected layers in forward order) exactly as {@link #apply}
     * quantizes it for a data-free recipe ({@link QuaRotSettings#dataFree}): its input rotation folded into W, online on x,
     * round-to-nearest weights. For streaming quantization, which meets the layers one at a time.
     */
    public static QuantizedLinear rtnLayer(Recipe r, QuaRotSettings s, ActivationBits bits, int index, FloatLinear f) {
        if (!s.dataFree()) throw new ConfigException("recipe '" + r.name() + "' needs calibration data or vo_fold: not a per-layer data-free recipe");
        int block = s.block(), maxBlock = s.maxBlock();
        boolean signs = s.randomSigns();
        long seed = s.seed();
        int k = f.inFeatures();
        int b = block > 0 ? block : Hadamard.defaultBlock(k, maxBlock);
        InputTransform t = InputTransform.hadamard(new Hadamard(k, b, signs ? seedFor(seed, index) : 0));
        return QuantizedLinear.roundToNearest(f, r.weightBits(), r.weightSymmetric(), r.weightGranularity(), r.groupSize(),
                t, QuantTargets.activationQuantizer(r, bits));
    }

    /** Seed of layer i's signs: never 0 (0 means no signs). */
    static long seedFor(long seed, int i) {
        long s = seed + i;
        return s == 0 ? 0x9E3779B97F4A7C15L : s;
    }
}
