package io.vdq.model.wan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Timestep embedding, RoPE table, QK RMSNorm across heads and modulation against formulas written out here. */
class WanPiecesTest {

    @Test
    void timestepEmbeddingIsCosThenSinOfGeometricFrequencies() {
        int dim = 256, half = 128;
        for (float t : new float[]{0f, 1f, 7.5f}) {
            float[] e = TimestepEmbedding.sinusoid(t, dim);
            for (int i = 0; i < half; i++) {
                double f = Math.pow(10000.0, -(double) i / half);
                assertEquals(Math.cos(t * f), e[i], 2e-6, "cos part, t=" + t + " i=" + i);
                assertEquals(Math.sin(t * f), e[half + i], 2e-6, "sin part, t=" + t + " i=" + i);
            }
        }
        // at t = 999 the float32 argument (≈999) carries up to ~6e-5 rounding, as in PyTorch
        float[] e = TimestepEmbedding.sinusoid(999f, dim);
        for (int i = 0; i < half; i++) {
            double f = Math.pow(10000.0, -(double) i / half);
            assertEquals(Math.cos(999 * f), e[i], 1.5e-4);
        }
    }

    @Test
    void ropeSplitsHeadDim128Into44_42_42AndUsesPerAxisFrequencies() {
        WanConfig c = WanConfig.wan21T2V1_3B();
        assertEquals(44, c.ropeTDim());
        assertEquals(42, c.ropeHDim());
        int frames = 3, height = 4, width = 6; // patch 1×2×2 → grid 3×2×3
        WanRope.Table tab = WanRope.table(c, frames, height, width);
        assertEquals(18, tab.tokens());
        assertEquals(64, tab.half());
        for (int f = 0; f < 3; f++)
            for (int h = 0; h < 2; h++)
                for (int w = 0; w < 3; w++) {
                    int tok = (f * 2 + h) * 3 + w;
                    for (int p = 0; p < 64; p++) {
                        double angle;
                        if (p < 22) angle = f / Math.pow(10000, 2.0 * p / 44);
                        else if (p < 43) angle = h / Math.pow(10000, 2.0 * (p - 22) / 42);
                        else angle = w / Math.pow(10000, 2.0 * (p - 43) / 42);
                        assertEquals(Math.cos(angle), tab.cos()[tok * 64 + p], 1e-7, "cos tok " + tok + " pair " + p);
                        assertEquals(Math.sin(angle), tab.sin()[tok * 64 + p], 1e-7, "sin tok " + tok + " pair " + p);
                    }
                }
    }

    @Test
    void qkNormIsOneRmsNormAcrossAllHeads() {
        int rows = 3, heads = 2, hd = 12, dim = heads * hd;
        SplittableRandom r = new SplittableRandom(5);
        float[] x = new float[rows * dim], w = new float[dim];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < dim; i++) w[i] = (float) (1 + 0.3 * r.nextGaussian());
        for (int j = 0; j < hd; j++) x[j] *= 10; // head 0 of row 0 much larger: a per-head norm would hide it
        float[] y = x.clone();
        WanBlock.rmsNormAcrossHeads(y, rows, dim, w, 1e-6f);
        for (int row = 0; row < rows; row++) {
            double ss = 0;
            for (int j = 0; j < dim; j++) ss += (double) x[row * dim + j] * x[row * dim + j];
            double inv = 1 / Math.sqrt(ss / dim + 1e-6);
            for (int j = 0; j < dim; j++)
                assertEquals(x[row * dim + j] * inv * w[j], y[row * dim + j], 1e-5, "row " + row + " col " + j);
        }
        // head 1 of row 0 is shrunk by head 0's energy: its rms is far below 1
        double ss1 = 0;
        for (int j = hd; j < dim; j++) ss1 += (y[j] / w[j]) * (y[j] / w[j]);
        assertTrue(Math.sqrt(ss1 / hd) < 0.3, "head 1 normalised jointly with head 0");
    }

    @Test
    void modulationAndGateFollowScaleShiftFormulas() {
        int rows = 2, d = 3;
        float[] x = {1, 2, 3, -1, 0, 4};
        float[] mod = {0.5f, -1f, 2f, /*scale*/ 0.1f, 0f, -0.5f, /*gate*/ 2f, 3f, -1f};
        float[] y = x.clone();
        WanBlock.modulate(y, rows, d, mod, 0, d);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < d; j++)
                assertEquals(x[r * d + j] * (1 + mod[d + j]) + mod[j], y[r * d + j], 1e-6);
        float[] h = {1, 1, 1, 1, 1, 1};
        WanBlock.gatedResidual(h, x, rows, d, mod, 2 * d);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < d; j++) assertEquals(1 + x[r * d + j] * mod[2 * d + j], h[r * d + j], 1e-6);
    }
}
