package io.vdq.kernel;

/**
 * Vector API backend. PLACEHOLDER: delegates to the scalar oracle until the tuned kernels land.
 */
public final class VectorBackend implements KernelBackend {
    public static final VectorBackend INSTANCE = new VectorBackend();
    private final ScalarBackend s = ScalarBackend.INSTANCE;
    private VectorBackend() {}
    @Override public String name() { return "vector"; }
    @Override public PackedWeights pack(float[] w, int wOff, int n, int k) { return s.pack(w, wOff, n, k); }
    @Override public void gemm(float[] x, int xOff, int m, PackedWeights w, float[] bias, float[] y, int yOff) { s.gemm(x, xOff, m, w, bias, y, yOff); }
    @Override public void sgemm(boolean ta, boolean tb, int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) { s.sgemm(ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc); }
    @Override public void softmax(float[] x, int off, int rows, int cols) { s.softmax(x, off, rows, cols); }
    @Override public void layerNorm(float[] x, int xOff, float[] y, int yOff, int rows, int dim, float[] g, float[] b, float eps) { s.layerNorm(x, xOff, y, yOff, rows, dim, g, b, eps); }
    @Override public void rmsNorm(float[] x, int xOff, float[] y, int yOff, int rows, int dim, float[] g, float eps) { s.rmsNorm(x, xOff, y, yOff, rows, dim, g, eps); }
    @Override public void geluTanh(float[] x, int off, int n) { s.geluTanh(x, off, n); }
    @Override public void silu(float[] x, int off, int n) { s.silu(x, off, n); }
    @Override public void rope(float[] x, int off, int t, int h, int hd, int rs, float[] c, float[] sn) { s.rope(x, off, t, h, hd, rs, c, sn); }
    @Override public void add(float[] a, int ao, float[] b, int bo, float[] o, int oo, int n) { s.add(a, ao, b, bo, o, oo, n); }
    @Override public void mul(float[] a, int ao, float[] b, int bo, float[] o, int oo, int n) { s.mul(a, ao, b, bo, o, oo, n); }
    @Override public void axpy(float al, float[] x, int xo, float[] y, int yo, int n) { s.axpy(al, x, xo, y, yo, n); }
    @Override public void attention(float[] q, int qo, int qs, float[] k, int ko, int ks, float[] v, int vo, int vs, float[] o, int oo, int os, int nq, int nk, int h, int hd, float sc) { s.attention(q, qo, qs, k, ko, ks, v, vo, vs, o, oo, os, nq, nk, h, hd, sc); }
}
