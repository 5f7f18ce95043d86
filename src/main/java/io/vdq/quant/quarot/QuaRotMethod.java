package io.vdq.quant.quarot;

import io.vdq.model.FloatLinear;
import io.vdq.model.LinearRegistry;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.Calibration;
import io.vdq.quant.Hadamard;
import io.vdq.quant.InputTransform;
import io.vdq.quant.LayerReport;
import io.vdq.quant.QuantMethod;
import io.vdq.quant.QuantReport;
import io.vdq.quant.QuantTargets;
import io.vdq.quant.QuantizedLinear;
import io.vdq.quant.Recipe;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Options: {@code block} (power of two dividing K; 0 = largest power of two dividing K, capped by
 * {@code max_block}, default 1024), {@code random_signs} (default true), {@code seed} (layer i uses seed + i).
 * Data-free.
 */
public final class QuaRotMethod implements QuantMethod {
    @Override public String name() { return "quarot"; }

    @Override public java.util.Set<String> options() { return java.util.Set.of("block", "max_block", "random_signs", "seed"); }

    @Override public String description() { return "block-Hadamard input rotation fused into weights, RTN, dynamic activations"; }

    @Override
    public QuantReport apply(LinearRegistry model, Recipe r, Calibration calibration) {
        int block = r.optInt("block", 0), maxBlock = r.optInt("max_block", 1024);
        boolean signs = r.optBool("random_signs", true);
        long seed = r.optLong("seed", 1234);
        ActivationBits bits = new ActivationBits(r.activationBits());
        List<LayerReport> rows = new ArrayList<>();
        int i = 0;
        for (Map.Entry<String, FloatLinear> e : QuantTargets.select(model, r).entrySet()) {
            FloatLinear f = e.getValue();
            int k = f.inFeatures();
            int b = block > 0 ? block : Hadamard.defaultBlock(k, maxBlock);
            long s = signs ? seedFor(seed, i) : 0;
            Hadamard h = new Hadamard(k, b, s);
            QuantizedLinear q = QuantizedLinear.roundToNearest(f, r.weightBits(), r.weightSymmetric(), r.weightGranularity(),
                    r.groupSize(), InputTransform.hadamard(h), QuantTargets.activationQuantizer(r, bits));
            model.replaceLinear(e.getKey(), q);
            rows.add(LayerReport.measure(e.getKey(), f, q, r.activationBits(), "block=" + b + (signs ? " seed=" + s : "")));
            i++;
        }
        return new QuantReport(name(), r, rows, null, bits);
    }

    /** Seed of layer i's signs: never 0 (0 means no signs). */
    static long seedFor(long seed, int i) {
        long s = seed + i;
        return s == 0 ? 0x9E3779B97F4A7C15L : s;
    }
}
