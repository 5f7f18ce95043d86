package io.vdq.quant.s2q;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.tensor.Parallel;
import io.vdq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class TokenImportanceTest {
    /** Column sums of the full attention maps, computed densely in double. */
    private static double[] dense(float[] q, float[] k, int nq, int nk, int heads, int hd, double scale) {
        double[] s = new double[nk];
        int w = heads * hd;
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < nq; i++) {
                double[] l = new double[nk];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < nk; j++) {
                    double d = 0;
                    for (int p = 0; p < hd; p++) d += (double) q[i * w + h * hd + p] * k[j * w + h * hd + p];
                    l[j] = d * scale;
                    max = Math.max(max, l[j]);
                }
                for (int j = 0; j < nk; j++) { l[j] = Math.exp(l[j] - max); sum += l[j]; }
                for (int j = 0; j < nk; j++) s[j] += l[j] / sum;
            }
        return s;
    }

    @Test
    void chunkedColumnSumsEqualDenseAttentionMaps() {
        int nq = 37, nk = 29, heads = 3, hd = 8;
        float[] q = Tensor.randn(1, nq, heads * hd).data(), k = Tensor.randn(2, nk, heads * hd).data();
        float scale = (float) (1 / Math.sqrt(hd));
        double[] ref = dense(q, k, nq, nk, heads, hd, scale);
        for (int chunk : new int[]{1, 8, 64}) {
            double[] s = TokenImportance.receivedAttention(q, 0, heads * hd, k, 0, heads * hd, nq, nk, heads, hd, scale, chunk);
            for (int j = 0; j < nk; j++) assertEquals(ref[j], s[j], 1e-4 * (1 + ref[j]), "key " + j + " chunk " + chunk);
            double total = 0;
            for (double v : s) total += v;
            assertEquals(heads * nq, total, 1e-3, "every query row distributes exactly one unit per head");
        }
    }

    @Test
    void resultDoesNotDependOnThreadCount() {
        int n = 50, heads = 4, hd = 4;
        float[] q = Tensor.randn(3, n, heads * hd).data(), k = Tensor.randn(4, n, heads * hd).data();
        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            double[] a = TokenImportance.receivedAttention(q, 0, 16, k, 0, 16, n, n, heads, hd, 0.5f, 16);
            Parallel.setThreads(2);
            double[] b = TokenImportance.receivedAttention(q, 0, 16, k, 0, 16, n, n, heads, hd, 0.5f, 16);
            assertArrayEquals(a, b);
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void lambdasMapMinToLowerAndMaxToUpperBound() {
        float[] l = TokenImportance.lambdas(new double[]{2, 4, 3, 10}, 0.5f, 1f);
        assertArrayEquals(new float[]{0.5f, 0.625f, 0.5625f, 1f}, l, 1e-6f);
        assertArrayEquals(new float[]{1f, 1f}, TokenImportance.lambdas(new double[]{3, 3}, 0.5f, 1f));
    }

    @Test
    void topShareIsTheHeadOfTheSortedMass() {
        // 20 tokens: two receive 8 each, the rest 1 each → top 10 % = 2 tokens = 16 of 34
        double[] s = new double[20];
        java.util.Arrays.fill(s, 1);
        s[3] = 8;
        s[17] = 8;
        assertEquals(16.0 / 34, TokenImportance.topShare(s, 0.1), 1e-15);
        assertEquals(0.1, TokenImportance.topShare(new double[]{2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, 0.1), 1e-15, "uniform: the fraction itself");
        assertEquals(1.0, TokenImportance.topShare(new double[]{0, 0, 5}, 0.1), 1e-15, "ceil: one of three tokens is the head");
        assertThrows(io.vdq.VdqException.ConfigException.class, () -> TokenImportance.topShare(s, 0));
    }
}
