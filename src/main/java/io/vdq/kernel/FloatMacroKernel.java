package io.vdq.kernel;

/**
 * An alternative inner part of {@link VectorGemm}: multiplies one packed A block (mc × kc, row panels of 4:
 * {@code ap[aOff + ir·kc + kk·4 + r]}) by the packed B panels [p0, p1) of one K block (panel p at
 * {@code bp[bOff + p·kc·NR ..]}, [kk][NR]) into C rows [0, mc) starting at {@code c[cOff]} (leading dimension
 * ldc, n columns in all), starting each element from C ({@code load}) or from 0. Implementations must give
 * every element as one FMA chain over kk in increasing order, so that they match {@link VectorGemm}'s own
 * micro-kernel bit for bit. A kernel serves one panel width, {@link #panelWidth()}, and is only valid when it
 * equals {@link VectorGemm#NR}: 16 with 256-bit vectors (the native AVX2 kernel), 32 with 512-bit vectors (the
 * native AVX-512 kernel).
 */
public interface FloatMacroKernel {
    void run(float[] ap, int aOff, int mc, int kc, float[] bp, int bOff, int p0, int p1, int n, float[] c, int cOff, int ldc, boolean load);

    /** A short name for logs and benchmarks. */
    String name();

    /** The B panel width NR this kernel's packed layout assumes. */
    int panelWidth();

    /**
     * Packs the A block {@code a[aOff + i·lda + kk]} (i in [0, mc), kk in [0, kc)) into row panels of 4 at
     * {@code ap[0 ..]}, exactly as {@link VectorGemm#packA} does for a non-transposed A (rows past mc zero). The
     * default is that Java code; the native kernels do the same copy with SIMD transposes.
     */
    default void packA(float[] a, int aOff, int lda, int mc, int kc, float[] ap) {
        VectorGemm.packA(a, aOff, lda, false, 0, mc, 0, kc, ap);
    }
}
