package io.vdq.quant.gptq;

import io.vdq.VdqException.ConfigException;
import io.vdq.model.FloatLinear;
import io.vdq.model.LinearRegistry;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.Calibration;
import io.vdq.quant.Gptq;
import io.vdq.quant.LayerReport;
import io.vdq.quant.QuantMethod;
import io.vdq.quant.QuantReport;
import io.vdq.quant.QuantTargets;
import io.vdq.quant.QuantizedLinear;
import io.vdq.quant.Recipe;
import io.vdq.quant.calib.LayerStats;
import io.vdq.quant.calib.Recorder;
import io.vdq.quant.calib.StatsRequest;
import io.vdq.quant.ckpt.CheckpointSize;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SequencedMap;
import java.util.Set;

/**
 * GPTQ over the selected layers. Options: {@code damp} (fraction of mean diag H, default 0.01), {@code act_order}
 * (default false), {@code layers_per_pass} (0 = all at once; otherwise the layers are processed in forward order in
 * chunks, each chunk calibrated on a model whose earlier chunks are already quantized — sequential GPTQ, and only one
 * chunk's K² Hessians in memory), {@code token_stride} (the Hessian uses every n-th calibration token, default 1).
 */
public final class GptqMethod implements QuantMethod<GptqSettings> {
    private static final System.Logger LOG = System.getLogger("io.vdq.quant.gptq");

    @Override public String name() { return "gptq"; }

    /** Checkpoint bytes of one layer: the {@code quantized_linear} codec's weight layout. */
    @Override public OptionalLong storedBytes(Recipe r, GptqSettings s, String layer, int out, int in, long biasBytes) {
        return OptionalLong.of(CheckpointSize.quantizedLinearBytes(r, out, in, false) + biasBytes);
    }

    @Override public Set<String> options() { return GptqSettings.KEYS; }

    @Override public GptqSettings parseSettings(Recipe r) { return GptqSettings.parse(r); }

    @Override public String description() { return "GPTQ: Hessian-based column-by-column error compensation (calibration XᵀX)"; }

    @Override
    public QuantReport apply(LinearRegistry model, Recipe r, GptqSettings settings, Calibration calibration) {
        if (r.floatWeights()) throw new ConfigException("recipe '" + r.name() + "': GPTQ needs weight_bits 2..8");
        double damp = settings.damp();
        boolean actOrder = settings.actOrder();
        int perPass = settings.layersPerPass();
        int stride = settings.tokenStride();
        SequencedMap<String, FloatLinear> targets = QuantTargets.select(model, r);
        List<String> names = new ArrayList<>(targets.keySet());
        int chunk = perPass <= 0 ? names.size() : perPass;
        ActivationBits bits = new ActivationBits(r.activationBits());
        List<LayerReport> rows = new ArrayList<>();
        for (int c0 = 0; c0 < names.size(); c0 += chunk) {
            List<String> part = names.subList(c0, Math.min(names.size(), c0 + chunk));
            SequencedMap<String, LayerStats> stats = Recorder.record(model, part, calibration, StatsRequest.hessian(stride));
            for (Map.Entry<String, LayerStats> e : stats.entrySet()) {
                FloatLinear f = targets.get(e.getKey());
                double[] h = e.getValue().xtx();
                double n = e.getValue().xtxTokens();
                for (int i = 0; i < h.length; i++) h[i] /= n;
                long t0 = System.nanoTime();
                Gptq.Result res = Gptq.quantize(e.getKey(), f.weight(), f.outFeatures(), f.inFeatures(), h, r.weightBits(),
                        r.weightSymmetric(), r.weightGranularity(), r.groupSize(), damp, actOrder);
                QuantizedLinear q = new QuantizedLinear(f.outFeatures(), f.inFeatures(), res.dequantized(), f.bias(),
                        res.codes(), res.params(), null, QuantTargets.activationQuantizer(r, bits));
                model.replaceLinear(e.getKey(), q);
                rows.add(LayerReport.measure(e.getKey(), f, q, r.activationBits(), "damp=" + damp + (actOrder ? " act_order" : "")));
                LOG.log(System.Logger.Level.DEBUG, () -> String.format("gptq %s: %.2f s", e.getKey(), (System.nanoTime() - t0) / 1e9));
            }
        }
        return new QuantReport(name(), r, rows, null, bits);
    }
}
