package io.vdq.quant;

import io.vdq.VdqException.ConfigException;
import io.vdq.io.gguf.GgmlType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * An encoder of weight tensors into ggml's block formats, found by {@link #name()} through
 * {@code META-INF/services/io.vdq.quant.GgmlEncoder} (the method package {@code quant.gguf} registers
 * {@code ref}, {@code bgr} and {@code gptq}), so that {@code vdq export-gguf} and its pipeline name no method package.
 * An encoder says which calibration statistics it uses; the caller records them and passes them per layer.
 */
public interface GgmlEncoder {
    /** The {@code --method} value, e.g. {@code bgr}. */
    String name();

    /** Whether {@link #encode} needs the layer's calibration Hessian for quantized types. */
    default boolean needsHessian() { return false; }

    /** Whether {@link #encode} uses per-input-column importance (the calibration inputs' mean squares). */
    default boolean usesImportance() { return false; }

    /**
     * The ggml bytes of {@code x} (rows × cols, row-major) in type {@code t}.
     *
     * @param layer       the tensor's name, for messages
     * @param meanSquares null, or per input column the mean square of the layer's calibration inputs
     *                    (read when {@link #usesImportance()})
     * @param hessian     null, or the layer's calibration Hessian Σ xxᵀ / n (cols × cols, row-major; given for
     *                    quantized types when {@link #needsHessian()})
     * @param damp        dampening of the Hessian, a fraction of its mean diagonal
     */
    byte[] encode(String layer, GgmlType t, float[] x, int rows, int cols, float[] meanSquares, double[] hessian, double damp);

    /** The registered encoder called {@code name} (case-insensitive), if any. */
    static Optional<GgmlEncoder> find(String name) { return Optional.ofNullable(Registry.all().get(name.toLowerCase(Locale.ROOT))); }

    /** The registered encoder called {@code name}; a one-line refusal naming the known ones otherwise. */
    static GgmlEncoder get(String name) {
        return find(name).orElseThrow(() -> new ConfigException("unknown GGUF encoder '" + name + "': known encoders are " + names()));
    }

    /** The registered encoders' names, in registration order. */
    static List<String> names() { return List.copyOf(Registry.all().keySet()); }

    /** The ServiceLoader-backed table behind {@link #find}. */
    final class Registry {
        private Registry() {}

        private static Map<String, GgmlEncoder> encoders;

        static synchronized Map<String, GgmlEncoder> all() {
            if (encoders == null) {
                Map<String, GgmlEncoder> m = new LinkedHashMap<>();
                for (GgmlEncoder e : ServiceLoader.load(GgmlEncoder.class, GgmlEncoder.class.getClassLoader())) m.putIfAbsent(e.name(), e);
                encoders = m;
            }
            return encoders;
        }
    }
}
