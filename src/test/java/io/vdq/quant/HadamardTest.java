package io.vdq.quant;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ConfigException;
import io.vdq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class HadamardTest {
    /** Dense normalised Sylvester Hadamard entry: (-1)^popcount(i & j) / sqrt(b). */
    private static double h(int i, int j, int b) { return (Integer.bitCount(i & j) % 2 == 0 ? 1 : -1) / Math.sqrt(b); }

    @Test
    void matchesDenseBlockDiagonalMatrixWithSigns() {
        int k = 24, b = 8;
        Hadamard rot = new Hadamard(k, b, 7);
        float[] x = Tensor.randn(1, k).data().clone();
        float[] signs = new float[k];
        for (int i = 0; i < k; i++) { float[] e = new float[k]; e[i] = 1; rot.rotateRow(e, 0); // e_i·D·H: row i of D·H
            int blk = i / b * b; signs[i] = (float) Math.signum(e[blk] * Math.sqrt(b)); }
        float[] y = x.clone();
        rot.rotateRow(y, 0);
        for (int j = 0; j < k; j++) {
            double s = 0;
            int blk = j / b * b;
            for (int i = blk; i < blk + b; i++) s += x[i] * signs[i] * h(i - blk, j - blk, b);
            assertEquals(s, y[j], 1e-5, "column " + j);
        }
    }

    @Test
    void rotationIsOrthogonalSoProductsAreKept() {
        int k = 64, n = 5;
        Hadamard rot = new Hadamard(k, Hadamard.defaultBlock(k, 1024), 3);
        float[] x = Tensor.randn(11, 1, k).data().clone();
        float[] w = Tensor.randn(12, n, k).data().clone();
        double[] ref = new double[n];
        for (int j = 0; j < n; j++) for (int p = 0; p < k; p++) ref[j] += x[p] * w[j * k + p];
        rot.rotateRows(x, 0, 1);
        rot.rotateRows(w, 0, n);
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int p = 0; p < k; p++) s += x[p] * w[j * k + p];
            assertEquals(ref[j], s, 1e-4);
        }
        float[] back = x.clone();
        rot.inverseRotateRow(back, 0);
        float[] orig = Tensor.randn(11, 1, k).data();
        for (int p = 0; p < k; p++) assertEquals(orig[p], back[p], 1e-5);
    }

    @Test
    void defaultBlockIsLargestPowerOfTwoDividingKCapped() {
        assertEquals(512, Hadamard.defaultBlock(1536, 1024));
        assertEquals(256, Hadamard.defaultBlock(8960, 1024)); // 8960 = 256·35
        assertEquals(1024, Hadamard.defaultBlock(4096, 1024));
        assertEquals(1, Hadamard.defaultBlock(7, 1024));
        assertThrows(ConfigException.class, () -> new Hadamard(24, 16, 0));
    }
}
