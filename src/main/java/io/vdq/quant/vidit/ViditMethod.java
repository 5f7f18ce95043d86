package io.vdq.quant.vidit;

import io.vdq.VdqException.ConfigException;
import io.vdq.model.FloatLinear;
import io.vdq.model.LinearRegistry;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.Calibration;
import io.vdq.quant.InputTransform;
import io.vdq.quant.LayerReport;
import io.vdq.quant.QuantMethod;
import io.vdq.quant.QuantReport;
import io.vdq.quant.QuantTargets;
import io.vdq.quant.QuantizedLinear;
import io.vdq.quant.Recipe;
import io.vdq.quant.SamplerHook;
import io.vdq.quant.Smoothing;
import io.vdq.quant.StepTag;
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
 * Option {@code alphas}: one α per range of steps (equal split of the calibration's step indices; default
 * [0.7, 0.5]: stronger balancing in the early, noisy steps). One α means one range (plain channel balancing).
 */
public final class ViditMethod implements QuantMethod<ViditSettings> {
    @Override public String name() { return "vidit"; }

    /** Checkpoint bytes of one layer: the {@code quantized_linear} codec's weight layout and channel divisors, with its bias, once per timestep variant (option alphas). */
    @Override public OptionalLong storedBytes(Recipe r, ViditSettings s, String layer, int out, int in, long biasBytes) {
        return OptionalLong.of((long) s.ranges()
                * (CheckpointSize.quantizedLinearBytes(r, out, in, false) + CheckpointSize.transformBytes("divide_channels", in) + biasBytes));
    }


    @Override public Set<String> options() { return ViditSettings.KEYS; }

    @Override public ViditSettings parseSettings(Recipe r) { return ViditSettings.parse(r); }

    @Override public String description() { return "ViDiT-Q subset: timestep-aware channel balancing (α per step range), RTN weights, dynamic activations as the recipe says"; }

    @Override
    public QuantReport apply(LinearRegistry model, Recipe r, ViditSettings settings, Calibration calibration) {
        List<Double> alphas = settings.alphas();
        int steps = calibration.steps(), ranges = settings.ranges();
        if (ranges > 1 && steps < ranges)
            throw new ConfigException("recipe option 'alphas' asks for " + ranges + " timestep ranges but the calibration tags "
                    + steps + " steps");
        SequencedMap<String, FloatLinear> targets = QuantTargets.select(model, r);
        SequencedMap<String, LayerStats> stats = Recorder.record(model, targets.keySet(), calibration,
                ranges > 1 ? StatsRequest.absMaxPerStep() : StatsRequest.absMaxOnly());
        ActivationBits bits = new ActivationBits(r.activationBits());
        StepTag tag = new StepTag();
        List<LayerReport> rows = new ArrayList<>();
        for (Map.Entry<String, FloatLinear> e : targets.entrySet()) {
            FloatLinear f = e.getValue();
            LayerStats st = stats.get(e.getKey());
            List<QuantizedLinear> variants = new ArrayList<>();
            for (int k = 0; k < ranges; k++) {
                float[] amax;
                if (ranges == 1) amax = st.absMax();
                else {
                    int from = 0;
                    while (TimestepSwitchedLinear.range(from, steps, ranges) < k) from++;
                    int to = from;
                    while (to < steps && TimestepSwitchedLinear.range(to, steps, ranges) == k) to++;
                    amax = st.absMaxOverSteps(from, to);
                }
                float[] s = Smoothing.factors(amax, f.weight(), f.outFeatures(), f.inFeatures(), alphas.get(k));
                QuantizedLinear q = QuantizedLinear.roundToNearest(f, r.weightBits(), r.weightSymmetric(), r.weightGranularity(),
                        r.groupSize(), InputTransform.divideChannels(s), QuantTargets.activationQuantizer(r, bits));
                variants.add(q);
                rows.add(LayerReport.measure(e.getKey() + (ranges > 1 ? "@range" + k : ""), f, q, r.activationBits(),
                        "alpha=" + alphas.get(k)));
            }
            model.replaceLinear(e.getKey(), ranges == 1 ? variants.getFirst() : new TimestepSwitchedLinear(variants, tag));
        }
        return new QuantReport(name(), r, rows, SamplerHook.tagging(tag), bits);
    }
}
