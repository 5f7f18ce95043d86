package io.vdq.quant.gguf;

import io.vdq.VdqException.ConfigException;
import io.vdq.io.gguf.GgmlBlocks;
import io.vdq.io.gguf.GgmlType;
import io.vdq.model.FloatLinear;
import io.vdq.model.LinearRegistry;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.Calibration;
import io.vdq.quant.LayerReport;
import io.vdq.quant.QuantMethod;
import io.vdq.quant.QuantReport;
import io.vdq.quant.QuantTargets;
import io.vdq.quant.QuantizedLinear;
import io.vdq.quant.Recipe;
import io.vdq.quant.calib.LayerStats;
import io.vdq.quant.calib.Recorder;
import io.vdq.quant.calib.StatsRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;

/**
 * A GGUF encoding as a recipe, so that {@code vdq demo} and {@code vdq sweep} compare it like any other: each
 * selected layer's weight is encoded into ggml blocks of type {@code type} by {@code encoder} ({@code ref}: ggml's
 * reference quantizer; {@code bgr}: {@link GgufBgr}, weighted by the calibration inputs' per-channel mean squares
 * unless {@code importance} is false; {@code gptq}: {@link GgufGptq} on the calibration Hessian, damped by
 * {@code damp}), and replaced by exactly the values ggml's decoder gives for those bytes. Activations stay float
 * (what ggml computes with dequantized weights, up to its own matmul rounding). Layers whose input width is not a
 * multiple of the block size are stored as F16, as export-gguf does ({@code io.gguf.WanNames}); the layers outside
 * the recipe's selection (embedders, head, which a Wan GGUF stores in F16/F32) stay in float32 here. Option
 * {@code token_stride}: the Hessian uses every n-th calibration token (default 1). Checkpoints of these recipes are
 * not stored ({@code vdq export-gguf} writes the file).
 */
public final class GgufMethod implements QuantMethod<GgufSettings> {
    public static final String NAME = "gguf";

    @Override public String name() { return NAME; }

    /** Its layers are fake-quant stand-ins for a GGUF file: the command that writes that file. */
    @Override public String notStorable(Recipe r) {
        return "write a GGUF with vdq export-gguf --type " + r.options().getOrDefault("type", "TYPE") + " --method "
                + r.options().getOrDefault("encoder", "ref") + " instead";
    }

    @Override public Set<String> options() { return GgufSettings.KEYS; }

    @Override public GgufSettings parseSettings(Recipe r) { return GgufSettings.parse(r); }

    @Override public String description() {
        return "GGUF block formats (ggml ref / BGR / GPTQ encoders), weights replaced by their ggml-decoded values, float activations";
    }

    @Override
    public QuantReport apply(LinearRegistry model, Recipe r, GgufSettings settings, Calibration calibration) {
        GgmlType t = settings.type();
        GgufEncoding.Method m = settings.encoder();
        double damp = settings.damp();
        boolean importance = settings.importance();
        int stride = settings.tokenStride();
        if (!r.floatActivations())
            throw new ConfigException("recipe '" + r.name() + "': method gguf keeps activations in float; set activation_bits 16");

        SequencedMap<String, FloatLinear> targets = QuantTargets.select(model, r);
        List<String> blockLayers = new ArrayList<>();
        for (var e : targets.entrySet()) if (e.getValue().inFeatures() % t.blockSize == 0) blockLayers.add(e.getKey());
        SequencedMap<String, LayerStats> stats = m.needsHessian() || importance
                ? Recorder.record(model, blockLayers, calibration, StatsRequest.hessian(stride)) : null;
        List<LayerReport> rows = new ArrayList<>();
        for (Map.Entry<String, FloatLinear> e : targets.entrySet()) {
            FloatLinear f = e.getValue();
            int out = f.outFeatures(), in = f.inFeatures();
            QuantTargets.requireFinite(e.getKey(), f);
            GgmlType st = in % t.blockSize == 0 ? t : GgmlType.F16;
            double[] h = null;
            float[] imp = null;
            if (stats != null && st.quantized()) {
                LayerStats ls = stats.get(e.getKey());
                h = ls.xtx();
                double n = Math.max(1, ls.xtxTokens());
                for (int i = 0; i < h.length; i++) h[i] /= n;
                if (importance) {
                    float[] ms = new float[in];
                    for (int i = 0; i < in; i++) ms[i] = (float) h[i * in + i];
                    imp = GgufBgr.weights(ms);
                }
            }
            byte[] bytes = m == GgufEncoding.Method.GPTQ && st.quantized()
                    ? GgufGptq.encode(e.getKey(), st, f.weight(), out, in, h, damp, GgufGptq.Search.BGR).bytes()
                    : GgufEncoding.encode(st, st.quantized() ? m : GgufEncoding.Method.REF, f.weight(), out, in, imp);
            float[] deq = GgmlBlocks.decode(st, bytes, out * in);
            QuantizedLinear q = new QuantizedLinear(out, in, deq, f.bias(), null, null, null, null);
            model.replaceLinear(e.getKey(), q);
            String note = String.format(Locale.ROOT, "%s %s%s, %.4g bits/weight", st, m.name().toLowerCase(Locale.ROOT),
                    m == GgufEncoding.Method.GPTQ ? " damp=" + damp : importance ? "+importance" : "", st.bitsPerWeight());
            rows.add(LayerReport.measure(e.getKey(), f, q, 16, note));
        }
        return new QuantReport(name(), r, rows, null, new ActivationBits(16));
    }
}
