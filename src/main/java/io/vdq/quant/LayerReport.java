package io.vdq.quant;

import io.vdq.model.FloatLinear;

/**
 * One line of a quantization report: layer name, shape, widths, and the weight error measured against the float
 * weights in the same (transformed) basis: MSE and relative L2 ‖Ŵ − W‖ / ‖W‖ (doubles).
 */
public record LayerReport(String name, int out, int in, int weightBits, int activationBits,
                          double weightMse, double weightRelL2, String note) {

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
