package io.vdq.quant;

import io.vdq.model.FloatLinear;

/**
 * One line of a quantization report: layer name, shape, widths, and the weight error measured against the float
 * weights in the same (transformed) basis: MSE and relative L2 ‖Ŵ − W‖ / ‖W‖ (doubles). Methods whose weight
 * quantizer has stages (DVD-Quant's BGR) also give the error of each stage in {@code stages}; null otherwise.
 */
public record LayerReport(String name, int out, int in, int weightBits, int activationBits,
                          double weightMse, double weightRelL2, String note, WeightStages stages) {

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

    /** A line without stage errors. */
    public LayerReport(String name, int out, int in, int weightBits, int activationBits,
                       double weightMse, double weightRelL2, String note) {
        this(name, out, in, weightBits, activationBits, weightMse, weightRelL2, note, null);
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
