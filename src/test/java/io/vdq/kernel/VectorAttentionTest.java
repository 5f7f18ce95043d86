package io.vdq.kernel;

import static io.vdq.kernel.VectorGemmTest.rand;
import static org.junit.jupiter.api.Assertions.*;

import io.vdq.tensor.Parallel;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Blockwise attention against a two-pass double-precision softmax(scale·Q·Kᵀ)·V written here and against the
 * scalar oracle: self- and cross-attention (nq ≠ nk), head dims that are not a multiple of the vector length,
 * padded row strides, key counts that end mid-block, 30 000 keys, and identical bits for 1 and 2 threads. These run
 * the Vector API blockwise kernel (the native flash kernel is switched off here; {@link NativeAttentionTest} holds
 * it to the same tolerances).
 */
class VectorAttentionTest {
    private static final KernelBackend V = VectorBackend.INSTANCE, SC = ScalarBackend.INSTANCE;
    private final int savedThreads = Parallel.threads();
    private final FlashKernel savedFlash = ExecutionContext.flashAttention();

    @BeforeEach void blockwiseKernel() { ExecutionContext.setFlashAttention(null); }

    @AfterEach void restore() {
        Parallel.setThreads(savedThreads);
        ExecutionContext.setFlashAttention(savedFlash);
    }

    /** One problem: Q, K, V with their strides, and the output buffer. */
    record Problem(int nq, int nk, int heads, int d, int qs, int ks, int vs, int os, float[] q, float[] k, float[] v, float scale) {
        static Problem random(SplittableRandom r, int nq, int nk, int heads, int d, double spread) {
            int w = heads * d;
            int qs = w + r.nextInt(3), ks = w + r.nextInt(3), vs = w + r.nextInt(3), os = w + r.nextInt(3);
            float[] q = rand(r, nq * qs), k = rand(r, nk * ks), v = rand(r, nk * vs);
            for (int i = 0; i < q.length; i++) q[i] *= (float) spread;
            return new Problem(nq, nk, heads, d, qs, ks, vs, os, q, k, v, (float) (1 / Math.sqrt(d)));
        }

        float[] run(KernelBackend b) {
            float[] out = new float[nq * os];
            java.util.Arrays.fill(out, Float.NaN);
            b.attention(q, 0, qs, k, 0, ks, v, 0, vs, out, 0, os, nq, nk, heads, d, scale);
            return out;
        }

        /** Double-precision reference for query row i, head h, column c. */
        double[] reference(int i, int h) {
            double[] s = new double[nk];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < nk; j++) {
                double dot = 0;
                for (int p = 0; p < d; p++) dot += (double) q[i * qs + h * d + p] * k[j * ks + h * d + p];
                s[j] = dot * scale;
                max = Math.max(max, s[j]);
            }
            for (int j = 0; j < nk; j++) { s[j] = Math.exp(s[j] - max); sum += s[j]; }
            double[] o = new double[d];
            for (int j = 0; j < nk; j++)
                for (int p = 0; p < d; p++) o[p] += s[j] / sum * v[j * vs + h * d + p];
            return o;
        }

        void assertMatches(float[] out, int[] rows, double tol, String what) {
            for (int i : rows)
                for (int h = 0; h < heads; h++) {
                    double[] ref = reference(i, h);
                    for (int p = 0; p < d; p++)
                        assertEquals(ref[p], out[i * os + h * d + p], tol,
                                what + ": out[" + i + "][head " + h + "][" + p + "] nq=" + nq + " nk=" + nk + " d=" + d);
                }
            for (int i = 0; i < nq; i++)
                for (int c = heads * d; c < os; c++) assertTrue(Float.isNaN(out[i * os + c]), "row padding untouched");
        }
    }

    static int[] allRows(int n) { int[] r = new int[n]; for (int i = 0; i < n; i++) r[i] = i; return r; }

    @Property(tries = 40, seed = "2026112401")
    void matchesDoubleReferenceAndScalarOracle(@ForAll @IntRange(min = 1, max = 100) int nq, @ForAll @IntRange(min = 1, max = 300) int nk,
                                               @ForAll @IntRange(min = 1, max = 3) int heads, @ForAll @IntRange(min = 1, max = 72) int d,
                                               @ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Problem pr = Problem.random(r, nq, nk, heads, d, 4);
        FlashKernel saved = ExecutionContext.flashAttention();
        ExecutionContext.setFlashAttention(null); // a jqwik property: JUnit's @BeforeEach does not run for it
        float[] out, outS;
        try {
            out = pr.run(V);
            outS = pr.run(SC);
        } finally {
            ExecutionContext.setFlashAttention(saved);
        }
        // Outputs are convex combinations of V entries in [-1, 1]: an absolute tolerance is meaningful.
        pr.assertMatches(out, allRows(nq), 2e-5, "vector");
        for (int i = 0; i < out.length; i++)
            if (!Float.isNaN(outS[i])) assertEquals(outS[i], out[i], 4e-5, "vs scalar at " + i);
    }

    @Test
    void peakedScoresAcrossBlocksRescaleCorrectly() {
        // Large logits whose maximum moves from block to block: the running-max correction must be exact.
        SplittableRandom r = new SplittableRandom(4);
        Problem pr = Problem.random(r, 17, 3 * VectorAttention.BK + 5, 2, 24, 60);
        pr.assertMatches(pr.run(V), allRows(17), 2e-5, "peaked");
    }

    @Test
    void handlesThirtyThousandKeysAndThirtyThousandQueries() {
        SplittableRandom r = new SplittableRandom(8);
        Problem longKeys = Problem.random(r, 3, 30_001, 1, 16, 2);
        longKeys.assertMatches(longKeys.run(V), allRows(3), 5e-5, "30 001 keys");
        Problem longQueries = Problem.random(r, 30_001, 5, 1, 8, 2);
        float[] out = longQueries.run(V);
        longQueries.assertMatches(out, new int[]{0, 1, 39, 40, 12_345, 29_999, 30_000}, 1e-5, "30 001 queries");
    }

    @Test
    void sameBitsForOneAndTwoThreads() {
        SplittableRandom r = new SplittableRandom(12);
        for (int[] s : new int[][]{{301, 257, 3, 40}, {1, 500, 2, 64}, {130, 1, 1, 8}}) {
            Problem pr = Problem.random(r, s[0], s[1], s[2], s[3], 3);
            Parallel.setThreads(1);
            float[] o1 = pr.run(V);
            Parallel.setThreads(2);
            float[] o2 = pr.run(V);
            assertArrayEquals(o1, o2, "attention " + java.util.Arrays.toString(s));
        }
    }
}
