package io.vdq.quant.gguf;

import io.vdq.VdqException.ConfigException;
import io.vdq.io.gguf.GgmlRefQuant;
import io.vdq.io.gguf.GgmlType;
import io.vdq.tensor.Parallel;
import java.util.Arrays;

/** Encodes whole tensors (rows × cols, row-major) into ggml blocks, rows in parallel; the result does not depend on the thread count. */
public final class GgufEncoding {
    private GgufEncoding() {}

    /**
     * Which block encoder: ggml's reference ({@code quantize_row_*_ref}, bit-identical to llama.cpp without imatrix),
     * {@link GgufBgr}, or {@link GgufGptq} (error feedback through the layer's calibration Hessian).
     */
    public enum Method {
        REF, BGR, GPTQ;

        public static Method parse(String s) {
            for (Method m : values()) if (m.name().equalsIgnoreCase(s)) return m;
            throw new ConfigException("--method: '" + s + "' is not one of ref, bgr, gptq");
        }

        /** Whether the method needs the layer's calibration Hessian. */
        public boolean needsHessian() { return this == GPTQ; }
    }

    /**
     * The ggml bytes of {@code x} as {@code rows} rows of {@code cols} values; {@code importance} is null or one
     * weight per column (BGR only; e.g. the mean square of the layer's calibration inputs per input channel).
     */
    public static byte[] encode(GgmlType t, Method m, float[] x, int rows, int cols, float[] importance) {
        if (cols % t.blockSize != 0)
            throw new ConfigException(t + ": row length " + cols + " is not a multiple of the block size " + t.blockSize);
        if (m == Method.GPTQ && t.quantized())
            throw new ConfigException("GPTQ on the ggml grid needs the layer's calibration Hessian: use GgufGptq.encode");
        if (importance != null && importance.length != cols)
            throw new ConfigException("importance has " + importance.length + " weights for rows of " + cols);
        long rowBytes = t.rowBytes(cols);
        int size = Math.toIntExact(Math.multiplyExact(rowBytes, (long) rows));
        if (!t.quantized() || rows == 0) {
            // one array, not a copy: the largest Wan tensor (14B time_projection, 157 M values) is stored this way
            byte[] all = GgmlRefQuant.encode(t, x, 0, rows * cols);
            return all.length == size ? all : Arrays.copyOf(all, size);
        }
        byte[] out = new byte[size];
        Parallel.range(rows, (from, to) -> {
            for (int r = from; r < to; r++) {
                byte[] b = m == Method.BGR ? GgufBgr.encode(t, x, r * cols, cols, importance, 0)
                        : GgmlRefQuant.encode(t, x, r * cols, cols);
                System.arraycopy(b, 0, out, (int) (r * rowBytes), b.length);
            }
        });
        return out;
    }
}
