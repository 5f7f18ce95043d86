package io.vdq.quant.s2q;

import io.vdq.VdqException.ShapeException;

/**
 * S²Q-VDiT's sparse-token-distillation loss (Eq. 10) over a batch of S samples of n tokens × dim features:
 * <pre>  L = (1/S) Σ_s (1/n) Σ_j λ_sj · ‖y_fp,sj − y_q,sj‖²  </pre>
 * (squared norm over the features; with λ ≡ 1 it is dim × the element-mean MSE). The gradient is
 * {@code dL/dy_q = (2/(S·n))·λ·(y_q − y_fp)}. Accumulated in double.
 */
public final class TokenWeightedLoss {
    private TokenWeightedLoss() {}

    /**
     * @param lambda S·n weights (token j of sample s at s·n + j), or null for λ ≡ 1
     * @param grad   receives dL/dy_q (S·n·dim), or null
     */
    public static double loss(float[] yq, float[] yfp, float[] lambda, int samples, int n, int dim, float[] grad) {
        long size = (long) samples * n * dim;
        if (yq.length < size || yfp.length < size || (lambda != null && lambda.length < samples * n) || (grad != null && grad.length < size))
            throw new ShapeException("token-weighted loss: expected " + samples + " samples × " + n + " tokens × " + dim
                    + " features (got outputs of " + yq.length + " and " + yfp.length + " values"
                    + (lambda == null ? "" : ", " + lambda.length + " weights") + ")");
        double total = 0, g = 2.0 / ((double) samples * n);
        for (int t = 0; t < samples * n; t++) {
            double w = lambda == null ? 1 : lambda[t], s = 0;
            int o = t * dim;
            for (int c = 0; c < dim; c++) {
                double e = (double) yq[o + c] - yfp[o + c];
                s += e * e;
                if (grad != null) grad[o + c] = (float) (g * w * e);
            }
            total += w * s;
        }
        return total / ((double) samples * n);
    }
}
