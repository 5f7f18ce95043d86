package io.vdq.kernel;

/**
 * An integer GEMM backend: W8A8, W4A8 and W4A4 (4-bit activations held as int8) with int32 accumulation
 * and the float epilogue of {@link IntGemm#gemmRows}. Implementations: {@link JavaIntBackend} (the
 * reference, always available) and the native AVX2 and AVX-512 VNNI kernels in {@code io.vdq.kernel.nat};
 * the one in use is {@link ExecutionContext#intBackend()}. All results are independent of the thread count and equal
 * across backends bit for bit.
 */
public interface IntBackend {

    String name();

    /** Prepacks {@code w} into this backend's layout; called once at load time. */
    PackedInt pack(IntWeights w);

    /** Bytes held by weights packed by this backend (codes, scales, zero points, bias). */
    long packedBytes(PackedInt w);

    /** Per-token quantization of X (m×k at xOff, row stride k) into {@code out} (shape and bits from out). */
    void quantize(float[] x, int xOff, ActQuant out);

    /** {@code Y[m×n] = X·Wᵀ} (scaled, zero-point corrected, + bias) from quantized X; Y rows at stride n. */
    default void gemm(ActQuant a, PackedInt w, float[] y, int yOff) { gemm(a, w, null, y, yOff); }

    /**
     * {@code Y = X·Wᵀ} as {@link #gemm(ActQuant, PackedInt, float[], int)} with the scale of weight group g
     * multiplied by {@code groupScale[g]} (null: none), as {@link IntGemm#gemmRows(ActQuant, IntWeights, float[], float[], int, int, int)}.
     */
    void gemm(ActQuant a, PackedInt w, float[] groupScale, float[] y, int yOff);

    /**
     * Λ pass of a rotated quantizer: {@code bmax[g]} = max |rotated x| over rows [0, rows) (rows of r.k() at xOff)
     * and block g, as {@link RotQuant#blockMaxRows}. Returns r.blocks() values (0 for no rows).
     */
    float[] rotBlockMax(float[] x, int xOff, int rows, RotQuant r);

    /** Rotated, block-scaled per-token quantization of X (out.m rows) into {@code out}, as {@link RotQuant#quantizeRows}. */
    void rotQuantize(float[] x, int xOff, RotQuant r, float[] inv, float eps, ActQuant out);

    /** Quantizes X (m×k) to {@code actBits} per token and multiplies: a whole quantized linear layer. */
    default void linear(float[] x, int xOff, int m, PackedInt w, int actBits, float[] y, int yOff) {
        ActQuant a = ActQuant.forWeights(m, w.weights(), actBits);
        quantize(x, xOff, a);
        gemm(a, w, y, yOff);
    }
}
