package io.vdq.kernel;

/**
 * An integer GEMM backend: W8A8, W4A8 and W4A4 (4-bit activations held as int8) with int32 accumulation
 * and the float epilogue of {@link IntGemm#gemmRows}. Implementations: {@link JavaIntBackend} (the
 * reference, always available) and the native AVX2 kernels in {@code io.vdq.kernel.nat}; pick one with
 * {@code io.vdq.kernel.nat.IntKernels.get()}. All results are independent of the thread count and equal
 * across backends bit for bit.
 */
public interface IntBackend {

    String name();

    /** Prepacks {@code w} into this backend's layout; called once at load time. */
    PackedInt pack(IntWeights w);

    /** Per-token quantization of X (m×k at xOff, row stride k) into {@code out} (shape and bits from out). */
    void quantize(float[] x, int xOff, ActQuant out);

    /** {@code Y[m×n] = X·Wᵀ} (scaled, zero-point corrected, + bias) from quantized X; Y rows at stride n. */
    void gemm(ActQuant a, PackedInt w, float[] y, int yOff);

    /** Quantizes X (m×k) to {@code actBits} per token and multiplies: a whole quantized linear layer. */
    default void linear(float[] x, int xOff, int m, PackedInt w, int actBits, float[] y, int yOff) {
        ActQuant a = ActQuant.forWeights(m, w.weights(), actBits);
        quantize(x, xOff, a);
        gemm(a, w, y, yOff);
    }
}
