package io.vdq.kernel;

/**
 * An alternative inner part of {@link VectorGemm}: multiplies one packed A block (mc × kc, row panels of 4:
 * {@code ap[aOff + ir·kc + kk·4 + r]}) by the packed B panels [p0, p1) of one K block (panel p at
 * {@code bp[bOff + p·kc·16 ..]}, [kk][16]) into C rows [0, mc) starting at {@code c[cOff]} (leading dimension
 * ldc, n columns in all), starting each element from C ({@code load}) or from 0. Implementations must give
 * every element as one FMA chain over kk in increasing order, so that they match {@link VectorGemm}'s own
 * micro-kernel bit for bit. Only valid when {@link VectorGemm#NR} is 16 (256-bit vectors).
 */
public interface FloatMacroKernel {
    void run(float[] ap, int aOff, int mc, int kc, float[] bp, int bOff, int p0, int p1, int n, float[] c, int cOff, int ldc, boolean load);

    /** A short name for logs and benchmarks. */
    String name();
}
