package io.vdq.kernel;

import io.vdq.tensor.Parallel;
import java.util.Arrays;

/**
 * Plain Java loops: the oracle every other backend is tested against. Parallel over output rows only,
 * each row computed in one fixed order, so results do not depend on the thread count.
 */
public final class ScalarBackend implements KernelBackend {
    public static final ScalarBackend INSTANCE = new ScalarBackend();
    static final String LAYOUT = "scalar-nk";

    private ScalarBackend() {}

    @Override public String name() { return "scalar"; }

    @Override
    public PackedWeights pack(float[] w, int wOff, int n, int k) {
        float[] d = new float[n * k];
        System.arraycopy(w, wOff, d, 0, n * k);
        return new PackedWeights(LAYOUT, n, k, d);
    }

    @Override
    public void gemm(float[] x, int xOff, int m, PackedWeights w, float[] bias, float[] y, int yOff) {
        Kernels.requireLayout(w, LAYOUT, this);
        int n = w.n(), k = w.k();
        float[] wd = w.data();
        Parallel.range(m, (from, to) -> {
            for (int i = from; i < to; i++) {
                int xr = xOff + i * k, yr = yOff + i * n;
                for (int j = 0; j < n; j++) {
                    float s = 0f;
                    int wr = j * k;
                    for (int p = 0; p < k; p++) s += x[xr + p] * wd[wr + p];
                    y[yr + j] = bias == null ? s : s + bias[j];
                }
            }
        });
    }

    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k,
                      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                      float beta, float[] c, int cOff, int ldc) {
        Parallel.range(m, (from, to) -> {
            for (int i = from; i < to; i++) {
                for (int j = 0; j < n; j++) {
                    float s = 0f;
                    for (int p = 0; p < k; p++) {
                        float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                        float bv = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                        s += av * bv;
                    }
                    int ci = cOff + i * ldc + j;
                    c[ci] = beta == 0f ? s : s + beta * c[ci];
                }
            }
        });
    }

    @Override
    public void softmaxInt8(float[] x, int off, int rows, int cols, byte[] q, int qStride, float[] scale, int[] codeSum) {
        Parallel.range(rows, (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = off + r * cols, qo = r * qStride;
                float max = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < cols; i++) max = Math.max(max, x[o + i]);
                float sum = 0f;
                int cs = 0;
                for (int i = 0; i < cols; i++) {
                    float e = (float) Math.exp(x[o + i] - max);
                    sum += e;
                    int c = (int) (127f * e + 0.5f);
                    q[qo + i] = (byte) c;
                    cs += c;
                }
                Arrays.fill(q, qo + cols, qo + qStride, (byte) 0);
                scale[r] = 1f / (127f * sum);
                codeSum[r] = cs;
            }
        });
    }

    @Override
    public void softmax(float[] x, int off, int rows, int cols) {
        Parallel.range(rows, (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = off + r * cols;
                float max = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < cols; i++) max = Math.max(max, x[o + i]);
                float sum = 0f;
                for (int i = 0; i < cols; i++) { float e = (float) Math.exp(x[o + i] - max); x[o + i] = e; sum += e; }
                float inv = 1f / sum;
                for (int i = 0; i < cols; i++) x[o + i] *= inv;
            }
        });
    }

    @Override
    public void layerNorm(float[] x, int xOff, float[] y, int yOff, int rows, int dim, float[] gamma, float[] beta, float eps) {
        Parallel.range(rows, (from, to) -> {
            for (int r = from; r < to; r++) {
                int xo = xOff + r * dim, yo = yOff + r * dim;
                float mean = 0f;
                for (int i = 0; i < dim; i++) mean += x[xo + i];
                mean /= dim;
                float var = 0f;
                for (int i = 0; i < dim; i++) { float d = x[xo + i] - mean; var += d * d; }
                var /= dim;
                float inv = (float) (1.0 / Math.sqrt(var + eps));
                for (int i = 0; i < dim; i++) {
                    float v = (x[xo + i] - mean) * inv;
                    if (gamma != null) v *= gamma[i];
                    if (beta != null) v += beta[i];
                    y[yo + i] = v;
                }
            }
        });
    }

    @Override
    public void rmsNorm(float[] x, int xOff, float[] y, int yOff, int rows, int dim, float[] gamma, float eps) {
        Parallel.range(rows, (from, to) -> {
            for (int r = from; r < to; r++) {
                int xo = xOff + r * dim, yo = yOff + r * dim;
                float ss = 0f;
                for (int i = 0; i < dim; i++) ss += x[xo + i] * x[xo + i];
                float inv = (float) (1.0 / Math.sqrt(ss / dim + eps));
                for (int i = 0; i < dim; i++) y[yo + i] = gamma == null ? x[xo + i] * inv : x[xo + i] * inv * gamma[i];
            }
        });
    }

    /** GELU (tanh approximation) of one value; shared by backends for tails. */
    static float gelu(float v) {
        double inner = 0.7978845608028654 * (v + 0.044715 * v * v * v);
        return (float) (0.5 * v * (1.0 + Math.tanh(inner)));
    }

    @Override
    public void geluTanh(float[] x, int off, int n) {
        Parallel.range(n, 1024, (from, to) -> { for (int i = from; i < to; i++) x[off + i] = gelu(x[off + i]); });
    }

    @Override
    public void geluTanhBackward(float[] x, float[] dy, float[] dx, int n) {
        Parallel.range(n, 1024, (from, to) -> {
            for (int i = from; i < to; i++) {
                double v = x[i], t = Math.tanh(0.7978845608028654 * (v + 0.044715 * v * v * v));
                double d = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * 0.7978845608028654 * (1 + 3 * 0.044715 * v * v);
                dx[i] = (float) (dy[i] * d);
            }
        });
    }

    @Override
    public void silu(float[] x, int off, int n) {
        Parallel.range(n, 1024, (from, to) -> {
            for (int i = from; i < to; i++) { float v = x[off + i]; x[off + i] = (float) (v / (1.0 + Math.exp(-v))); }
        });
    }

    @Override
    public void rope(float[] x, int off, int tokens, int heads, int headDim, int rowStride, float[] cos, float[] sin) {
        int half = headDim / 2;
        Parallel.range(tokens, (from, to) -> {
            for (int t = from; t < to; t++) {
                for (int h = 0; h < heads; h++) {
                    int base = off + t * rowStride + h * headDim;
                    for (int p = 0; p < half; p++) {
                        float c = cos[t * half + p], s = sin[t * half + p];
                        float a = x[base + 2 * p], b = x[base + 2 * p + 1];
                        x[base + 2 * p] = a * c - b * s;
                        x[base + 2 * p + 1] = a * s + b * c;
                    }
                }
            }
        });
    }

    @Override
    public void add(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) out[outOff + i] = a[aOff + i] + b[bOff + i];
    }

    @Override
    public void mul(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) out[outOff + i] = a[aOff + i] * b[bOff + i];
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
    }

    /** Plain two-pass attention per query row (the oracle: scores for one row only, O(nk) memory). */
    @Override
    public void attention(float[] q, int qOff, int qStride, float[] k, int kOff, int kStride,
                          float[] v, int vOff, int vStride, float[] out, int outOff, int outStride,
                          int nq, int nk, int heads, int headDim, float scale) {
        Parallel.range(nq, (from, to) -> {
            float[] s = new float[nk];
            for (int i = from; i < to; i++) {
                for (int h = 0; h < heads; h++) {
                    int qo = qOff + i * qStride + h * headDim;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int j = 0; j < nk; j++) {
                        int ko = kOff + j * kStride + h * headDim;
                        float d = 0f;
                        for (int p = 0; p < headDim; p++) d += q[qo + p] * k[ko + p];
                        s[j] = d * scale;
                        max = Math.max(max, s[j]);
                    }
                    float sum = 0f;
                    for (int j = 0; j < nk; j++) { s[j] = (float) Math.exp(s[j] - max); sum += s[j]; }
                    int oo = outOff + i * outStride + h * headDim;
                    for (int p = 0; p < headDim; p++) out[oo + p] = 0f;
                    for (int j = 0; j < nk; j++) {
                        float w = s[j] / sum;
                        int vo = vOff + j * vStride + h * headDim;
                        for (int p = 0; p < headDim; p++) out[oo + p] += w * v[vo + p];
                    }
                }
            }
        });
    }
}
