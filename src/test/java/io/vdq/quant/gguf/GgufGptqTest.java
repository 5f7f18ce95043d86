package io.vdq.quant.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.VdqException.ConfigException;
import io.vdq.io.gguf.GgmlBlocks;
import io.vdq.io.gguf.GgmlType;
import io.vdq.tensor.Parallel;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class GgufGptqTest {
    static final int ROWS = 24, COLS = 512, TOKENS = 1536;

    /**
     * Calibration inputs with correlated channels: an AR(1) process along the input channels (ρ = 0.8) times a
     * log-normal scale per channel, so both diag(H) and its off-diagonal part matter.
     */
    static float[] inputs(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] scale = new float[COLS];
        for (int c = 0; c < COLS; c++) scale[c] = (float) Math.exp(0.7 * rnd.nextGaussian());
        float[] x = new float[TOKENS * COLS];
        for (int t = 0; t < TOKENS; t++) {
            double prev = rnd.nextGaussian();
            for (int c = 0; c < COLS; c++) {
                prev = 0.8 * prev + 0.6 * rnd.nextGaussian();
                x[t * COLS + c] = (float) (prev * scale[c]);
            }
        }
        return x;
    }

    static double[] hessian(float[] x) {
        double[] h = new double[COLS * COLS];
        for (int t = 0; t < TOKENS; t++)
            for (int i = 0; i < COLS; i++) {
                double xi = x[t * COLS + i];
                for (int j = 0; j < COLS; j++) h[i * COLS + j] += xi * x[t * COLS + j];
            }
        return h;
    }

    /** ‖X·Wᵀ − X·Ŵᵀ‖_F / ‖X·Wᵀ‖_F, computed from the two products. */
    static double outputError(float[] x, float[] w, float[] wq) {
        double num = 0, den = 0;
        for (int t = 0; t < TOKENS; t++)
            for (int r = 0; r < ROWS; r++) {
                double y = 0, yq = 0;
                for (int c = 0; c < COLS; c++) {
                    y += (double) x[t * COLS + c] * w[r * COLS + c];
                    yq += (double) x[t * COLS + c] * wq[r * COLS + c];
                }
                num += (y - yq) * (y - yq);
                den += y * y;
            }
        return Math.sqrt(num / den);
    }

    static double weightError(float[] w, float[] wq) {
        double num = 0, den = 0;
        for (int i = 0; i < w.length; i++) { num += Math.pow((double) w[i] - wq[i], 2); den += (double) w[i] * w[i]; }
        return Math.sqrt(num / den);
    }

    static float[] meanSquares(float[] x) {
        float[] m = new float[COLS];
        for (int c = 0; c < COLS; c++) {
            double s = 0;
            for (int t = 0; t < TOKENS; t++) s += (double) x[t * COLS + c] * x[t * COLS + c];
            m[c] = (float) (s / TOKENS);
        }
        return m;
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q4_K", "Q3_K", "Q8_0"})
    void gptqBeatsImportanceWeightedBgrWhichBeatsTheReferenceOnTheOutput(GgmlType t) {
        float[] w = GgufErrorTable.studentT(ROWS, COLS, 3, 21);
        float[] x = inputs(4);
        double[] h = hessian(x);
        float[] ref = GgmlBlocks.decode(t, GgufEncoding.encode(t, GgufEncoding.Method.REF, w, ROWS, COLS, null), ROWS * COLS);
        float[] bgr = GgmlBlocks.decode(t, GgufEncoding.encode(t, GgufEncoding.Method.BGR, w, ROWS, COLS,
                GgufBgr.weights(meanSquares(x))), ROWS * COLS);
        GgufGptq.Result g = GgufGptq.encode("layer", t, w, ROWS, COLS, h, GgufGptq.DEFAULT_DAMP, GgufGptq.Search.BGR);
        float[] gptq = GgmlBlocks.decode(t, g.bytes(), ROWS * COLS);
        assertArrayEquals(g.dequantized(), gptq, "the bytes decode to the values the error feedback used");
        double eRef = outputError(x, w, ref), eBgr = outputError(x, w, bgr), eGptq = outputError(x, w, gptq);
        System.out.printf(java.util.Locale.ROOT, "%s output rel. error: ref %.5f, bgr+importance %.5f, gptq %.5f%n", t, eRef, eBgr, eGptq);
        assertTrue(eBgr <= eRef, t + ": bgr with importance " + eBgr + " > ref " + eRef);
        assertTrue(eGptq < 0.9 * eBgr, t + ": gptq " + eGptq + " not 10 % below bgr " + eBgr + " (ref " + eRef + ")");
    }

    /** With H = I there is nothing to propagate: each block's scales then its nearest codes, never worse than ggml's. */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q4_1", "Q5_0", "Q4_K", "Q5_K", "Q3_K", "Q2_K", "Q6_K", "Q8_0"})
    void identityHessianGivesTheBlockSearchResult(GgmlType t) {
        float[] w = GgufErrorTable.studentT(ROWS, COLS, 3, 5);
        double[] id = new double[COLS * COLS];
        for (int i = 0; i < COLS; i++) id[i * COLS + i] = 1;
        float[] ref = GgmlBlocks.decode(t, GgufEncoding.encode(t, GgufEncoding.Method.REF, w, ROWS, COLS, null), ROWS * COLS);
        float[] bgr = GgmlBlocks.decode(t, GgufEncoding.encode(t, GgufEncoding.Method.BGR, w, ROWS, COLS, null), ROWS * COLS);
        for (GgufGptq.Search s : GgufGptq.Search.values()) {
            GgufGptq.Result g = GgufGptq.encode("layer", t, w, ROWS, COLS, id, GgufGptq.DEFAULT_DAMP, s);
            float[] y = GgmlBlocks.decode(t, g.bytes(), ROWS * COLS);
            assertArrayEquals(g.dequantized(), y, t + " " + s);
            double eRef = weightError(w, ref), e = weightError(w, y);
            // the reference's scales with nearest codes (ggml's legacy formats truncate against 1/d in f32): never worse
            assertTrue(e <= eRef * (1 + 1e-9), t + " " + s + ": " + e + " vs ref " + eRef);
            // BGR's scales with nearest codes: within rounding of BGR's own result, never above it
            if (s == GgufGptq.Search.BGR) assertTrue(e <= weightError(w, bgr) * (1 + 1e-9), t + ": " + e + " vs bgr " + weightError(w, bgr));
        }
    }

    @Test
    void resultDoesNotDependOnTheThreadCount() {
        float[] w = GgufErrorTable.studentT(ROWS, COLS, 3, 8);
        double[] h = hessian(inputs(9));
        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            byte[] one = GgufGptq.encode("l", GgmlType.Q4_K, w, ROWS, COLS, h, 0.01, GgufGptq.Search.BGR).bytes();
            Parallel.setThreads(3);
            byte[] three = GgufGptq.encode("l", GgmlType.Q4_K, w, ROWS, COLS, h, 0.01, GgufGptq.Search.BGR).bytes();
            assertArrayEquals(one, three);
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void deadInputsAndBadShapes() {
        float[] w = GgufErrorTable.studentT(4, 256, 3, 1);
        double[] h = new double[256 * 256];
        for (int i = 0; i < 256; i++) h[i * 256 + i] = i % 2;   // every other input never excited
        float[] y = GgufGptq.encode("l", GgmlType.Q4_K, w, 4, 256, h, 0.01, GgufGptq.Search.REF).dequantized();
        assertEquals(4 * 256, y.length);
        for (float v : y) assertTrue(Float.isFinite(v));
        assertThrows(ConfigException.class, () -> GgufGptq.encode("l", GgmlType.Q4_K, new float[4 * 128], 4, 128, new double[128 * 128], 0.01, GgufGptq.Search.REF));
        assertThrows(ConfigException.class, () -> GgufGptq.encode("l", GgmlType.F16, w, 4, 256, h, 0.01, GgufGptq.Search.REF));
        assertThrows(ConfigException.class, () -> GgufGptq.encode("l", GgmlType.Q4_K, w, 4, 256, new double[10], 0.01, GgufGptq.Search.REF));
    }
}
