package io.vdq.kernel.nat;

import io.vdq.VdqException.ConfigException;
import io.vdq.kernel.FloatMacroKernel;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * The native FP32 macro-kernels and their choice. Two kernels, one per panel width (the width follows the JVM's
 * preferred float vector, see {@code VectorGemm.NR}):
 * <ul>
 * <li>{@code native-avx2}, {@code sgemm_avx2.c}: AVX2 + FMA, 6 × 16 register tile (12 ymm accumulators; 4 × 16
 *     for leftover rows), for 16-column panels (256-bit vectors). The Vector API tile stays 4 × 16: C2 spills
 *     larger ones (see {@code VectorGemm.kernel}), gcc does not.</li>
 * <li>{@code native-avx512}, {@code sgemm_avx512.c}: AVX-512F, 12 × 32 register tile (24 zmm accumulators; 8 × 32
 *     and 4 × 32 for leftover rows), for 32-column panels (512-bit vectors); needs avx512f in /proc/cpuinfo and a
 *     library built with it.</li>
 * </ul>
 * Both read the A block in the Java kernel's 4-row panels (a larger tile takes its rows from 2 or 3 panels), and
 * pack it themselves ({@link FloatMacroKernel#packA}: {@code vdq_sgemm_pack_a}, SSE 4 × 4 transposes).
 * Both give the Vector API micro-kernel's bits. Heap arrays go to critical downcalls without copying; one call
 * covers one packed A block against a run of B panels (about 0.1–1 ms of work in the GEMM; a few µs per key block
 * in attention). Each handle sits in a static final field, which C2 treats as a constant, so the downcall can be
 * inlined at each call site (on the AVX2 host a JFR profile had shown exact-type checks of an instance-field
 * handle; the measured rates did not change: attention 4 096 tokens 124.9 → 128.5 GF/s, GEMM 1024³ 170.7 → 171.9
 * GF/s, one run each).
 *
 * <p>Choice by {@code -Dvdq.native} (the integer backend's property, see {@link IntKernels}): {@code off} none;
 * {@code auto} (default) the kernel for the panel width when the library and CPU allow, else none; {@code on} the
 * same, but a warning when there is none; {@code avx2} the AVX2 kernel for 16-column panels and none for 32 (that
 * would need AVX-512 code); {@code avx512} the AVX-512 kernel for 32-column panels and the AVX2 one for 16 (there
 * is no AVX-512 kernel for 16-column panels). {@code on}, {@code avx2} and {@code avx512} log a warning when the
 * kernel they select cannot run (library or CPU flag missing). "None" means the Vector API micro-kernel, which
 * gives the same bits.
 */
public final class NativeFloatMacro {
    private static final System.Logger LOG = System.getLogger("io.vdq.kernel.nat");

    private NativeFloatMacro() {}

    /**
     * The native macro-kernel for {@code panelWidth}-column panels that {@code -Dvdq.native} selects, or null (the
     * Vector API kernel runs). Never throws: an explicit mode that cannot be honoured is logged as a warning.
     */
    public static FloatMacroKernel loadOrNull(int panelWidth) {
        return loadOrNull(IntKernels.mode(), panelWidth);
    }

    /** {@link #loadOrNull(int)} for a given mode. */
    static FloatMacroKernel loadOrNull(String mode, int panelWidth) {
        try {
            return select(mode, panelWidth);
        } catch (ConfigException e) {
            LOG.log(System.Logger.Level.WARNING, e.getMessage() + "; the FP32 GEMM runs on the Vector API");
            return null;
        }
    }

    /**
     * The kernel for mode off|auto|on|avx2|avx512 and the panel width, or null; a {@link ConfigException} for an
     * unknown mode, or when {@code on} / {@code avx512} ask for a kernel that cannot run here (naming why).
     */
    static FloatMacroKernel select(String mode, int panelWidth) {
        String m = mode.trim().toLowerCase(Locale.ROOT);
        switch (m) {
            case "off": return null;
            case "auto", "on", "avx2", "avx512": break;
            default: throw new ConfigException("vdq.native='" + mode + "': expected off, auto, on, avx2 or avx512");
        }
        boolean strict = !m.equals("auto");
        if (panelWidth != 16 && panelWidth != 32 || m.equals("avx2") && panelWidth == 32) {
            if (m.equals("on")) throw new ConfigException("vdq.native=on but there is no native FP32 macro-kernel for "
                    + panelWidth + "-column panels");
            return null;
        }
        NativeLibrary lib = NativeLibrary.get();
        String why = lib == null ? NativeLibrary.unavailableReason() : panelWidth == 32 ? lib.sgemmAvx512Unavailable() : null;
        if (why != null) {
            if (strict) throw new ConfigException("vdq.native=" + m + " but the native FP32 macro-kernel for " + panelWidth
                    + "-column panels cannot run: " + why);
            return null;
        }
        return panelWidth == 32 ? new Avx512() : new Avx2();
    }

    // The two kernels' run() bodies are the same downcall on purpose: each invokes its own class's static final
    // handle directly. A shared helper taking the handle as a parameter measured slower in the same session
    // (1024³ GEMM, 1 thread, medians 86–101 against 101–102 GF/s, 4 runs each), so the copy stays.

    /** {@code vdq_sgemm_pack_a} (sgemm_avx2.c, SSE only): the A block into 4-row panels, the same copy as Java's. */
    private static final class PackBound {
        static final MethodHandle PACK_A = NativeLibrary.get().sgemmPackA;
    }

    static void packA(float[] a, int aOff, int lda, int mc, int kc, float[] ap) {
        try {
            PackBound.PACK_A.invokeExact(MemorySegment.ofArray(a).asSlice(4L * aOff), lda, mc, kc, MemorySegment.ofArray(ap));
        } catch (Throwable e) {
            throw NativeIntBackend.rethrow(e);
        }
    }

    /** {@code vdq_sgemm_macro} (sgemm_avx2.c): 16-column panels. */
    static final class Avx2 implements FloatMacroKernel {
        /** Bound on first use, which {@link #select} only allows once the library has loaded. */
        private static final class Bound {
            static final MethodHandle SGEMM = NativeLibrary.get().sgemmMacro;
        }

        @Override public String name() { return "native-avx2"; }

        @Override public int panelWidth() { return 16; }

        @Override
        public void packA(float[] a, int aOff, int lda, int mc, int kc, float[] ap) {
            NativeFloatMacro.packA(a, aOff, lda, mc, kc, ap);
        }

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

    /** {@code vdq_sgemm_macro_avx512} (sgemm_avx512.c): 32-column panels. */
    static final class Avx512 implements FloatMacroKernel {
        /** Bound on first use, which {@link #select} only allows once the CPU and library are known to have it. */
        private static final class Bound {
            static final MethodHandle SGEMM = NativeLibrary.get().sgemmMacroAvx512;
        }

        @Override public String name() { return "native-avx512"; }

        @Override public int panelWidth() { return 32; }

        @Override
        public void packA(float[] a, int aOff, int lda, int mc, int kc, float[] ap) {
            NativeFloatMacro.packA(a, aOff, lda, mc, kc, ap);
        }

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
}
