package io.vdq.quant.s2q;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TokenWeightedLossTest {
    @Test
    void equalsTheWeightedPerTokenFormulaOnAHandExample() {
        // 2 samples × 2 tokens × 2 features; errors e = yq − yfp per token: (1,2), (0,1) | (3,0), (1,1)
        float[] yfp = {0, 0, 1, 1, 2, 2, 0, 0};
        float[] yq = {1, 2, 1, 2, 5, 2, 1, 1};
        float[] lambda = {1f, 0.5f, 0.75f, 1f};
        // (1/S) Σ_s (1/n) Σ_j λ ‖e‖²  = ½·[(1·5 + 0.5·1)/2 + (0.75·9 + 1·2)/2] = ½·[2.75 + 4.375]
        assertEquals(3.5625, TokenWeightedLoss.loss(yq, yfp, lambda, 2, 2, 2, null), 1e-12);
        // λ ≡ 1: dim × the element mean of e² = 2 · (1+4+0+1+9+0+1+1)/8
        assertEquals(2 * 17.0 / 8, TokenWeightedLoss.loss(yq, yfp, null, 2, 2, 2, null), 1e-12);
        float[] ones = {1, 1, 1, 1};
        assertEquals(TokenWeightedLoss.loss(yq, yfp, null, 2, 2, 2, null), TokenWeightedLoss.loss(yq, yfp, ones, 2, 2, 2, null), 0);
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        int s = 3, n = 4, d = 5;
        float[] yq = LearnableTransformTest.gauss(1, s * n * d, 1), yfp = LearnableTransformTest.gauss(2, s * n * d, 1);
        float[] lambda = new float[s * n];
        for (int i = 0; i < lambda.length; i++) lambda[i] = 0.5f + 0.5f * i / (lambda.length - 1);
        float[] g = new float[yq.length];
        TokenWeightedLoss.loss(yq, yfp, lambda, s, n, d, g);
        for (int i = 0; i < yq.length; i++) {
            float v = yq[i];
            yq[i] = v + 1e-3f; double lp = TokenWeightedLoss.loss(yq, yfp, lambda, s, n, d, null);
            yq[i] = v - 1e-3f; double lm = TokenWeightedLoss.loss(yq, yfp, lambda, s, n, d, null);
            yq[i] = v;
            // the loss is quadratic: central differences are exact up to the float perturbation of yq
            assertEquals((lp - lm) / ((double) (v + 1e-3f) - (v - 1e-3f)), g[i], 1e-5, "element " + i);
        }
    }
}
