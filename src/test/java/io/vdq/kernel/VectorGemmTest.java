package io.vdq.kernel;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ShapeException;
import io.vdq.tensor.Parallel;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The vector GEMM against a double-precision dot product and against the scalar oracle: odd shapes (k not a
 * multiple of the vector length, one row, n smaller than a tile, k across several K blocks, m across several
 * row blocks), bias or none, every transpose of sgemm, and identical bits for 1 and 2 threads.
 */
class VectorGemmTest {
    private static final KernelBackend V = VectorBackend.INSTANCE, SC = ScalarBackend.INSTANCE;
    private final int savedThreads = Parallel.threads();

    @AfterEach void restoreThreads() { Parallel.setThreads(savedThreads); }

    static float[] rand(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }

    /**
     * Asserts y[i·ldy + j] = Σ_p x[i,p]·w[j,p] (+ bias[j]) within 2e-6·Σ|x·w| + 1e-6: FP32 rounding over k ≤ 1000
     * terms stays far below this, while one missing or doubled term (≈ Σ|x·w|/k) is far above it.
     */
    static void assertGemm(float[] x, int xOff, float[] w, float[] bias, float[] y, int yOff, int m, int n, int k, String what) {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double ref = bias == null ? 0 : bias[j], mag = bias == null ? 0 : Math.abs(bias[j]);
                for (int p = 0; p < k; p++) { double t = (double) x[xOff + i * k + p] * w[j * k + p]; ref += t; mag += Math.abs(t); }
                double got = y[yOff + i * n + j];
                assertEquals(ref, got, 2e-6 * mag + 1e-6, what + ": y[" + i + "," + j + "] of " + m + "×" + n + "×" + k);
            }
    }

    @Property(tries = 60, seed = "2026112401")
    void gemmMatchesDoubleReferenceAndScalarOracle(@ForAll @IntRange(min = 1, max = 70) int m,
                                                   @ForAll @IntRange(min = 1, max = 70) int n,
                                                   @ForAll @IntRange(min = 1, max = 300) int k,
                                                   @ForAll boolean withBias, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int xOff = r.nextInt(5), yOff = r.nextInt(5);
        float[] x = rand(r, xOff + m * k), w = rand(r, n * k), bias = withBias ? rand(r, n) : null;
        float[] y = new float[yOff + m * n + 3], ys = y.clone();
        java.util.Arrays.fill(y, Float.NaN);
        V.gemm(x, xOff, m, V.pack(w, 0, n, k), bias, y, yOff);
        assertGemm(x, xOff, w, bias, y, yOff, m, n, k, "vector");
        SC.gemm(x, xOff, m, SC.pack(w, 0, n, k), bias, ys, yOff);
        for (int i = 0; i < m * n; i++) {
            float s = ys[yOff + i];
            assertEquals(s, y[yOff + i], 1e-4f * (1 + Math.abs(s)) * (float) Math.sqrt(k), "vs scalar at " + i);
        }
        for (int i = 0; i < yOff; i++) assertTrue(Float.isNaN(y[i]), "no write before yOff");
        for (int i = yOff + m * n; i < y.length; i++) assertTrue(Float.isNaN(y[i]), "no write past the output");
    }

    @Test
    void largeShapesCrossEveryBlockBoundary() {
        // m past MC (two row blocks plus an edge), k past KC (three K blocks, odd tail), n past one column block.
        SplittableRandom r = new SplittableRandom(3);
        int[][] shapes = {{VectorGemm.MC * 2 + 3, 37, VectorGemm.KC * 2 + 13}, {3, VectorGemm.NCP * VectorGemm.NR + 21, 9},
                {1, 1, 1}, {1, 5, 1000}, {517, 1, 3}};
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            float[] x = rand(r, m * k), w = rand(r, n * k), bias = rand(r, n), y = new float[m * n];
            V.gemm(x, 0, m, V.pack(w, 0, n, k), bias, y, 0);
            assertGemm(x, 0, w, bias, y, 0, m, n, k, "large");
        }
    }

    @Test
    void sameBitsForOneAndTwoThreads() {
        SplittableRandom r = new SplittableRandom(11);
        // Shapes that split by rows (tall) and by column panels (m = 1, 3) depending on the thread count.
        int[][] shapes = {{301, 45, 260}, {1, 300, 77}, {3, 129, 520}, {40, 40, 40}};
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            float[] x = rand(r, m * k), w = rand(r, n * k), bias = rand(r, n);
            PackedWeights pw = V.pack(w, 0, n, k);
            float[] y1 = new float[m * n], y2 = new float[m * n];
            Parallel.setThreads(1);
            V.gemm(x, 0, m, pw, bias, y1, 0);
            Parallel.setThreads(2);
            V.gemm(x, 0, m, pw, bias, y2, 0);
            assertArrayEquals(y1, y2, "gemm bits " + m + "×" + n + "×" + k);
            float[] c1 = rand(new SplittableRandom(1), m * n), c2 = c1.clone();
            Parallel.setThreads(1);
            V.sgemm(false, true, m, n, k, x, 0, k, w, 0, k, 0.5f, c1, 0, n);
            Parallel.setThreads(2);
            V.sgemm(false, true, m, n, k, x, 0, k, w, 0, k, 0.5f, c2, 0, n);
            assertArrayEquals(c1, c2, "sgemm bits " + m + "×" + n + "×" + k);
        }
    }

    @Property(tries = 40, seed = "2026112402")
    void sgemmEveryTransposeMatchesDoubleReference(@ForAll boolean transA, @ForAll boolean transB,
                                                   @ForAll @IntRange(min = 1, max = 40) int m,
                                                   @ForAll @IntRange(min = 1, max = 40) int n,
                                                   @ForAll @IntRange(min = 0, max = 280) int k,
                                                   @ForAll @IntRange(min = 0, max = 2) int betaCase, @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float beta = new float[]{0f, 1f, -0.75f}[betaCase];
        int pad = 3;
        int aRows = transA ? k : m, aCols = transA ? m : k, lda = aCols + pad;
        int bRows = transB ? n : k, bCols = transB ? k : n, ldb = bCols + pad;
        int ldc = n + pad, aOff = 2, bOff = 1, cOff = 4;
        float[] a = rand(r, aOff + Math.max(aRows, 1) * lda), b = rand(r, bOff + Math.max(bRows, 1) * ldb);
        float[] c0 = rand(r, cOff + m * ldc);
        if (beta == 0f) for (int i = 0; i < m; i++) c0[cOff + i * ldc] = Float.NaN; // beta = 0 must ignore C
        float[] c = c0.clone(), cs = c0.clone();
        V.sgemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        SC.sgemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, beta, cs, cOff, ldc);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double ref = beta == 0f ? 0 : (double) beta * c0[cOff + i * ldc + j], mag = Math.abs(ref);
                for (int p = 0; p < k; p++) {
                    double av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    double bv = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    ref += av * bv;
                    mag += Math.abs(av * bv);
                }
                int ci = cOff + i * ldc + j;
                String at = "C[" + i + "," + j + "] transA=" + transA + " transB=" + transB + " beta=" + beta;
                assertEquals(ref, c[ci], 2e-6 * mag + 1e-6, at);
                assertEquals(cs[ci], c[ci], 4e-6 * mag + 1e-6, "vs scalar " + at);
            }
        for (int i = 0; i < m; i++)
            for (int j = n; j < ldc && cOff + i * ldc + j < c.length; j++)
                assertEquals(c0[cOff + i * ldc + j], c[cOff + i * ldc + j], "padding column untouched");
    }

    @Test
    void packRejectsWeightsThatDoNotFitAndForeignLayouts() {
        assertThrows(ShapeException.class, () -> V.pack(new float[10], 0, 3, 4));
        PackedWeights scalarPacked = SC.pack(new float[12], 0, 3, 4);
        assertThrows(IllegalArgumentException.class, () -> V.gemm(new float[4], 0, 1, scalarPacked, null, new float[3], 0));
    }

    @Test
    void zeroInnerDimensionGivesBiasOrZero() {
        float[] y = {7, 7, 7, 7};
        V.gemm(new float[0], 0, 2, V.pack(new float[0], 0, 2, 0), new float[]{1.5f, -2f}, y, 0);
        assertArrayEquals(new float[]{1.5f, -2f, 1.5f, -2f}, y);
        V.gemm(new float[0], 0, 2, V.pack(new float[0], 0, 2, 0), null, y, 0);
        assertArrayEquals(new float[4], y);
    }
}
