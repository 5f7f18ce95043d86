package io.vdq.quant.gguf;

import io.vdq.io.gguf.GgmlType;
import io.vdq.quant.GgmlEncoder;

/**
 * The encoders {@code vdq export-gguf} offers, registered as {@link GgmlEncoder}s
 * ({@code META-INF/services/io.vdq.quant.GgmlEncoder}): {@code ref} (ggml's reference, as llama-quantize without
 * imatrix), {@code bgr} ({@link GgufBgr}, weighted by the calibration inputs' mean squares when given) and
 * {@code gptq} ({@link GgufGptq} with BGR's block search, on the layer's calibration Hessian). Types that are not
 * quantized (F16, BF16, F32) are stored as ggml's reference does, whichever encoder is asked.
 */
public final class GgmlEncoders {
    private GgmlEncoders() {}

    /** ggml's reference block encoder. */
    public static final class Ref implements GgmlEncoder {
        @Override public String name() { return "ref"; }

        @Override public byte[] encode(String layer, GgmlType t, float[] x, int rows, int cols, float[] meanSquares, double[] hessian, double damp) {
            return GgufEncoding.encode(t, GgufEncoding.Method.REF, x, rows, cols, null);
        }
    }

    /** {@link GgufBgr}: never worse than the reference per block; importance-weighted with mean squares. */
    public static final class Bgr implements GgmlEncoder {
        @Override public String name() { return "bgr"; }

        @Override public boolean usesImportance() { return true; }

        @Override public byte[] encode(String layer, GgmlType t, float[] x, int rows, int cols, float[] meanSquares, double[] hessian, double damp) {
            return GgufEncoding.encode(t, GgufEncoding.Method.BGR, x, rows, cols, t.quantized() && meanSquares != null ? GgufBgr.weights(meanSquares) : null);
        }
    }

    /** {@link GgufGptq} with {@link GgufGptq.Search#BGR}: error feedback through the calibration Hessian. */
    public static final class Gptq implements GgmlEncoder {
        @Override public String name() { return "gptq"; }

        @Override public boolean needsHessian() { return true; }

        @Override public byte[] encode(String layer, GgmlType t, float[] x, int rows, int cols, float[] meanSquares, double[] hessian, double damp) {
            if (!t.quantized()) return GgufEncoding.encode(t, GgufEncoding.Method.REF, x, rows, cols, null);
            return GgufGptq.encode(layer, t, x, rows, cols, hessian, damp, GgufGptq.Search.BGR).bytes();
        }
    }
}
