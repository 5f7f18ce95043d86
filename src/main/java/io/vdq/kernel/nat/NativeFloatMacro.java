package io.vdq.kernel.nat;

import io.vdq.kernel.FloatMacroKernel;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The FP32 macro-kernel of {@code sgemm_avx2.c} (AVX2 + FMA, 4 × 16 register tile, written in C because the
 * same tile compiled by gcc runs faster than C2's code for the Vector API version). Heap arrays go to critical
 * downcalls without copying; one call covers one packed A block against a run of B panels (about 0.1–1 ms of
 * work in the GEMM; a few µs per key block in attention). The handle sits in a static final field, which C2
 * treats as a constant, so the downcall can be inlined at each call site (a JFR profile had shown exact-type
 * checks of the instance-field handle; the measured rates did not change: attention 4 096 tokens 124.9 → 128.5
 * GF/s, GEMM 1024³ 170.7 → 171.9 GF/s, one run each).
 */
public final class NativeFloatMacro implements FloatMacroKernel {
    /** Bound on first use, which {@link #loadOrNull} only allows once the library has loaded. */
    private static final class Bound {
        static final MethodHandle SGEMM = NativeLibrary.get().sgemmMacro;
    }

    private NativeFloatMacro() {}

    /**
     * The native macro-kernel when {@code -Dvdq.native} is not {@code off}, the library is available and the
     * float vectors are 256 bits wide (16-column panels); otherwise null (the Vector API kernel runs).
     */
    public static FloatMacroKernel loadOrNull(int panelWidth) {
        if (panelWidth != 16 || !IntKernels.nativeAllowed()) return null;
        NativeLibrary l = NativeLibrary.get();
        return l == null ? null : new NativeFloatMacro();
    }

    @Override public String name() { return "native-avx2"; }

    @Override
    public void run(float[] ap, int aOff, int mc, int kc, float[] bp, int bOff, int p0, int p1, int n, float[] c, int cOff, int ldc, boolean load) {
        try {
            Bound.SGEMM.invokeExact(MemorySegment.ofArray(ap).asSlice(4L * aOff), mc, kc, MemorySegment.ofArray(bp).asSlice(4L * bOff),
                    p0, p1, n, MemorySegment.ofArray(c).asSlice(4L * cOff), ldc, load ? 1 : 0);
        } catch (Throwable e) {
            throw NativeIntBackend.rethrow(e);
        }
    }
}
