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

    static float[] int8(float[][] d, boolean smooth, IntBackend ib) {
        float[] out = new float[NQ * D];
        Int8Attention.attention(ib, Kernels.get(), d[0], 0, D, d[1], 0, D, d[2], 0, D, out, 0, D, NQ, NK, HEADS, HD,
                (float) (1 / Math.sqrt(HD)), smooth);
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
        double eFloat = relErr(ref, fp), eSmooth = relErr(ref, int8(d, true, IntKernels.get())),
                eRaw = relErr(ref, int8(d, false, IntKernels.get()));
        assertTrue(eFloat < 1e-5, "float attention " + eFloat);
        // int8 per-token codes (~0.4 % step) on scores of magnitude ~1: output error of the order of 1 %
        assertTrue(eSmooth < 2e-2, "int8 attention with smoothing: rel L2 " + eSmooth);
        assertTrue(eSmooth < 0.5 * eRaw, "smoothing helps when K has channel means: " + eSmooth + " vs " + eRaw);
    }

    @Test
    void smoothingMakesTheResultInvariantToKeyChannelOffsets() {
        float[][] a = data(2, 0f), b = data(2, 0f);
        for (int i = 0; i < b[1].length; i++) b[1][i] += (i % D) % 3 == 0 ? 6f : -2f; // per-channel constant
        float[] ya = int8(a, true, IntKernels.get()), yb = int8(b, true, IntKernels.get());
        double e = 0, n = 0;
        for (int i = 0; i < ya.length; i++) { e += (double) (ya[i] - yb[i]) * (ya[i] - yb[i]); n += (double) ya[i] * ya[i]; }
        assertTrue(Math.sqrt(e / n) < 2e-3, "offset K changes the output by rel L2 " + Math.sqrt(e / n));
    }

    @Test
    void javaAndNativeIntegerBackendsAgreeBitForBit() {
        IntBackend nat = IntKernels.select("auto");
        float[][] d = data(3, 4f);
        assertArrayEquals(int8(d, true, JavaIntBackend.INSTANCE), int8(d, true, nat), 0f, "backend " + nat.name());
    }
}
