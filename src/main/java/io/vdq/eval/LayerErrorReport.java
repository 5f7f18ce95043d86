package io.vdq.eval;

import io.vdq.VdqException.ConfigException;
import io.vdq.VdqException.ShapeException;
import io.vdq.model.Linear;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Per-layer error of a quantized model against its float original, measured through {@link Linear} only:
 * <ul>
 * <li>weight error: the effective weights are probed with one-hot rows, W_eff[:, j] = f(e_j) − f(0); this is exact (up to float rounding) for
 *   the fake-quant layers vdq builds (rotations of one-hot rows have equal magnitudes and smoothing keeps them one-hot,
 *   so dynamic per-token activation quantizers represent them exactly; static scales do not) and costs one K×K
 *   forward per layer;</li>
 * <li>output error: both layers on the same seeded Gaussian probe rows.</li>
 * </ul>
 */
public final class LayerErrorReport {
    /** One row of the report. */
    public record Row(String name, int out, int in, Fidelity.Metrics weight, Fidelity.Metrics output) {}

    private final List<Row> rows;

    private LayerErrorReport(List<Row> rows) { this.rows = List.copyOf(rows); }

    public List<Row> rows() { return rows; }

    /**
     * Compares every layer of {@code quantized} that differs (by identity) from the same-named layer of {@code reference}.
     *
     * @param probeRows Gaussian rows for the output error (0 = weight error only)
     */
    public static LayerErrorReport compare(Map<String, ? extends Linear> reference, Map<String, ? extends Linear> quantized,
                                           int probeRows, long seed) {
        List<Row> out = new ArrayList<>();
        for (Map.Entry<String, ? extends Linear> e : quantized.entrySet()) {
            Linear ref = reference.get(e.getKey()), q = e.getValue();
            if (ref == null) throw new ConfigException("layer error report: reference model has no layer '" + e.getKey() + "'");
            if (ref == q) continue;
            if (ref.inFeatures() != q.inFeatures() || ref.outFeatures() != q.outFeatures())
                throw new ShapeException("layer '" + e.getKey() + "': reference " + ref.outFeatures() + "×" + ref.inFeatures()
                        + ", candidate " + q.outFeatures() + "×" + q.inFeatures());
            Fidelity.Metrics wm = Fidelity.all(effectiveWeight(ref), effectiveWeight(q), 1);
            Fidelity.Metrics om = null;
            if (probeRows > 0) {
                float[] x = gaussian(seed ^ e.getKey().hashCode(), probeRows * ref.inFeatures());
                om = Fidelity.all(run(ref, x, probeRows), run(q, x, probeRows), 1);
            }
            out.add(new Row(e.getKey(), ref.outFeatures(), ref.inFeatures(), wm, om));
        }
        return new LayerErrorReport(out);
    }

    /** The out × in matrix W with f(x) = x·Wᵀ + f(0), probed with one-hot rows. */
    public static float[] effectiveWeight(Linear l) {
        int k = l.inFeatures(), n = l.outFeatures();
        float[] eye = new float[(k + 1) * k];
        for (int j = 0; j < k; j++) eye[j * k + j] = 1; // row k is the zero row
        float[] y = run(l, eye, k + 1);
        float[] w = new float[n * k];
        for (int j = 0; j < k; j++) for (int o = 0; o < n; o++) w[o * k + j] = y[j * n + o] - y[k * n + o];
        return w;
    }

    /** {@code rows} rows of {@code x} through {@code l}, into a new array. */
    public static float[] run(Linear l, float[] x, int rows) {
        float[] y = new float[rows * l.outFeatures()];
        l.forward(x, 0, rows, y, 0);
        return y;
    }

    /** {@code n} standard normals from {@code SplittableRandom(seed)}: the probe inputs of the output error. */
    public static float[] gaussian(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    /** Fixed-width table: layer, shape, weight rel. L2 and cosine, output rel. L2 and cosine. */
    public String table() {
        int w = 5;
        for (Row r : rows) w = Math.max(w, r.name().length());
        StringBuilder sb = new StringBuilder(String.format("%-" + w + "s  %11s  %10s  %10s  %10s  %10s%n",
                "layer", "out×in", "w_rel_l2", "w_cos", "y_rel_l2", "y_cos"));
        for (Row r : rows)
            sb.append(String.format("%-" + w + "s  %11s  %10.3e  %10.6f  %10s  %10s%n", r.name(), r.out() + "×" + r.in(),
                    r.weight().relL2(), r.weight().cosine(),
                    r.output() == null ? "-" : String.format("%.3e", r.output().relL2()),
                    r.output() == null ? "-" : String.format("%.6f", r.output().cosine())));
        return sb.toString();
    }
}
