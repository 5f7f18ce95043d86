package io.vdq.quant.s2q;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vdq.quant.Granularity;
import org.junit.jupiter.api.Test;

class ClippedGptqTest {
    @Test
    void groupedScalesWithAnIdentityHessianAreRoundToNearestPerGroup() {
        // H = I, no damping: U = I, so no error reaches later columns and GPTQ is plain rounding with the given scales.
        int out = 2, k = 10, g = 4; // groups of 4, 4, 2
        float[] w = {1, 2, 3, 4, 0.5f, 0.25f, -1, 0.125f, 7, -3.5f,
                     -8, 0, 1, 2, 0, 0, 0, 0, 0.5f, 0.5f};
        double[] h = new double[k * k];
        for (int i = 0; i < k; i++) h[i * k + i] = 1;
        float[] ratio = {1, 1, 1, 0.5f, 1, 1};
        float[] sc = ClippedGptq.clippedScales(w, out, k, 4, ratio, g);
        // max|group|/7 times the ratio; the all-zero group gets scale 1
        assertArrayEquals(new float[]{4f / 7, 1f / 7, 1f, 0.5f * 8 / 7, 1f, 0.5f / 7}, sc, 1e-7f);
        ClippedGptq.Result r = ClippedGptq.quantize("t", w, out, k, h, 4, sc, g, 0);
        assertEquals(Granularity.PER_GROUP, r.params().granularity());
        assertEquals(3, r.params().groupsPerRow());
        // rint(w/Δ) clamped to [−8, 7], Δ in float32 (worked in Python with struct-packed float32 scales): 2/(4/7)
        // and 0.5/(1/7) fall just below 3.5 (→ 3); −3.5/1 rounds half to even (→ −4); −8/(4/7) clamps to −8
        assertArrayEquals(new int[]{2, 3, 5, 7, 3, 2, -7, 1, 7, -4,
                                    -8, 0, 2, 3, 0, 0, 0, 0, 7, 7}, r.codes());
        for (int i = 0; i < w.length; i++) assertEquals(r.codes()[i] * sc[(i / k) * 3 + (i % k) / g], r.dequantized()[i], 0f);
    }
}
