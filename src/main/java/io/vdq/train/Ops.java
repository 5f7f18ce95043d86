package io.vdq.train;

import io.vdq.kernel.Kernels;
import io.vdq.tensor.Parallel;

/**
 * Element-wise and reduction helpers shared by the layers. Column reductions run in parallel over
 * columns, each column summed over rows in order in double, so results do not depend on the thread count.
 */
public final class Ops {
    private Ops() {}

    /** Below this much work (items × cost) a loop runs on the caller: pool hand-offs would cost more. */
    static final long MIN_PARALLEL_WORK = 1 << 15;

    /**
     * {@link Parallel#range} for loops whose items are independent (each writes only its own outputs), run
     * inline when small; the result is the same either way.
     */
    public static void par(int n, long costPerItem, Parallel.RangeBody body) {
        if ((long) n * costPerItem < MIN_PARALLEL_WORK) { if (n > 0) body.run(0, n); }
        else Parallel.range(n, body);
    }

    /** {@code out[outOff + j] += Σ_r a[off + r·cols + j]} for r in [0, rows). */
    public static void colSumAdd(float[] a, int off, int rows, int cols, float[] out, int outOff) {
        par(cols, rows, (c0, c1) -> {
            double[] acc = new double[c1 - c0];
            for (int r = 0; r < rows; r++) {
                int o = off + r * cols;
                for (int j = c0; j < c1; j++) acc[j - c0] += a[o + j];
            }
            for (int j = c0; j < c1; j++) out[outOff + j] += (float) acc[j - c0];
        });
    }

    /** {@code out[outOff + j] += Σ_r a[aOff + r·cols + j] · b[bOff + r·cols + j]}. */
    public static void colDotAdd(float[] a, int aOff, float[] b, int bOff, int rows, int cols, float[] out, int outOff) {
        par(cols, rows, (c0, c1) -> {
            double[] acc = new double[c1 - c0];
            for (int r = 0; r < rows; r++) {
                int ao = aOff + r * cols, bo = bOff + r * cols;
                for (int j = c0; j < c1; j++) acc[j - c0] += (double) a[ao + j] * b[bo + j];
            }
            for (int j = c0; j < c1; j++) out[outOff + j] += (float) acc[j - c0];
        });
    }

    /** GELU (tanh approximation) of a copy of x, through the kernel backend. */
    public static float[] gelu(float[] x) {
        float[] y = x.clone();
        Kernels.get().geluTanh(y, 0, y.length);
        return y;
    }

    /** dL/dx of GELU-tanh given its input x and dL/dy. */
    public static float[] geluBackward(float[] x, float[] dy) {
        float[] dx = new float[x.length];
        Kernels.get().geluTanhBackward(x, dy, dx, x.length);
        return dx;
    }

    /** SiLU of a copy of x, through the kernel backend. */
    public static float[] silu(float[] x) {
        float[] y = x.clone();
        Kernels.get().silu(y, 0, y.length);
        return y;
    }

    /** dL/dx of SiLU given its input x and dL/dy. */
    public static float[] siluBackward(float[] x, float[] dy) {
        float[] dx = new float[x.length];
        par(x.length, 16, (a, b) -> {
            for (int i = a; i < b; i++) {
                double s = 1.0 / (1.0 + Math.exp(-x[i]));
                dx[i] = (float) (dy[i] * s * (1 + x[i] * (1 - s)));
            }
        });
        return dx;
    }

    /**
     * adaLN modulation {@code y = x̂·(1 + scale) + shift} for {@code batch} examples of {@code n} rows of
     * width dim; example b reads shift at {@code mod[b·modStride + shiftOff ..]} and scale at {@code scaleOff}.
     */
    public static float[] modulate(float[] xhat, int batch, int n, int dim, float[] mod, int modStride, int shiftOff, int scaleOff) {
        float[] y = new float[xhat.length];
        par(batch * n, dim, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int b = r / n, o = r * dim, m = b * modStride;
                for (int j = 0; j < dim; j++) y[o + j] = xhat[o + j] * (1f + mod[m + scaleOff + j]) + mod[m + shiftOff + j];
            }
        });
        return y;
    }

    /** Backward of {@link #modulate}: returns dx̂ and adds the shift/scale gradients into {@code dmod}. */
    public static float[] modulateBackward(float[] xhat, float[] dy, int batch, int n, int dim, float[] mod, float[] dmod,
                                           int modStride, int shiftOff, int scaleOff) {
        float[] dx = new float[xhat.length];
        par(batch * n, dim, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * dim, m = (r / n) * modStride + scaleOff;
                for (int j = 0; j < dim; j++) dx[o + j] = dy[o + j] * (1f + mod[m + j]);
            }
        });
        for (int b = 0; b < batch; b++) {
            colDotAdd(dy, b * n * dim, xhat, b * n * dim, n, dim, dmod, b * modStride + scaleOff);
            colSumAdd(dy, b * n * dim, n, dim, dmod, b * modStride + shiftOff);
        }
        return dx;
    }

    /** Gated residual {@code out = x + gate·a} (gate per example, as in {@link #modulate}). */
    public static float[] gate(float[] x, float[] a, int batch, int n, int dim, float[] mod, int modStride, int gateOff) {
        float[] y = new float[x.length];
        par(batch * n, dim, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * dim, m = (r / n) * modStride + gateOff;
                for (int j = 0; j < dim; j++) y[o + j] = x[o + j] + mod[m + j] * a[o + j];
            }
        });
        return y;
    }

    /** Backward of {@link #gate} for the branch: returns dL/da and adds the gate gradient into {@code dmod}. */
    public static float[] gateBackward(float[] a, float[] dy, int batch, int n, int dim, float[] mod, float[] dmod, int modStride, int gateOff) {
        float[] da = new float[a.length];
        par(batch * n, dim, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * dim, m = (r / n) * modStride + gateOff;
                for (int j = 0; j < dim; j++) da[o + j] = dy[o + j] * mod[m + j];
            }
        });
        for (int b = 0; b < batch; b++) colDotAdd(dy, b * n * dim, a, b * n * dim, n, dim, dmod, b * modStride + gateOff);
        return da;
    }

    /**
     * {@code C[m×n] = A[m×k]·B[n×k]ᵀ + beta·C} (both operands contiguous along k), the form of every forward
     * product.
     */
    public static void nt(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                          float beta, float[] c, int cOff, int ldc) {
        Kernels.get().sgemm(false, true, m, n, k, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /**
     * {@code C[m×n] = A[m×k]·B[k×n] + beta·C}: B stored k × n (e.g. dX = dY·W with W stored [out × in]).
     * The backends pack op(B) into their own layout anyway, so no transposed copy is made.
     */
    public static void nn(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                          float beta, float[] c, int cOff, int ldc) {
        Kernels.get().sgemm(false, false, m, n, k, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /**
     * {@code C[m×n] = A[k×m]ᵀ·B[k×n] + beta·C}: both stored with k as rows (e.g. dW = dYᵀ·X over the batch
     * rows). The backends read A transposed while packing it, so no transposed copy is made.
     */
    public static void tn(int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                          float beta, float[] c, int cOff, int ldc) {
        Kernels.get().sgemm(true, false, m, n, k, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /** The transpose [cols × rows] of the rows × cols matrix at {@code a[off]} with leading dimension ld. */
    public static float[] transpose(float[] a, int off, int rows, int cols, int ld) {
        float[] t = new float[rows * cols];
        final int tile = 32;
        int colTiles = (cols + tile - 1) / tile;
        // 32×32 tiles: reads and writes both stay within a few cache lines per tile row
        par(colTiles, (long) rows * tile, (t0, t1) -> {
            for (int ct = t0; ct < t1; ct++) {
                int c0 = ct * tile, c1 = Math.min(cols, c0 + tile);
                for (int r0 = 0; r0 < rows; r0 += tile) {
                    int r1 = Math.min(rows, r0 + tile);
                    for (int c = c0; c < c1; c++) {
                        int to = c * rows;
                        for (int r = r0; r < r1; r++) t[to + r] = a[off + r * ld + c];
                    }
                }
            }
        });
        return t;
    }

    /** a += b, element-wise. */
    public static void addInPlace(float[] a, float[] b) {
        par(a.length, 1, (s, e) -> { for (int i = s; i < e; i++) a[i] += b[i]; });
    }
}
