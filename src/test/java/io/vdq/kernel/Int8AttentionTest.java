package io.vdq.kernel;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.kernel.nat.IntKernels;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** int8 Q·Kᵀ attention against softmax(scale·Q·Kᵀ)·V in double, with and without K smoothing. */
class Int8AttentionTest {
    static final int NQ = 260, NK = 64, HEADS = 2, HD = 32, D = HEADS * HD; // NQ > Q_BLOCK: two query blocks

    /** Gaussian Q, K, V; K gets per-channel offsets of ±keyBias (the channel means SageAttention removes). */
    static float[][] data(long seed, float keyBias) {
        Random r = new Random(seed);
        float[] q = new float[NQ * D], k = new float[NK * D], v = new float[NK * D], bias = new float[D];
        for (int c = 0; c < D; c++) bias[c] = keyBias * (r.nextBoolean() ? 1 : -1) * r.nextFloat();
        for (int i = 0; i < q.length; i++) q[i] = (float) r.nextGaussian();
        for (int i = 0; i < k.length; i++) k[i] = (float) r.nextGaussian() + bias[i % D];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return new float[][]{q, k, v};
    }

    static double[] reference(float[] q, float[] k, float[] v, float scale) {
        double[] out = new double[NQ * D];
        double[] p = new double[NK];
        for (int h = 0; h < HEADS; h++)
            for (int t = 0; t < NQ; t++) {
                double mx = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < NK; j++) {
                    double s = 0;
                    for (int c = 0; c < HD; c++) s += (double) q[t * D + h * HD + c] * k[j * D + h * HD + c];
                    p[j] = s * scale;
                    mx = Math.max(mx, p[j]);
                }
                for (int j = 0; j < NK; j++) { p[j] = Math.exp(p[j] - mx); sum += p[j]; }
                for (int c = 0; c < HD; c++) {
                    double o = 0;
                    for (int j = 0; j < NK; j++) o += p[j] * v[j * D + h * HD + c];
                    out[t * D + h * HD + c] = o / sum;
                }
            }
        return out;
    }

    static float[] int8(float[][] d, boolean smooth, IntBackend ib) { return int8(d, smooth, ib, false); }

    static float[] int8(float[][] d, boolean smooth, IntBackend ib, boolean intPV) {
        float[] out = new float[NQ * D];
        Int8Attention.attention(ib, Kernels.get(), d[0], 0, D, d[1], 0, D, d[2], 0, D, out, 0, D, NQ, NK, HEADS, HD,
                (float) (1 / Math.sqrt(HD)), smooth, intPV);
        return out;
    }

    static double relErr(double[] ref, float[] got) {
        double e = 0, n = 0;
        for (int i = 0; i < ref.length; i++) { e += (ref[i] - got[i]) * (ref[i] - got[i]); n += ref[i] * ref[i]; }
        return Math.sqrt(e / n);
    }

    @Test
    void int8ScoresStayCloseToFloatAttentionAndSmoothingRemovesKeyChannelMeans() {
        float scale = (float) (1 / Math.sqrt(HD));
        float[][] d = data(1, 8f);
        double[] ref = reference(d[0], d[1], d[2], scale);
        float[] fp = new float[NQ * D];
        Kernels.get().attention(d[0], 0, D, d[1], 0, D, d[2], 0, D, fp, 0, D, NQ, NK, HEADS, HD, scale);
        double eFloat = relErr(ref, fp), eSmooth = relErr(ref, int8(d, true, ExecutionContext.intBackend())),
                eRaw = relErr(ref, int8(d, false, ExecutionContext.intBackend()));
        assertTrue(eFloat < 1e-5, "float attention " + eFloat);
        // int8 per-token codes (~0.4 % step) on scores of magnitude ~1: output error of the order of 1 %
        assertTrue(eSmooth < 2e-2, "int8 attention with smoothing: rel L2 " + eSmooth);
        assertTrue(eSmooth < 0.5 * eRaw, "smoothing helps when K has channel means: " + eSmooth + " vs " + eRaw);
    }

    @Test
    void smoothingMakesTheResultInvariantToKeyChannelOffsets() {
        float[][] a = data(2, 0f), b = data(2, 0f);
        for (int i = 0; i < b[1].length; i++) b[1][i] += (i % D) % 3 == 0 ? 6f : -2f; // per-channel constant
        float[] ya = int8(a, true, ExecutionContext.intBackend()), yb = int8(b, true, ExecutionContext.intBackend());
        double e = 0, n = 0;
        for (int i = 0; i < ya.length; i++) { e += (double) (ya[i] - yb[i]) * (ya[i] - yb[i]); n += (double) ya[i] * ya[i]; }
        assertTrue(Math.sqrt(e / n) < 2e-3, "offset K changes the output by rel L2 " + Math.sqrt(e / n));
    }

    @Test
    void javaAndNativeIntegerBackendsAgreeBitForBit() {
        IntBackend nat = IntKernels.select("auto");
        float[][] d = data(3, 4f);
        assertArrayEquals(int8(d, true, JavaIntBackend.INSTANCE), int8(d, true, nat), 0f, "backend " + nat.name());
        assertArrayEquals(int8(d, true, JavaIntBackend.INSTANCE, true), int8(d, true, nat, true), 0f, "int8 P·V, backend " + nat.name());
    }

    /** Heads run in parallel and each head's products inline: the output must not depend on the thread count. */
    @Test
    void sameBitsForOneAndTwoThreads() {
        int saved = io.vdq.tensor.Parallel.threads();
        float[][] d = data(5, 4f);
        try {
            io.vdq.tensor.Parallel.setThreads(1);
            float[] one = int8(d, true, ExecutionContext.intBackend(), false), onePV = int8(d, true, ExecutionContext.intBackend(), true);
            io.vdq.tensor.Parallel.setThreads(2);
            assertArrayEquals(one, int8(d, true, ExecutionContext.intBackend(), false));
            assertArrayEquals(onePV, int8(d, true, ExecutionContext.intBackend(), true));
        } finally {
            io.vdq.tensor.Parallel.setThreads(saved);
        }
    }

    /**
     * int8 P·V against double attention. Error budget: P's codes step by p_max/127 per row, V's by max|v|/127 per
     * channel; each product adds a rounding error of the order of 1 %. The P error grows with how diffuse a row is
     * (the step is set by the row's largest probability), so here, with 64 keys, the total stays a few percent and
     * above the float-P·V path's.
     */
    @Test
    void int8PVStaysWithinAFewPercentAndAddsToTheScoresError() {
        float scale = (float) (1 / Math.sqrt(HD));
        float[][] d = data(4, 8f);
        double[] ref = reference(d[0], d[1], d[2], scale);
        double eQK = relErr(ref, int8(d, true, ExecutionContext.intBackend(), false)), ePV = relErr(ref, int8(d, true, ExecutionContext.intBackend(), true));
        assertTrue(ePV < 4e-2, "int8 Q·Kᵀ and P·V: rel L2 " + ePV);
        assertTrue(ePV > eQK, "quantizing P and V adds error: " + ePV + " vs " + eQK);
        // a hand-checkable case: one key per query gets all the weight (scores far apart), so P is one-hot,
        // quantizes exactly (127 at the max, 0 elsewhere) and the output is that key's V up to V's int8 rounding
        int nq = 4, nk = 8, hd = 4;
        float[] q = new float[nq * hd], k = new float[nk * hd], v = new float[nk * hd], out = new float[nq * hd];
        for (int t = 0; t < nq; t++) q[t * hd + t] = 1;                 // query t looks along axis t
        for (int j = 0; j < nk; j++) k[j * hd + j % hd] = j < hd ? 100 : -100; // key j < 4 is the only match for query j
        for (int i = 0; i < v.length; i++) v[i] = (i % 5) - 2 + 0.25f * (i % 3);
        Int8Attention.attention(ExecutionContext.intBackend(), Kernels.get(), q, 0, hd, k, 0, hd, v, 0, hd, out, 0, hd, nq, nk, 1, hd, 1f, false, true);
        for (int t = 0; t < nq; t++)
            for (int c = 0; c < hd; c++) {
                float maxAbs = 0;
                for (int j = 0; j < nk; j++) maxAbs = Math.max(maxAbs, Math.abs(v[j * hd + c]));
                assertEquals(v[t * hd + c], out[t * hd + c], maxAbs / 127 / 2 * 1.001f, "query " + t + " channel " + c);
            }
    }
}
