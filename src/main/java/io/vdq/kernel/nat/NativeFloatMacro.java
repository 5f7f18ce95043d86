package io.vdq.kernel.nat;

import io.vdq.kernel.FloatMacroKernel;
import java.lang.foreign.MemorySegment;

/**
 * The FP32 macro-kernel of {@code sgemm_avx2.c} (AVX2 + FMA, 4 × 16 register tile, written in C because the
 * same tile compiled by gcc runs faster than C2's code for the Vector API version). Heap arrays go to critical
 * downcalls without copying; one call covers one packed A block against a run of B panels (about 0.1–1 ms of
 * work), so the call overhead is negligible.
 */
public final class NativeFloatMacro implements FloatMacroKernel {
    private final NativeLibrary lib;

    private NativeFloatMacro(NativeLibrary lib) { this.lib = lib; }

    /**
     * The native macro-kernel when {@code -Dvdq.native} is not {@code off}, the library is available and the
     * float vectors are 256 bits wide (16-column panels); otherwise null (the Vector API kernel runs).
     */
    public static FloatMacroKernel loadOrNull(int panelWidth) {
        if (panelWidth != 16 || !IntKernels.nativeAllowed()) return null;
        NativeLibrary l = NativeLibrary.get();
        return l == null ? null : new NativeFloatMacro(l);
    }

    @Override public String name() { return "native-avx2"; }

    @Override
    public void run(float[] ap, int mc, int kc, float[] bp, int bOff, int p0, int p1, int n, float[] c, int cOff, int ldc, boolean load) {
        try {
            lib.sgemmMacro.invokeExact(MemorySegment.ofArray(ap), mc, kc, MemorySegment.ofArray(bp).asSlice(4L * bOff),
                    p0, p1, n, MemorySegment.ofArray(c).asSlice(4L * cOff), ldc, load ? 1 : 0);
        } catch (Throwable e) {
            throw NativeIntBackend.rethrow(e);
        }
    }
}
