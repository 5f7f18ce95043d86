package io.vdq.kernel;

import static io.vdq.kernel.VectorGemmTest.rand;
import static org.junit.jupiter.api.Assertions.*;

import io.vdq.tensor.Parallel;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Row and element-wise ops of the vector backend against double-precision formulas written here and against
 * the scalar oracle, on lengths that are not multiples of the vector length (tails) and with offsets.
 */
class VectorOpsTest {
    private static final KernelBackend V = VectorBackend.INSTANCE, SC = ScalarBackend.INSTANCE;
    private final int savedThreads = Parallel.threads();

    @AfterEach void restoreThreads() { Parallel.setThreads(savedThreads); }

    /** Values spread over ±scale, so exp/tanh see both tails. */
    static float[] spread(SplittableRandom r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return a;
    }

    @Property(tries = 50, seed = "2026112401")
    void softmaxRowsSumToOneAndMatchDoubleFormula(@ForAll @IntRange(min = 1, max = 5) int rows,
                                                  @ForAll @IntRange(min = 1, max = 300) int cols, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int off = r.nextInt(4);
        float[] x = spread(r, off + rows * cols, 20), xs = x.clone(), x0 = x.clone();
        V.softmax(x, off, rows, cols);
        SC.softmax(xs, off, rows, cols);
        for (int row = 0; row < rows; row++) {
            int o = off + row * cols;
            double max = Double.NEGATIVE_INFINITY, sum = 0, got = 0;
            for (int i = 0; i < cols; i++) max = Math.max(max, x0[o + i]);
            for (int i = 0; i < cols; i++) sum += Math.exp(x0[o + i] - max);
            for (int i = 0; i < cols; i++) {
                double ref = Math.exp(x0[o + i] - max) / sum;
                assertEquals(ref, x[o + i], 3e-6 * ref + 1e-9, "softmax[" + row + "," + i + "]");
                assertEquals(xs[o + i], x[o + i], 1e-5 * ref + 1e-9, "vs scalar");
                got += x[o + i];
            }
            assertEquals(1.0, got, 1e-5, "row sum");
        }
        for (int i = 0; i < off; i++) assertEquals(x0[i], x[i], "before the offset untouched");
    }

    @Property(tries = 50, seed = "2026112402")
    void softmaxInt8CodesMatchDoubleFormulaOnBothBackends(@ForAll @IntRange(min = 1, max = 5) int rows,
                                                         @ForAll @IntRange(min = 1, max = 300) int cols, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int off = r.nextInt(4), stride = (cols + 3) & ~3;
        float[] x = spread(r, off + rows * cols, 8), x0 = x.clone();
        for (KernelBackend b : new KernelBackend[]{V, SC}) {
            byte[] q = new byte[rows * stride];
            java.util.Arrays.fill(q, (byte) 99); // padding must come back as 0
            float[] scale = new float[rows];
            int[] sums = new int[rows];
            b.softmaxInt8(x, off, rows, cols, q, stride, scale, sums);
            assertArrayEquals(x0, x, b.name() + " leaves x alone");
            for (int row = 0; row < rows; row++) {
                int o = off + row * cols;
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int i = 0; i < cols; i++) max = Math.max(max, x0[o + i]);
                for (int i = 0; i < cols; i++) sum += Math.exp(x0[o + i] - max);
                int codeSum = 0;
                for (int i = 0; i < cols; i++) {
                    double want = 127 * Math.exp(x0[o + i] - max);
                    int got = q[row * stride + i];
                    codeSum += got;
                    // exact rounding except within float error of a .5 tie
                    assertTrue(got == Math.round(want) || Math.abs(want - Math.floor(want) - 0.5) < 1e-4,
                            b.name() + " code[" + row + "," + i + "] " + got + " for " + want);
                }
                for (int i = cols; i < stride; i++) assertEquals(0, q[row * stride + i], "padding");
                assertEquals(codeSum, sums[row], b.name() + " code sum");
                assertEquals(1 / (127 * sum), scale[row], 3e-6 / (127 * sum), b.name() + " scale");
            }
        }
    }

    @Property(tries = 50, seed = "-2328744953248323422")
    void layerNormMatchesDoubleFormula(@ForAll @IntRange(min = 1, max = 4) int rows, @ForAll @IntRange(min = 1, max = 200) int dim,
                                       @ForAll boolean affine, @ForAll boolean inPlace, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = spread(r, rows * dim, 3), x0 = x.clone();
        for (int i = 0; i < x.length; i++) x[i] += 5f; // an offset mean exercises the two-pass variance
        System.arraycopy(x, 0, x0, 0, x.length);
        float[] g = affine ? spread(r, dim, 2) : null, b = affine ? spread(r, dim, 1) : null;
        float eps = 1e-5f;
        float[] y = inPlace ? x : new float[rows * dim], ys = new float[rows * dim];
        V.layerNorm(x, 0, y, 0, rows, dim, g, b, eps);
        SC.layerNorm(x0, 0, ys, 0, rows, dim, g, b, eps);
        for (int row = 0; row < rows; row++) {
            double mean = 0, var = 0;
            for (int i = 0; i < dim; i++) mean += x0[row * dim + i];
            mean /= dim;
            for (int i = 0; i < dim; i++) var += Math.pow(x0[row * dim + i] - mean, 2);
            var /= dim;
            // float32 computes x − mean with an error of a few ulp of |x| (≈ 5 here); divided by the standard
            // deviation, that is a large relative error when the row is nearly constant (e.g. dim 2, close values)
            double absMax = 0;
            for (int i = 0; i < dim; i++) absMax = Math.max(absMax, Math.abs(x0[row * dim + i]));
            double cancel = 8 * Math.ulp((float) absMax) / Math.sqrt(var + eps);
            for (int i = 0; i < dim; i++) {
                double ref = (x0[row * dim + i] - mean) / Math.sqrt(var + eps);
                double gain = affine ? Math.abs(g[i]) : 1;
                if (affine) ref = ref * g[i] + b[i];
                assertEquals(ref, y[row * dim + i], 2e-5 * (1 + Math.abs(ref)) + cancel * gain, "layerNorm[" + row + "," + i + "]");
                assertEquals(ys[row * dim + i], y[row * dim + i], 4e-5 * (1 + Math.abs(ref)) + 2 * cancel * gain, "vs scalar");
            }
        }
    }

    @Property(tries = 50, seed = "2026112402")
    void rmsNormMatchesDoubleFormula(@ForAll @IntRange(min = 1, max = 4) int rows, @ForAll @IntRange(min = 1, max = 200) int dim,
                                     @ForAll boolean withGamma, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = spread(r, 1 + rows * dim, 4), g = withGamma ? spread(r, dim, 2) : null;
        float[] y = new float[2 + rows * dim], ys = y.clone();
        float eps = 1e-6f;
        V.rmsNorm(x, 1, y, 2, rows, dim, g, eps);
        SC.rmsNorm(x, 1, ys, 2, rows, dim, g, eps);
        for (int row = 0; row < rows; row++) {
            double ss = 0;
            for (int i = 0; i < dim; i++) ss += Math.pow(x[1 + row * dim + i], 2);
            double inv = 1 / Math.sqrt(ss / dim + eps);
            for (int i = 0; i < dim; i++) {
                double ref = x[1 + row * dim + i] * inv * (withGamma ? g[i] : 1);
                assertEquals(ref, y[2 + row * dim + i], 1e-5 * (1 + Math.abs(ref)), "rmsNorm[" + row + "," + i + "]");
                assertEquals(ys[2 + row * dim + i], y[2 + row * dim + i], 2e-5 * (1 + Math.abs(ref)), "vs scalar");
            }
        }
    }

    @Test
    void geluBackwardMatchesTheDerivativeOfTheDoubleGelu() {
        SplittableRandom r = new SplittableRandom(6);
        for (int n : new int[]{1, 7, 8, 9, 100, 40_000}) { // 40 000 takes the parallel path
            float[] x = spread(r, n, 12), dy = spread(r, n, 3);
            x[0] = 0f;
            if (n > 2) { x[1] = -30f; x[2] = 30f; }
            float[] dv = new float[n], ds = new float[n];
            V.geluTanhBackward(x, dy, dv, n);
            SC.geluTanhBackward(x, dy, ds, n);
            for (int i = 0; i < n; i++) {
                double v = x[i], h = 1e-4 * Math.max(1, Math.abs(v));
                // central difference of the double formula: an independent reference for gelu'
                double fd = (geluD(v + h) - geluD(v - h)) / (2 * h) * dy[i];
                double tol = 1e-6 * (1 + Math.abs(v)) * Math.abs(dy[i]) + 1e-7;
                assertEquals(fd, ds[i], 20 * tol, "scalar gelu'(" + v + ")");
                assertEquals(fd, dv[i], 20 * tol, "vector gelu'(" + v + ")");
            }
        }
        float[] x = {0.5f, -1f, 2f}, d = {1f, 1f, 1f};
        V.geluTanhBackward(x, d, d, 3); // dx aliasing dy
        for (int i = 0; i < 3; i++) assertEquals((geluD(x[i] + 1e-5) - geluD(x[i] - 1e-5)) / 2e-5, d[i], 1e-5);
    }

    private static double geluD(double v) {
        return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
    }

    @Test
    void geluAndSiluMatchDoubleFormulasOverTheRealLine() {
        SplittableRandom r = new SplittableRandom(5);
        for (int n : new int[]{1, 7, 8, 9, 100, 40_000}) { // 40 000 takes the parallel path
            float[] x0 = spread(r, n + 3, 12);
            x0[3] = 0f;
            if (n > 2) { x0[4] = -30f; x0[5] = 30f; }
            float[] g = x0.clone(), s = x0.clone(), gs = x0.clone(), ss = x0.clone();
            V.geluTanh(g, 3, n);
            V.silu(s, 3, n);
            SC.geluTanh(gs, 3, n);
            SC.silu(ss, 3, n);
            for (int i = 0; i < 3; i++) { assertEquals(x0[i], g[i]); assertEquals(x0[i], s[i]); }
            for (int i = 3; i < n + 3; i++) {
                double v = x0[i];
                double gr = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
                double sr = v / (1 + Math.exp(-v));
                // float tanh near ±1 leaves an absolute error of about |v|·ulp(1)/2 in 0.5·v·(1 + tanh)
                assertEquals(gr, g[i], 2e-6 * Math.abs(gr) + 2e-7 * (1 + Math.abs(v)), "gelu(" + v + ")");
                assertEquals(sr, s[i], 2e-6 * Math.abs(sr) + 1e-7, "silu(" + v + ")");
                assertEquals(gs[i], g[i], 4e-6 * Math.abs(gr) + 4e-7 * (1 + Math.abs(v)), "gelu vs scalar");
                assertEquals(ss[i], s[i], 4e-6 * Math.abs(sr) + 2e-7, "silu vs scalar");
            }
        }
    }

    @Property(tries = 40, seed = "2026112403")
    void ropeRotatesInterleavedPairsLikeTheFormula(@ForAll @IntRange(min = 1, max = 9) int tokens, @ForAll @IntRange(min = 1, max = 3) int heads,
                                                   @ForAll @IntRange(min = 1, max = 40) int halfDim, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int headDim = 2 * halfDim, rowStride = heads * headDim + r.nextInt(3), off = r.nextInt(3);
        float[] x = rand(r, off + tokens * rowStride), x0 = x.clone(), xs = x.clone();
        float[] cos = new float[tokens * halfDim], sin = new float[tokens * halfDim];
        for (int t = 0; t < tokens; t++)
            for (int p = 0; p < halfDim; p++) {
                double ang = t * Math.pow(10000, -2.0 * p / headDim);
                cos[t * halfDim + p] = (float) Math.cos(ang);
                sin[t * halfDim + p] = (float) Math.sin(ang);
            }
        V.rope(x, off, tokens, heads, headDim, rowStride, cos, sin);
        SC.rope(xs, off, tokens, heads, headDim, rowStride, cos, sin);
        for (int t = 0; t < tokens; t++)
            for (int h = 0; h < heads; h++)
                for (int p = 0; p < halfDim; p++) {
                    int i = off + t * rowStride + h * headDim + 2 * p;
                    double c = cos[t * halfDim + p], s = sin[t * halfDim + p], a = x0[i], b = x0[i + 1];
                    assertEquals(a * c - b * s, x[i], 1e-6, "rope even t=" + t + " h=" + h + " p=" + p);
                    assertEquals(a * s + b * c, x[i + 1], 1e-6, "rope odd");
                }
        assertArrayEquals(xs, x, "same float operations as the scalar oracle, so the same bits");
    }

    @Test
    void addMulAxpyAreExactElementWise() {
        SplittableRandom r = new SplittableRandom(9);
        for (int n : new int[]{0, 1, 5, 8, 33, 70_001}) {
            float[] a = rand(r, n + 2), b = rand(r, n + 1), out = new float[n + 3];
            V.add(a, 2, b, 1, out, 3, n);
            for (int i = 0; i < n; i++) assertEquals(a[2 + i] + b[1 + i], out[3 + i], "add " + i);
            V.mul(a, 2, b, 1, out, 3, n);
            for (int i = 0; i < n; i++) assertEquals(a[2 + i] * b[1 + i], out[3 + i], "mul " + i);
            float[] y = rand(r, n + 1), y0 = y.clone();
            V.axpy(-1.25f, a, 2, y, 1, n);
            for (int i = 0; i < n; i++) assertEquals(y0[1 + i] + -1.25f * a[2 + i], y[1 + i], "axpy " + i);
            assertEquals(y0[0], y[0], "axpy leaves y before yOff");
            float[] al = a.clone(); // aliasing: out = a
            V.add(al, 2, b, 1, al, 2, n);
            for (int i = 0; i < n; i++) assertEquals(a[2 + i] + b[1 + i], al[2 + i], "aliased add " + i);
        }
    }

    @Test
    void rowOpsGiveSameBitsForOneAndTwoThreads() {
        SplittableRandom r = new SplittableRandom(21);
        int rows = 37, dim = 203;
        float[] x = spread(r, rows * dim, 6), g = rand(r, dim), b = rand(r, dim);
        float[][] res = new float[2][];
        for (int t = 1; t <= 2; t++) {
            Parallel.setThreads(t);
            float[] sm = x.clone(), ln = new float[x.length], rn = new float[x.length];
            V.softmax(sm, 0, rows, dim);
            V.layerNorm(x, 0, ln, 0, rows, dim, g, b, 1e-5f);
            V.rmsNorm(x, 0, rn, 0, rows, dim, g, 1e-5f);
            float[] big = spread(new SplittableRandom(2), 70_000, 5), big2 = big.clone();
            V.geluTanh(big, 0, big.length);
            V.silu(big2, 0, big2.length);
            res[t - 1] = concat(sm, ln, rn, big, big2);
        }
        assertArrayEquals(res[0], res[1]);
    }

    @Test
    void expIsAccurateOverItsRangeAndVectorAndScalarFormsAgreeBitForBit() {
        float[] xs = new float[20_001];
        for (int i = 0; i < xs.length; i++) xs[i] = -86.5f + 174.5f * i / (xs.length - 1);
        int L = VectorOps.L;
        for (int i = 0; i + L <= xs.length; i += L) {
            float[] got = new float[L];
            VectorOps.exp(jdk.incubator.vector.FloatVector.fromArray(VectorOps.S, xs, i)).intoArray(got, 0);
            for (int l = 0; l < L; l++) {
                double ref = Math.exp(xs[i + l]);
                assertEquals(ref, got[l], 3 * Math.ulp((float) ref), "exp(" + xs[i + l] + ")");
                assertEquals(got[l], VectorOps.exp(xs[i + l]), "scalar twin at " + xs[i + l]);
            }
        }
        assertEquals(0f, VectorOps.exp(-90f));
        assertEquals(0f, VectorOps.exp(Float.NEGATIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, VectorOps.exp(89f));
        assertTrue(Float.isNaN(VectorOps.exp(Float.NaN)));
        assertEquals(1f, VectorOps.exp(0f));
    }

    static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) n += p.length;
        float[] out = new float[n];
        int o = 0;
        for (float[] p : parts) { System.arraycopy(p, 0, out, o, p.length); o += p.length; }
        return out;
    }
}
