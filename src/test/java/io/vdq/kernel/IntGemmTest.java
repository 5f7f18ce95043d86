package io.vdq.kernel;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ShapeException;
import io.vdq.tensor.Parallel;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IntGemmTest {

    @Test
    void quantizerRoundsHalfToEvenAtTies() {
        // max |x| = 127 makes the scale exactly 1, so x / scale = x and every .5 below is an exact tie
        float[] x = {127f, 2.5f, 3.5f, -2.5f, -0.5f, 0.5f, 1.5f, -126.5f, 0.49f};
        ActQuant a = new ActQuant(1, x.length, 8, 0);
        IntGemm.quantizeRows(x, 0, a, 0, 1);
        assertEquals(1f, a.scale[0]);
        byte[] expected = {127, 2, 4, -2, 0, 0, 2, -126, 0, 0, 0, 0}; // padded to kp = 12
        assertArrayEquals(expected, a.q);
        assertEquals(127 + 2 + 4 - 2 + 2 - 126, a.xsum[0]);
    }

    @Test
    void quantizerErrorIsAtMostHalfAStepAndUsesTheFullRange() {
        Random r = new Random(1);
        for (int bits : new int[]{4, 8}) {
            int m = 5, k = 37, qmax = (1 << (bits - 1)) - 1;
            float[] x = IntTestData.activations(r, m, k);
            ActQuant a = new ActQuant(m, k, bits, 12);
            IntGemm.quantizeRows(x, 0, a, 0, m);
            for (int t = 0; t < m; t++) {
                double maxAbs = 0;
                for (int j = 0; j < k; j++) maxAbs = Math.max(maxAbs, Math.abs(x[t * k + j]));
                assertEquals(maxAbs / qmax, a.scale[t], 1e-6 * maxAbs / qmax);
                int peak = 0;
                for (int j = 0; j < k; j++) {
                    int q = a.q[t * a.kp + j];
                    peak = Math.max(peak, Math.abs(q));
                    assertEquals(x[t * k + j], a.scale[t] * q, 0.5 * a.scale[t] * (1 + 1e-5), "row " + t + " col " + j);
                }
                assertEquals(qmax, peak);
                for (int g = 0; g < a.groups; g++) {
                    int sum = 0;
                    for (int j = g * 12; j < Math.min(k, g * 12 + 12); j++) sum += a.q[t * a.kp + j];
                    assertEquals(sum, a.xsum[t * a.groups + g], "xsum row " + t + " group " + g);
                }
            }
        }
    }

    @Test
    void zeroRowGetsScaleZeroAndZeroCodes() {
        ActQuant a = new ActQuant(1, 6, 8, 0);
        IntGemm.quantizeRows(new float[6], 0, a, 0, 1);
        assertEquals(0f, a.scale[0]);
        assertArrayEquals(new byte[8], a.q);
    }

    @Test
    void unitScalesGiveTheExactIntegerDotProducts() {
        Random r = new Random(2);
        int m = 3, n = 5, k = 1000; // |dot| <= 127*127*1000 < 2^24: exact in float
        IntWeights w = IntTestData.weights(r, n, k, 8, 0, false, false);
        java.util.Arrays.fill(w.scale(), 1f);
        ActQuant a = new ActQuant(m, k, 8, 0);
        for (int t = 0; t < m; t++) {
            a.scale[t] = 1f;
            for (int j = 0; j < k; j++) a.q[t * a.kp + j] = (byte) (r.nextInt(255) - 127);
        }
        float[] y = new float[m * n];
        IntGemm.gemmRows(a, w, y, 0, 0, m);
        for (int t = 0; t < m; t++)
            for (int o = 0; o < n; o++) {
                long dot = 0;
                for (int j = 0; j < k; j++) dot += (long) a.q[t * a.kp + j] * w.q()[o * k + j];
                assertEquals(dot, (long) y[t * n + o], "t=" + t + " o=" + o);
            }
    }

    @Test
    void gemmEqualsTheDequantizedProductInDouble() {
        Random r = new Random(3);
        for (int bits : new int[]{4, 8}) {
            int m = 6, n = 9, k = 70, gs = 16;
            IntWeights w = IntTestData.weights(r, n, k, bits, gs, true, true);
            ActQuant a = new ActQuant(m, k, 8, gs);
            IntGemm.quantizeRows(IntTestData.activations(r, m, k), 0, a, 0, m);
            float[] y = new float[m * n];
            IntGemm.gemmRows(a, w, y, 0, 0, m);
            for (int t = 0; t < m; t++)
                for (int o = 0; o < n; o++) {
                    double sum = 0, mag = 0;
                    for (int j = 0; j < k; j++) {
                        int g = j / gs;
                        double wv = w.scale()[o * a.groups + g] * (w.q()[o * k + j] - w.zero()[o * a.groups + g]);
                        double xv = a.scale[t] * a.q[t * a.kp + j];
                        sum += wv * xv;
                        mag += Math.abs(wv * xv);
                    }
                    assertEquals(sum + w.bias()[o], y[t * n + o], 1e-5 * mag + 1e-6, "bits " + bits + " t=" + t + " o=" + o);
                }
        }
    }

    @Test
    void javaBackendIsIndependentOfTheThreadCount() {
        Random r = new Random(4);
        int m = 23, k = 45;
        IntWeights w = IntTestData.weights(r, 17, k, 4, 0, true, true);
        float[] x = IntTestData.activations(r, m, k);
        int saved = Parallel.threads();
        try {
            float[][] ys = new float[2][m * 17];
            for (int th = 1; th <= 2; th++) {
                Parallel.setThreads(th);
                JavaIntBackend.INSTANCE.linear(x, 0, m, JavaIntBackend.INSTANCE.pack(w), 8, ys[th - 1], 0);
            }
            assertArrayEquals(ys[0], ys[1]);
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void rejectsCodesOutsideTheRangeAndMismatchedShapes() {
        byte[] q = {0, -128};
        ShapeException e = assertThrows(ShapeException.class,
                () -> new IntWeights(1, 2, 8, 0, q, new float[]{1f}, null, null));
        assertTrue(e.getMessage().contains("q[0][1] = -128"), e.getMessage());
        assertThrows(ShapeException.class, () -> new IntWeights(1, 2, 4, 0, new byte[]{7, 8}, new float[]{1f}, null, null));
        assertThrows(ShapeException.class, () -> new IntWeights(2, 2, 8, 0, new byte[4], new float[]{1f}, null, null));
        assertThrows(ShapeException.class, () -> new IntWeights(1, 8, 8, 6, new byte[8], new float[]{1f, 1f}, null, null));
        IntWeights w = new IntWeights(1, 8, 8, 4, new byte[8], new float[]{1f, 1f}, null, null);
        ShapeException e2 = assertThrows(ShapeException.class,
                () -> IntGemm.gemmRows(new ActQuant(1, 8, 8, 0), w, new float[1], 0, 0, 1));
        assertTrue(e2.getMessage().contains("groupSize"), e2.getMessage());
        assertThrows(ShapeException.class, () -> IntGemm.gemmRows(new ActQuant(2, 8, 8, 4), w, new float[1], 0, 0, 2));
    }
}
