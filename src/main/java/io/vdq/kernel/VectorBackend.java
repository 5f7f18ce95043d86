package io.vdq.kernel;

import io.vdq.VdqException.ShapeException;
import io.vdq.tensor.Parallel;

/**
 * Vector API backend ({@code FloatVector.SPECIES_PREFERRED}: 256-bit on AVX2 hosts, correct at any width):
 * packed-panel GEMM ({@link VectorGemm}), row/element ops ({@link VectorOps}) and blockwise attention
 * ({@link VectorAttention}). Results do not depend on the thread count; they differ from the scalar oracle
 * only by float rounding (FMA, lane-wise reduction order).
 */
public final class VectorBackend implements KernelBackend {
    public static final VectorBackend INSTANCE = new VectorBackend();
    static final String LAYOUT = "vector-panel" + VectorGemm.NR + "-kc" + VectorGemm.KC;

    private VectorBackend() {}

    @Override public String name() { return "vector"; }

    @Override
    public PackedWeights pack(float[] w, int wOff, int n, int k) {
        if (n < 0 || k < 0 || wOff < 0 || (long) wOff + (long) n * k > w.length)
            throw new ShapeException("pack: weight of " + n + "×" + k + " at offset " + wOff
                    + " does not fit an array of " + w.length + " floats");
        return new PackedWeights(LAYOUT, n, k, VectorGemm.packB(true, w, wOff, k, n, k));
    }

    @Override
    public void gemm(float[] x, int xOff, int m, PackedWeights w, float[] bias, float[] y, int yOff) {
        Kernels.requireLayout(w, LAYOUT, this);
        if (bias != null && bias.length < w.n())
            throw new ShapeException("gemm: bias has " + bias.length + " values, expected " + w.n());
        VectorGemm.multiply(m, w.n(), w.k(), x, xOff, w.k(), false, w.data(), y, yOff, w.n(), false, bias);
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc) {
        if (m <= 0 || n <= 0) return;
        if (beta != 0f && beta != 1f)
            Parallel.range(m, (r0, r1) -> {
                for (int i = r0; i < r1; i++) VectorOps.scale(c, cOff + i * ldc, n, beta);
            });
        float[] bp = VectorGemm.packB(transB, b, bOff, ldb, n, k);
        VectorGemm.multiply(m, n, k, a, aOff, lda, transA, bp, c, cOff, ldc, beta != 0f, null);
    }

    @Override public void softmax(float[] x, int off, int rows, int cols) { VectorOps.softmax(x, off, rows, cols); }

    @Override
    public void softmaxInt8(float[] x, int off, int rows, int cols, byte[] q, int qStride, float[] scale, int[] codeSum) {
        VectorOps.softmaxInt8(x, off, rows, cols, q, qStride, scale, codeSum);
    }

    @Override
    public void layerNorm(float[] x, int xOff, float[] y, int yOff, int rows, int dim, float[] gamma, float[] beta, float eps) {
        VectorOps.layerNorm(x, xOff, y, yOff, rows, dim, gamma, beta, eps);
    }

    @Override
    public void rmsNorm(float[] x, int xOff, float[] y, int yOff, int rows, int dim, float[] gamma, float eps) {
        VectorOps.rmsNorm(x, xOff, y, yOff, rows, dim, gamma, eps);
    }

    @Override public void geluTanh(float[] x, int off, int n) { VectorOps.geluTanh(x, off, n); }

    @Override public void geluTanhBackward(float[] x, float[] dy, float[] dx, int n) { VectorOps.geluTanhBackward(x, dy, dx, n); }

    @Override public void silu(float[] x, int off, int n) { VectorOps.silu(x, off, n); }

    @Override
    public void rope(float[] x, int off, int tokens, int heads, int headDim, int rowStride, float[] cos, float[] sin) {
        VectorOps.rope(x, off, tokens, heads, headDim, rowStride, cos, sin);
    }

    @Override
    public void add(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        VectorOps.add(a, aOff, b, bOff, out, outOff, n);
    }

    @Override
    public void mul(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        VectorOps.mul(a, aOff, b, bOff, out, outOff, n);
    }

    @Override public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) { VectorOps.axpy(alpha, x, xOff, y, yOff, n); }

    @Override
    public void attention(float[] q, int qOff, int qStride, float[] k, int kOff, int kStride,
                          float[] v, int vOff, int vStride, float[] out, int outOff, int outStride,
                          int nq, int nk, int heads, int headDim, float scale) {
        VectorAttention.attention(q, qOff, qStride, k, kOff, kStride, v, vOff, vStride, out, outOff, outStride,
                nq, nk, heads, headDim, scale);
    }
}
