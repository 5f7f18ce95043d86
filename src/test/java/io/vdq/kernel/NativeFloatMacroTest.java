package io.vdq.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vdq.kernel.nat.NativeFloatMacro;
import io.vdq.tensor.Parallel;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The native FP32 macro-kernel gives VectorGemm exactly the bits of its Vector API micro-kernel: every
 * transpose of sgemm, accumulate (beta 1) or not, edge tiles in both directions, several K blocks (k > KC) and
 * row blocks (m > MC), prepacked weights with bias, 1 and 2 threads. Skipped where the native library or
 * 256-bit vectors are missing (the Vector API kernel then runs everywhere).
 */
class NativeFloatMacroTest {
    @Test
    void sameBitsAsTheVectorApiKernel() {
        FloatMacroKernel nat = NativeFloatMacro.loadOrNull(VectorGemm.NR);
        assumeTrue(nat != null, "native FP32 macro-kernel unavailable here");
        FloatMacroKernel saved = VectorGemm.macroKernel();
        int savedThreads = Parallel.threads();
        SplittableRandom r = new SplittableRandom(11);
        try {
            int[][] shapes = {{1, 1, 1}, {3, 17, 5}, {4, 16, 256}, {7, 33, 300}, {130, 50, 513}, {9, 200, 64}, {260, 16, 40}};
            for (int threads : new int[]{1, 2}) {
                Parallel.setThreads(threads);
                for (int[] sh : shapes) {
                    int m = sh[0], n = sh[1], k = sh[2];
                    for (int t = 0; t < 8; t++) {
                        boolean ta = (t & 1) != 0, tb = (t & 2) != 0, acc = (t & 4) != 0;
                        float[] a = VectorGemmTest.rand(r, m * k), b = VectorGemmTest.rand(r, n * k), c0 = VectorGemmTest.rand(r, m * n);
                        float[] cj = c0.clone(), cn = c0.clone();
                        VectorGemm.setMacroKernel(null);
                        VectorBackend.INSTANCE.sgemm(ta, tb, m, n, k, a, 0, ta ? m : k, b, 0, tb ? k : n, acc ? 1f : 0f, cj, 0, n);
                        VectorGemm.setMacroKernel(nat);
                        VectorBackend.INSTANCE.sgemm(ta, tb, m, n, k, a, 0, ta ? m : k, b, 0, tb ? k : n, acc ? 1f : 0f, cn, 0, n);
                        assertArrayEquals(cj, cn, m + "×" + n + "×" + k + " transA " + ta + " transB " + tb + " accumulate " + acc + ", " + threads + " threads");
                    }
                    float[] x = VectorGemmTest.rand(r, m * k + 2), w = VectorGemmTest.rand(r, n * k), bias = VectorGemmTest.rand(r, n);
                    float[] yj = new float[m * n + 1], yn = new float[m * n + 1];
                    PackedWeights pw = VectorBackend.INSTANCE.pack(w, 0, n, k);
                    VectorGemm.setMacroKernel(null);
                    VectorBackend.INSTANCE.gemm(x, 2, m, pw, bias, yj, 1);
                    VectorGemm.setMacroKernel(nat);
                    VectorBackend.INSTANCE.gemm(x, 2, m, pw, bias, yn, 1);
                    assertArrayEquals(yj, yn, "prepacked " + m + "×" + n + "×" + k);
                    assertEquals(0f, yn[0], "nothing written before the output offset");
                }
            }
        } finally {
            VectorGemm.setMacroKernel(saved);
            Parallel.setThreads(savedThreads);
        }
    }

    /** Attention's Q·Kᵀ and P·V go through the macro-kernel too: same bits, for key tails and head dims not a multiple of 16. */
    @Test
    void attentionSameBitsAsTheVectorApiKernel() {
        FloatMacroKernel nat = NativeFloatMacro.loadOrNull(VectorGemm.NR);
        assumeTrue(nat != null, "native FP32 macro-kernel unavailable here");
        FloatMacroKernel saved = VectorGemm.macroKernel();
        SplittableRandom r = new SplittableRandom(13);
        try {
            // nq, nk, heads, headDim: one key block, a partial second block, several blocks; d = 8, 40, 64, 128
            int[][] shapes = {{1, 1, 1, 8}, {33, 129, 2, 40}, {70, 300, 3, 64}, {32, 256, 1, 128}, {5, 1000, 2, 16}};
            for (int[] sh : shapes) {
                int nq = sh[0], nk = sh[1], h = sh[2], d = sh[3], w = h * d;
                float[] q = VectorGemmTest.rand(r, nq * w), k = VectorGemmTest.rand(r, nk * w), v = VectorGemmTest.rand(r, nk * w);
                float[] oj = new float[nq * w], on = new float[nq * w];
                float scale = (float) (1 / Math.sqrt(d));
                VectorGemm.setMacroKernel(null);
                VectorBackend.INSTANCE.attention(q, 0, w, k, 0, w, v, 0, w, oj, 0, w, nq, nk, h, d, scale);
                VectorGemm.setMacroKernel(nat);
                VectorBackend.INSTANCE.attention(q, 0, w, k, 0, w, v, 0, w, on, 0, w, nq, nk, h, d, scale);
                assertArrayEquals(oj, on, "attention " + java.util.Arrays.toString(sh));
                double sum = 0;
                for (float x : on) sum += Math.abs(x);
                assertEquals(true, sum > 0, "non-zero output " + java.util.Arrays.toString(sh));
            }
        } finally {
            VectorGemm.setMacroKernel(saved);
        }
    }
}
