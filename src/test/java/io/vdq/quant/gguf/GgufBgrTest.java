package io.vdq.quant.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.io.gguf.GgmlBlocks;
import io.vdq.io.gguf.GgmlRefQuant;
import io.vdq.io.gguf.GgmlType;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class GgufBgrTest {
    static double sse(float[] x, int off, float[] y, float[] w) {
        double e = 0;
        for (int i = 0; i < y.length; i++) {
            double d = (double) x[off + i] - y[i];
            e += (w == null ? 1 : w[i]) * d * d;
        }
        return e;
    }

    /** Property: per block, BGR's decoded error is never above ggml's reference encoder's, and it is what the bytes decode to. */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16"}, mode = EnumSource.Mode.EXCLUDE)
    void neverWorseThanTheReferencePerBlock(GgmlType t) {
        int cols = 1024, rows = 12;
        float[] x = GgufErrorTable.studentT(rows, cols, 3, 11);
        // a few special rows: zeros, constant, all-positive, one huge outlier
        for (int i = 0; i < cols; i++) {
            x[i] = 0;
            x[cols + i] = 0.25f;
            x[2 * cols + i] = Math.abs(x[2 * cols + i]);
        }
        x[3 * cols + 7] = 1e3f;
        double refTotal = 0, bgrTotal = 0;
        for (int r = 0; r < rows; r++) {
            byte[] ref = GgmlRefQuant.encode(t, x, r * cols, cols);
            byte[] bgr = GgufBgr.encode(t, x, r * cols, cols);
            float[] yr = GgmlBlocks.decode(t, ref, cols), yb = GgmlBlocks.decode(t, bgr, cols);
            for (int b = 0; b < cols / t.blockSize; b++) {
                float[] br = java.util.Arrays.copyOfRange(yr, b * t.blockSize, (b + 1) * t.blockSize);
                float[] bb = java.util.Arrays.copyOfRange(yb, b * t.blockSize, (b + 1) * t.blockSize);
                double er = sse(x, r * cols + b * t.blockSize, br, null), eb = sse(x, r * cols + b * t.blockSize, bb, null);
                assertTrue(eb <= er, t + " row " + r + " block " + b + ": bgr " + eb + " > ref " + er);
                refTotal += er;
                bgrTotal += eb;
            }
        }
        assertTrue(bgrTotal < refTotal, t + ": bgr " + bgrTotal + " vs ref " + refTotal);
    }

    /** The improvement is material on heavy-tailed weights for the types vdq exports most. */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_K", "Q5_K", "Q3_K", "Q2_K", "Q4_1"})
    void lowersTheErrorOfKQuantsByMoreThanTwoPercent(GgmlType t) {
        float[] w = GgufErrorTable.studentT(16, 1536, 3, 5);
        double[] c = GgufErrorTable.compare(t, w, 16, 1536);
        assertTrue(c[1] < 0.98 * c[0], t + ": ref " + c[0] + ", bgr " + c[1]);
        assertEquals(0, c[3], "blocks where bgr is worse");
    }

    /** With importance weights the weighted error, which is what is minimised, is never above the reference's. */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_K", "Q8_0", "Q4_0", "Q6_K", "Q3_K", "Q5_1"})
    void weightedVariantNeverWorseInTheWeightedError(GgmlType t) {
        int n = 2048;
        float[] x = GgufErrorTable.studentT(1, n, 3, 3);
        SplittableRandom r = new SplittableRandom(4);
        float[] imp = new float[n];
        for (int i = 0; i < n; i++) imp[i] = (float) Math.exp(3 * r.nextDouble() - 1.5);
        float[] yr = GgmlBlocks.decode(t, GgmlRefQuant.encode(t, x, 0, n), n);
        float[] yb = GgmlBlocks.decode(t, GgufBgr.encode(t, x, 0, n, imp, 0), n);
        float[] yu = GgmlBlocks.decode(t, GgufBgr.encode(t, x, 0, n), n);
        double er = sse(x, 0, yr, imp), eb = sse(x, 0, yb, imp), eu = sse(x, 0, yu, imp);
        assertTrue(eb < er, t + ": weighted bgr " + eb + " vs ref " + er);
        assertTrue(eb <= eu * 1.0001, t + ": weighting should not lose to unweighted BGR in the weighted error: " + eb + " vs " + eu);
    }
}
