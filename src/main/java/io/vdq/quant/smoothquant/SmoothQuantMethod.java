package io.vdq.quant.smoothquant;

import io.vdq.model.FloatLinear;
import io.vdq.model.LinearRegistry;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.ActivationQuantizer;
import io.vdq.quant.Calibration;
import io.vdq.quant.InputTransform;
import io.vdq.quant.LayerReport;
import io.vdq.quant.QuantMethod;
import io.vdq.quant.QuantReport;
import io.vdq.quant.QuantTargets;
import io.vdq.quant.QuantizedLinear;
import io.vdq.quant.Recipe;
import io.vdq.quant.Smoothing;
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
 * SmoothQuant: option {@code alpha} (default 0.5); {@code static_activations} (default false) uses one static
 * per-tensor scale from the smoothed calibration maxima (SmoothQuant's O3) instead of dynamic activations.
 * Needs calibration data.
 */
public final class SmoothQuantMethod implements QuantMethod<SmoothQuantSettings> {
    @Override public String name() { return "smoothquant"; }

    /** Checkpoint bytes of one layer: the {@code quantized_linear} codec's weight layout and its channel divisors (with static activations, their scale and zero point). */
    @Override public OptionalLong storedBytes(Recipe r, SmoothQuantSettings s, String layer, int out, int in, long biasBytes) {
        return OptionalLong.of(CheckpointSize.quantizedLinearBytes(r, out, in, s.staticActivations())
                + CheckpointSize.transformBytes("divide_channels", in) + biasBytes);
    }


    @Override public Set<String> options() { return SmoothQuantSettings.KEYS; }

    @Override public SmoothQuantSettings parseSettings(Recipe r) { return SmoothQuantSettings.parse(r); }

    @Override public String description() { return "per-channel smoothing from calibration maxima (α), folded into weights, RTN"; }

    @Override
    public QuantReport apply(LinearRegistry model, Recipe r, SmoothQuantSettings settings, Calibration calibration) {
        double alpha = settings.alpha();
        boolean stat = settings.staticActivations();
        SequencedMap<String, FloatLinear> targets = QuantTargets.select(model, r);
        SequencedMap<String, LayerStats> stats = Recorder.record(model, targets.keySet(), calibration, StatsRequest.absMaxOnly());
        ActivationBits bits = new ActivationBits(r.activationBits());
        List<LayerReport> rows = new ArrayList<>();
        for (Map.Entry<String, FloatLinear> e : targets.entrySet()) {
            FloatLinear f = e.getValue();
            float[] s = Smoothing.factors(stats.get(e.getKey()).absMax(), f.weight(), f.outFeatures(), f.inFeatures(), alpha);
            ActivationQuantizer aq = QuantTargets.activationQuantizer(r, bits);
            if (stat) {
                float[] smoothed = stats.get(e.getKey()).absMax();
                for (int j = 0; j < smoothed.length; j++) smoothed[j] /= s[j];
                aq = QuantTargets.staticActivationQuantizer(r, bits, smoothed);
            }
            QuantizedLinear q = QuantizedLinear.roundToNearest(f, r.weightBits(), r.weightSymmetric(), r.weightGranularity(),
                    r.groupSize(), InputTransform.divideChannels(s), aq);
            model.replaceLinear(e.getKey(), q);
            rows.add(LayerReport.measure(e.getKey(), f, q, r.activationBits(), "alpha=" + alpha));
        }
        return new QuantReport(name(), r, rows, null, bits);
    }
}
