package io.vdq.kernel;

/**
 * The native kernels, as {@link ExecutionContext} sees them: {@code kernel.nat} (the FFM bindings of libvdqnative.so)
 * registers its implementation in {@code META-INF/services/io.vdq.kernel.NativeKernels}, so nothing in
 * {@code kernel} names a native class. Without a provider the Java kernels run.
 */
public interface NativeKernels {
    /**
     * The integer backend for {@code -Dvdq.native} mode off|auto|on|avx2|avx512 (the Java reference when off or, under
     * auto, when the library or CPU cannot run the native kernels); a {@code ConfigException} naming what is missing
     * when an explicit mode cannot be honoured, or for an unknown mode.
     */
    IntBackend intBackend(String mode);

    /** One line naming the integer backend and why it was chosen (library path, missing CPU flag, mode off). */
    String describe(IntBackend backend);

    /** The FP32 macro-kernel for {@code panelWidth}-column panels that the mode selects, or null (the Vector API's). */
    FloatMacroKernel floatMacro(String mode, int panelWidth);

    /**
     * The flash-attention kernel the mode selects for a JVM whose preferred float vector has {@code vectorBits}
     * bits, or null (the Vector API blockwise attention runs).
     */
    default FlashKernel flashAttention(String mode, int vectorBits) { return null; }

    /** The int16-code flash attention (AVX2) unless the mode is off or the library cannot run it, else null. */
    default Int16FlashKernel int16Attention(String mode) { return null; }
}
