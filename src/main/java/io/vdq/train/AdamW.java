package io.vdq.train;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter) as in PyTorch: decoupled weight decay {@code p ← p·(1 − lr·wd)} on parameters
 * with {@link Param#decay()}, then {@code p ← p − lr·m̂/(√v̂ + ε)} with bias-corrected moments
 * m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t). Each parameter's rate is {@code lr·lrScale}. Moments are float32;
 * each element is updated in double on its own, so results do not depend on the thread count.
 */
public final class AdamW {
    private final double beta1, beta2, eps, weightDecay;
    private final Map<Param, float[][]> state = new IdentityHashMap<>();
    private long t;

    public AdamW(double beta1, double beta2, double eps, double weightDecay) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    /** PyTorch's defaults (β 0.9/0.999, ε 1e-8) with the given weight decay. */
    public static AdamW withDecay(double weightDecay) { return new AdamW(0.9, 0.999, 1e-8, weightDecay); }

    public long steps() { return t; }

    /** One update of all {@code params} from their current gradients with base rate {@code lr}. */
    public void step(List<Param> params, double lr) {
        t++;
        double bc1 = 1 - Math.pow(beta1, t), bc2 = 1 - Math.pow(beta2, t);
        for (Param p : params) {
            float[][] mv = state.computeIfAbsent(p, k -> new float[][]{new float[k.size()], new float[k.size()]});
            float[] w = p.v(), g = p.g(), m = mv[0], v = mv[1];
            double lrp = lr * p.lrScale(), decay = p.decay() ? 1 - lrp * weightDecay : 1;
            Ops.par(w.length, 8, (a, b) -> {
                for (int i = a; i < b; i++) {
                    double gi = g[i];
                    double mi = beta1 * m[i] + (1 - beta1) * gi, vi = beta2 * v[i] + (1 - beta2) * gi * gi;
                    m[i] = (float) mi;
                    v[i] = (float) vi;
                    w[i] = (float) (w[i] * decay - lrp * (mi / bc1) / (Math.sqrt(vi / bc2) + eps));
                }
            });
        }
    }
}
