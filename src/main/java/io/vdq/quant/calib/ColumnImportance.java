package io.vdq.quant.calib;

import io.vdq.VdqException.CheckpointException;
import io.vdq.io.SafetensorsFile;
import io.vdq.io.SafetensorsWriter;
import io.vdq.model.wan.LinearHook;
import io.vdq.tensor.Tensor;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Per-input-column importance of each linear layer, as llama.cpp's imatrix: the mean square of the layer's input
 * over every row it saw (install as a {@link LinearHook} while running calibration). The GGUF encoder {@code bgr} then
 * minimises Σ_i w_i·(x_i − y_i)² per row, the first-order output error for inputs with those second moments.
 * Saved as a safetensors file mapping each linear's diffusers name (e.g. {@code blocks.0.attn1.to_q}) to a
 * float32 vector of its input width.
 */
public final class ColumnImportance implements LinearHook {
    private final Map<String, double[]> sums = new TreeMap<>();
    private final Map<String, Long> rows = new TreeMap<>();

    @Override public synchronized void input(String name, float[] x, int xOff, int n, int in) {
        double[] s = sums.computeIfAbsent(name, k -> new double[in]);
        if (s.length != in) throw new IllegalStateException(name + ": input width changed from " + s.length + " to " + in);
        for (int r = 0; r < n; r++) {
            int o = xOff + r * in;
            for (int c = 0; c < in; c++) s[c] += (double) x[o + c] * x[o + c];
        }
        rows.merge(name, (long) n, Long::sum);
    }

    /** Mean square of each input column, per layer. */
    public synchronized Map<String, float[]> meanSquares() {
        Map<String, float[]> m = new LinkedHashMap<>();
        sums.forEach((k, s) -> {
            long n = rows.get(k);
            float[] v = new float[s.length];
            for (int i = 0; i < v.length; i++) v[i] = (float) (s[i] / Math.max(1, n));
            m.put(k, v);
        });
        return m;
    }

    public void save(Path file) { save(meanSquares(), file); }

    /** Writes per-layer mean squares in the format {@link #load} reads. */
    public static void save(Map<String, float[]> meanSquares, Path file) {
        SafetensorsWriter w = new SafetensorsWriter().metadata("vdq_importance", "mean square of each input column per linear layer");
        meanSquares.forEach((k, v) -> w.add(k, Tensor.of(v, v.length)));
        w.write(file);
    }

    /** Reads a file written by {@link #save}. */
    public static Map<String, float[]> load(Path file) {
        Map<String, float[]> m = new TreeMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String n : f.names()) {
                if (f.info(n).shape().length != 1)
                    throw new CheckpointException(file + ": importance '" + n + "' must be 1-D, got " + Arrays.toString(f.info(n).shape()));
                m.put(n, f.readFloat(n).toArray());
            }
        }
        return m;
    }
}
