package io.vdq.quant.minmax;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Round-to-nearest with min/max ranges; ignores calibration data. */
public final class MinMaxMethod implements QuantMethod {
    @Override public String name() { return "minmax"; }

    @Override public String description() { return "round-to-nearest, min/max ranges, dynamic activations (data-free)"; }

    @Override
    public QuantReport apply(LinearRegistry model, Recipe r, Calibration calibration) {
        ActivationBits bits = new ActivationBits(r.activationBits());
        List<LayerReport> rows = new ArrayList<>();
        for (Map.Entry<String, FloatLinear> e : QuantTargets.select(model, r).entrySet()) {
            QuantizedLinear q = QuantizedLinear.roundToNearest(e.getValue(), r.weightBits(), r.weightSymmetric(),
                    r.weightGranularity(), r.groupSize(), null, QuantTargets.activationQuantizer(r, bits));
            model.replaceLinear(e.getKey(), q);
            rows.add(LayerReport.measure(e.getKey(), e.getValue(), q, r.activationBits(), "rtn"));
        }
        return new QuantReport(name(), r, rows, null, bits);
    }
}
