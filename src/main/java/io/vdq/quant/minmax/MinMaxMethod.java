package io.vdq.quant.minmax;

import io.vdq.model.FloatLinear;
import io.vdq.model.LinearRegistry;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.ActivationQuantizer;
import io.vdq.quant.Calibration;
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
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SequencedMap;
import java.util.Set;

/**
 * Round-to-nearest with min/max ranges. Data-free unless option {@code static_activations} is true: then the
 * calibration's per-channel input maxima give one static symmetric scale per layer (per-tensor activations).
 */
public final class MinMaxMethod implements QuantMethod<MinMaxSettings> {
    @Override public String name() { return "minmax"; }

    /** Checkpoint bytes of one layer: the {@code quantized_linear} codec's weight layout (with static activations, their scale and zero point). */
    @Override public OptionalLong storedBytes(Recipe r, MinMaxSettings s, String layer, int out, int in, long biasBytes) {
        return OptionalLong.of(CheckpointSize.quantizedLinearBytes(r, out, in, s.staticActivations()) + biasBytes);
    }


    @Override public Set<String> options() { return MinMaxSettings.KEYS; }

    @Override public MinMaxSettings parseSettings(Recipe r) { return MinMaxSettings.parse(r); }

    @Override public String description() { return "round-to-nearest, min/max ranges, dynamic activations (data-free)"; }

    @Override
    public QuantReport apply(LinearRegistry model, Recipe r, MinMaxSettings s, Calibration calibration) {
        ActivationBits bits = new ActivationBits(r.activationBits());
        boolean stat = s.staticActivations();
        SequencedMap<String, FloatLinear> targets = QuantTargets.select(model, r);
        SequencedMap<String, LayerStats> stats = stat ? Recorder.record(model, targets.keySet(), calibration, StatsRequest.absMaxOnly()) : null;
        List<LayerReport> rows = new ArrayList<>();
        for (Map.Entry<String, FloatLinear> e : targets.entrySet()) {
            ActivationQuantizer aq = stat ? QuantTargets.staticActivationQuantizer(r, bits, stats.get(e.getKey()).absMax())
                    : QuantTargets.activationQuantizer(r, bits);
            QuantizedLinear q = layer(r, e.getValue(), aq);
            model.replaceLinear(e.getKey(), q);
            rows.add(LayerReport.measure(e.getKey(), e.getValue(), q, r.activationBits(), stat ? "rtn static-act" : "rtn"));
        }
        return new QuantReport(name(), r, rows, null, bits);
    }

    @Override
    public Layerwise layerwise(Recipe r, MinMaxSettings s) {
        if (s.staticActivations()) throw QuantMethods.needsData(r, "static_activations");
        ActivationBits bits = new ActivationBits(r.activationBits());
        return Layerwise.perLayer(name(), r, bits, "rtn", (index, f) -> layer(r, bits, f));
    }

    /**
     * One layer as {@link #apply} quantizes it with dynamic activations (the data-free case), for streaming
     * quantization, which meets the layers one at a time.
     */
    public static QuantizedLinear layer(Recipe r, ActivationBits bits, FloatLinear f) {
        return layer(r, f, QuantTargets.activationQuantizer(r, bits));
    }

    private static QuantizedLinear layer(Recipe r, FloatLinear f, ActivationQuantizer aq) {
        return QuantizedLinear.roundToNearest(f, r.weightBits(), r.weightSymmetric(), r.weightGranularity(), r.groupSize(), null, aq);
    }
}
