package io.vdq.eval;

import io.vdq.VdqException.CheckpointException;
import io.vdq.io.TensorSource;
import io.vdq.io.gguf.GgmlType;
import io.vdq.io.gguf.GgufFile;
import io.vdq.io.gguf.GgufTensor;
import io.vdq.io.gguf.WanNames;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * How far a Wan GGUF's quantized tensors are from the float checkpoint they were exported from: the relative
 * Frobenius error ‖W − Ŵ‖/‖W‖ pooled over every tensor stored in a quantized ggml type (Ŵ decoded by
 * {@link GgufFile}, W read from the source, matched by the GGUF's original Wan name or its diffusers name), and the
 * count of quantized values per type. Tensors are compared one at a time.
 */
public final class GgufWeightError {
    private GgufWeightError() {}

    /** Pooled relative error, the tensors and values it covers, and the values per quantized type. */
    public record Result(double relError, int tensors, long values, Map<GgmlType, Long> valuesByType) {}

    public static Result of(GgufFile gguf, TensorSource source) {
        double err = 0, ref = 0;
        int tensors = 0;
        long values = 0;
        Map<GgmlType, Long> byType = new TreeMap<>();
        boolean original = WanNames.isOriginal(source.names());
        for (GgufTensor t : gguf.tensors()) {
            if (!t.type().quantized()) continue;
            String name = original || source.contains(t.name()) ? t.name() : WanNames.toDiffusers(t.name(), gguf.describe());
            if (!source.contains(name))
                throw new CheckpointException(source.describe() + ": no tensor '" + name + "' for the GGUF's '" + t.name() + "'");
            if (!Arrays.equals(source.info(name).shape(), t.shape()))
                throw new CheckpointException(gguf.describe() + ": '" + t.name() + "' has shape " + Arrays.toString(t.shape())
                        + ", the source's '" + name + "' " + Arrays.toString(source.info(name).shape()));
            float[] w = source.readFloatStreamed(name), q = gguf.readFloat(t.name()).toArray();
            for (int i = 0; i < w.length; i++) {
                double d = (double) w[i] - q[i];
                err += d * d;
                ref += (double) w[i] * w[i];
            }
            tensors++;
            values += w.length;
            byType.merge(t.type(), (long) w.length, Long::sum);
        }
        return new Result(ref == 0 ? (err == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(err / ref), tensors, values, byType);
    }
}
