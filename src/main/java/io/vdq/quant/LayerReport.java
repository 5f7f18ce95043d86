package io.vdq.quant;

import io.vdq.model.FloatLinear;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.SequencedMap;

/**
 * One line of a quantization report: layer name, shape, widths, and the weight error measured against the float
 * weights in the same (transformed) basis: MSE and relative L2 ‖Ŵ − W‖ / ‖W‖ (doubles).
 *
 * @param extra optional method-specific numeric columns in display order (e.g. DVD-Quant's MinMax / bounded-init /
 *              refined errors); {@code vdq quantize} prints one table column per key. Never null (empty by default).
 */
public record LayerReport(String name, int out, int in, int weightBits, int activationBits,
                          double weightMse, double weightRelL2, String note, SequencedMap<String, Double> extra) {
    public LayerReport {
        extra = Collections.unmodifiableSequencedMap(extra == null ? new LinkedHashMap<>() : new LinkedHashMap<>(extra));
    }

    /** A line without extra columns. */
    public LayerReport(String name, int out, int in, int weightBits, int activationBits,
                       double weightMse, double weightRelL2, String note) {
        this(name, out, in, weightBits, activationBits, weightMse, weightRelL2, note, null);
    }

    /** This line with one more extra column (replacing a column of the same name). */
    public LayerReport withExtra(String column, double value) {
        SequencedMap<String, Double> m = new LinkedHashMap<>(extra);
        m.put(column, value);
        return new LayerReport(name, out, in, weightBits, activationBits, weightMse, weightRelL2, note, m);
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
