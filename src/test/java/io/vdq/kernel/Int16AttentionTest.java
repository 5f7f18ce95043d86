package io.vdq.kernel;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vdq.VdqException.ConfigException;
import io.vdq.tensor.Parallel;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The int16-code flash attention ({@link Int16Attention}, native AVX2 only; skipped without the library) against
 * softmax(scale·Q·Kᵀ)·V in double. Inputs as {@link Int8AttentionTest}'s: Gaussian Q, K, V, K with per-channel
 * offsets (which the smoothing removes). Error bounds (relative L2 over the whole output), from the code steps: a
 * b-bit symmetric code has a step of max/(2^(b−1)−1), so per-token 8-bit Q and K make each score wrong by about
 * 0.5 % of its row's spread, which moves the output by about 1 % (Int8AttentionTest's bound for the same codes is
 * 2e-2, and it is used here); an 8-bit V per head dimension and 15-bit P add about 0.4 % (bound 3e-2); 12-bit codes
 * have 16× finer steps (bounds 2e-3 and 3e-3; measured 5.6e-4 and 8.4e-4 at 4 096 tokens, d = 128).
 */
class Int16AttentionTest {
    static final int HEADS = 2;

    static float[][] data(long seed, int nq, int nk, int hd, float keyBias) {
        Random r = new Random(seed);
        int d = HEADS * hd;
        float[] q = new float[nq * d], k = new float[nk * d], v = new float[nk * d], bias = new float[d];
        for (int c = 0; c < d; c++) bias[c] = keyBias * (r.nextBoolean() ? 1 : -1) * r.nextFloat();
        for (int i = 0; i < q.length; i++) q[i] = (float) r.nextGaussian();
        for (int i = 0; i < k.length; i++) k[i] = (float) r.nextGaussian() + bias[i % d];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return new float[][]{q, k, v};
    }

    static double[] reference(float[][] x, int nq, int nk, int hd, float scale) {
        int d = HEADS * hd;
        double[] out = new double[nq * d], p = new double[nk];
        for (int h = 0; h < HEADS; h++)
            for (int t = 0; t < nq; t++) {
                double mx = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < nk; j++) {
                    double s = 0;
                    for (int c = 0; c < hd; c++) s += (double) x[0][t * d + h * hd + c] * x[1][j * d + h * hd + c];
                    p[j] = s * scale;
                    mx = Math.max(mx, p[j]);
                }
                for (int j = 0; j < nk; j++) { p[j] = Math.exp(p[j] - mx); sum += p[j]; }
                for (int c = 0; c < hd; c++) {
                    double o = 0;
                    for (int j = 0; j < nk; j++) o += p[j] * x[2][j * d + h * hd + c];
                    out[t * d + h * hd + c] = o / sum;
                }
            }
        return out;
    }

    static float[] run(Int16FlashKernel fk, int qkBits, int vBits, float[][] x, int nq, int nk, int hd, float scale) {
        int d = HEADS * hd;
        float[] out = new float[nq * d];
        Int16Attention.attention(fk, qkBits, vBits, x[0], 0, d, x[1], 0, d, x[2], 0, d, out, 0, d, nq, nk, HEADS, hd, scale);
        return out;
    }

    static Int16FlashKernel kernel() {
        Int16FlashKernel fk = ExecutionContext.int16Attention();
        assumeTrue(fk != null, "no int16 attention kernel here");
        return fk;
    }

    @Test
    void errorsWithinTheStatedBoundsAtEightAndTwelveBits() {
        Int16FlashKernel fk = kernel();
        // 197 queries (three blocks, the last partial), 301 keys (three key blocks, the last ending mid-panel), d = 40
        int nq = 197, nk = 301, hd = 40;
        float scale = (float) (1 / Math.sqrt(hd));
        float[][] x = data(3, nq, nk, hd, 8f);
        double[] ref = reference(x, nq, nk, hd, scale);
        double q8 = Int8AttentionTest.relErr(ref, run(fk, 8, 0, x, nq, nk, hd, scale)),
                q8pv = Int8AttentionTest.relErr(ref, run(fk, 8, 8, x, nq, nk, hd, scale)),
                q12 = Int8AttentionTest.relErr(ref, run(fk, 12, 0, x, nq, nk, hd, scale)),
                q12pv = Int8AttentionTest.relErr(ref, run(fk, 12, 12, x, nq, nk, hd, scale));
        assertTrue(q8 < 2e-2 && q8 > 1e-4, "8-bit Q·Kᵀ: rel L2 " + q8);
        assertTrue(q8pv < 3e-2, "8-bit Q·Kᵀ and P·V: rel L2 " + q8pv);
        assertTrue(q12 < 2e-3, "12-bit Q·Kᵀ: rel L2 " + q12);
        assertTrue(q12pv < 3e-3, "12-bit Q·Kᵀ and P·V: rel L2 " + q12pv);
        assertTrue(q12 < q8 / 4, "12-bit codes are finer than 8-bit ones: " + q12 + " vs " + q8);
    }

    @Test
    void oddHeadDimsSingleRowsAndKeysAndSameBitsForOneAndTwoThreads() {
        Int16FlashKernel fk = kernel();
        int saved = Parallel.threads();
        try {
            for (int[] s : new int[][]{{1, 1, 3}, {5, 7, 1}, {130, 129, 17}, {96, 128, 64}}) {
                int nq = s[0], nk = s[1], hd = s[2];
                float scale = (float) (1 / Math.sqrt(hd));
                float[][] x = data(7, nq, nk, hd, 2f);
                double[] ref = reference(x, nq, nk, hd, scale);
                Parallel.setThreads(1);
                float[] o1 = run(fk, 12, 12, x, nq, nk, hd, scale);
                Parallel.setThreads(2);
                float[] o2 = run(fk, 12, 12, x, nq, nk, hd, scale);
                assertArrayEquals(o1, o2, "threads, " + java.util.Arrays.toString(s));
                double e = Int8AttentionTest.relErr(ref, o2);
                assertTrue(e < 3e-3, java.util.Arrays.toString(s) + ": rel L2 " + e);
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void codeWidthsThatOverflowInt32SumsAreRefused() {
        Int16FlashKernel fk = kernel();
        float[][] x = data(1, 2, 2, 128, 0f);
        float[] out = new float[2 * HEADS * 128];
        int d = HEADS * 128;
        ConfigException e = assertThrows(ConfigException.class, () -> Int16Attention.attention(fk, 14, 0, x[0], 0, d, x[1], 0, d,
                x[2], 0, d, out, 0, d, 2, 2, HEADS, 128, 1f));
        assertTrue(e.getMessage().contains("14-bit"), e.getMessage());
        // 13-bit codes still fit: 128 · 4095² < 2^31
        Int16Attention.attention(fk, 13, 13, x[0], 0, d, x[1], 0, d, x[2], 0, d, out, 0, d, 2, 2, HEADS, 128, 1f);
        assertThrows(ConfigException.class, () -> Int16Attention.attention(fk, 8, 14, x[0], 0, d, x[1], 0, d,
                x[2], 0, d, out, 0, d, 2, 2, HEADS, 128, 1f));
    }
}
