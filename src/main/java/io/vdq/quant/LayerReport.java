package io.vdq.quant;

import io.vdq.model.FloatLinear;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.SequencedMap;

/**
 * One line of a quantization report: layer name, shape, widths, and the weight error measured against the float
 * weights in the same (transformed) basis: MSE and relative L2 ‖Ŵ − W‖ / ‖W‖ (doubles). Methods whose weight
 * quantizer has stages (DVD-Quant's BGR) also give the error of each stage in {@code stages}; null otherwise.
 *
 * @param extra optional method-specific numeric columns in display order; {@code vdq quantize} prints one table
 *              column per key (and the three stage errors when {@code stages} is set). Never null (empty by default).
 */
public record LayerReport(String name, int out, int in, int weightBits, int activationBits,
                          double weightMse, double weightRelL2, String note, WeightStages stages,
                          SequencedMap<String, Double> extra) {
    public LayerReport {
        extra = Collections.unmodifiableSequencedMap(extra == null ? new LinkedHashMap<>() : new LinkedHashMap<>(extra));
    }

    /**
     * Relative squared weight errors ‖Ŵ − W‖² / ‖W‖² of the stages of a staged weight quantizer, all measured in
     * the same (rotated) basis with the same bits and granularity: plain MinMax, the bounded initialisation, and
     * the refined (stored) result. BGR guarantees refined ≤ boundedInit ≤ minMax per row, hence per layer.
     */
    public record WeightStages(double minMax, double boundedInit, double refined) {
        /** 1 − refined/minMax: the fraction of the MinMax error removed (0 when MinMax is exact). */
        public double reductionVsMinMax() { return minMax > 0 ? 1 - refined / minMax : 0; }

        /** Whether refined ≤ boundedInit ≤ minMax holds. */
        public boolean ordered() { return refined <= boundedInit && boundedInit <= minMax; }
    }

    /** A line with stage errors (or null) and no extra columns. */
    public LayerReport(String name, int out, int in, int weightBits, int activationBits,
                       double weightMse, double weightRelL2, String note, WeightStages stages) {
        this(name, out, in, weightBits, activationBits, weightMse, weightRelL2, note, stages, null);
    }

    /** A line without stage errors or extra columns. */
    public LayerReport(String name, int out, int in, int weightBits, int activationBits,
                       double weightMse, double weightRelL2, String note) {
        this(name, out, in, weightBits, activationBits, weightMse, weightRelL2, note, null, null);
    }

    /** This line with one more extra column (replacing a column of the same name). */
    public LayerReport withExtra(String column, double value) {
        SequencedMap<String, Double> m = new LinkedHashMap<>(extra);
        m.put(column, value);
        return new LayerReport(name, out, in, weightBits, activationBits, weightMse, weightRelL2, note, stages, m);
    }

    /** The extra columns, preceded by the stage errors (minmax_rel², bounded_rel², refined_rel²) when present. */
    public SequencedMap<String, Double> columns() {
        SequencedMap<String, Double> m = new LinkedHashMap<>();
        if (stages != null) {
            m.put("minmax_rel²", stages.minMax());
            m.put("bounded_rel²", stages.boundedInit());
            m.put("refined_rel²", stages.refined());
        }
        m.putAll(extra);
        return m;
    }

    /** Measures {@code q} against the float layer it was made from (the transform, if any, is folded first). */
    public static LayerReport measure(String name, FloatLinear f, QuantizedLinear q, int activationBits, String note) {
        float[] w = f.weight().clone();
        if (q.transform() != null) q.transform().foldIntoWeights(w, f.outFeatures());
        float[] d = q.dequantizedWeight();
        double se = 0, ref = 0;
        for (int i = 0; i < w.length; i++) { double e = (double) d[i] - w[i]; se += e * e; ref += (double) w[i] * w[i]; }
        return new LayerReport(name, f.outFeatures(), f.inFeatures(), q.weightBits(), activationBits,
                se / w.length, ref == 0 ? Math.sqrt(se) : Math.sqrt(se / ref), note == null ? "" : note);
    }
}
