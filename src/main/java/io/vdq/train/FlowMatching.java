package io.vdq.train;

import io.vdq.VdqException.ShapeException;
import io.vdq.model.wan.WanModel;
import io.vdq.tensor.Tensor;
import java.util.SplittableRandom;

/**
 * Rectified-flow (flow-matching) training targets as used for Wan: {@code x_t = (1 − σ)·x0 + σ·ε},
 * velocity target {@code v = ε − x0}, model input timestep σ·1000, loss {@code mean((pred − v)²)}.
 * σ is drawn per example, uniform on (0, 1) or logit-normal ({@code sigmoid(m + s·z)}, z ~ N(0, 1)).
 */
public final class FlowMatching {
    private FlowMatching() {}

    public enum Sigmas { UNIFORM, LOGIT_NORMAL }

    /** One noised batch: model input, timesteps (σ·1000), velocity target and the σ per example. */
    public record Sample(Tensor xt, float[] timesteps, Tensor target, float[] sigmas) {}

    public static float[] sampleSigmas(SplittableRandom rng, int batch, Sigmas mode, double logitMean, double logitStd) {
        float[] s = new float[batch];
        for (int b = 0; b < batch; b++) {
            if (mode == Sigmas.UNIFORM) s[b] = (float) rng.nextDouble();
            else {
                double u1 = rng.nextDouble(), u2 = rng.nextDouble();
                double z = Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
                s[b] = (float) (1 / (1 + Math.exp(-(logitMean + logitStd * z))));
            }
        }
        return s;
    }

    /** Noises x0 [B, …] with Gaussian ε and the given σ per example. */
    public static Sample noise(Tensor x0, float[] sigmas, SplittableRandom rng) {
        int batch = x0.dim(0), per = x0.size() / batch;
        if (sigmas.length != batch) throw new ShapeException("flow matching: " + sigmas.length + " sigmas for batch " + batch);
        float[] x = x0.toArray(), eps = new float[x0.size()], xt = new float[x.length], v = new float[x.length];
        Tensor.fillGaussian(rng, eps, 0, eps.length);
        float[] ts = new float[batch];
        for (int b = 0; b < batch; b++) {
            float s = sigmas[b];
            ts[b] = s * 1000f;
            for (int i = b * per; i < (b + 1) * per; i++) {
                xt[i] = (1 - s) * x[i] + s * eps[i];
                v[i] = eps[i] - x[i];
            }
        }
        int[] dims = x0.shape().dims();
        return new Sample(Tensor.of(xt, dims), ts, Tensor.of(v, dims), sigmas.clone());
    }

    /** mean((pred − target)²) in double; writes dLoss/dpred into {@code dPred}. */
    public static double mseLoss(Tensor pred, Tensor target, float[] dPred) {
        return mseLoss(pred, target, dPred, UNIT_WEIGHT);
    }

    /** One slice of weight 1: the weighted loss below computes exactly the plain mean then. */
    private static final float[] UNIT_WEIGHT = {1f};

    /**
     * {@code Σ_b w_b·Σ_i∈b (pred − target)² / (number of values)} in double, example b being the b-th of
     * {@code weights.length} equal slices; writes dLoss/dpred into {@code dPred}.
     */
    public static double mseLoss(Tensor pred, Tensor target, float[] dPred, float[] weights) {
        if (!pred.shape().equals(target.shape()))
            throw new ShapeException("flow-matching loss: prediction " + pred.shape() + " vs target " + target.shape());
        float[] p = pred.toArray(), t = target.toArray();
        if (weights.length == 0 || p.length % weights.length != 0)
            throw new ShapeException("flow-matching loss: " + weights.length + " example weights for " + p.length + " values");
        int per = p.length / weights.length;
        double s = 0, inv = 1.0 / p.length;
        for (int b = 0; b < weights.length; b++) {
            double w = weights[b], sb = 0;
            for (int i = b * per; i < (b + 1) * per; i++) {
                double d = (double) p[i] - t[i];
                sb += d * d;
                dPred[i] = (float) (2 * w * d * inv);
            }
            s += w * sb;
        }
        return s * inv;
    }

    /**
     * The weights that turn the velocity loss of a sample prediction into the MSE of x̂: v̂ − v = (x0 − x̂)/max(σ, minSigma)
     * (see {@link #velocityFromSample}), so weighting example b by max(σ_b, minSigma)² gives ‖x̂ − x0‖² per value.
     */
    public static float[] sampleLossWeights(float[] sigmas, float minSigma) {
        float[] w = new float[sigmas.length];
        for (int b = 0; b < w.length; b++) { float s = Math.max(sigmas[b], minSigma); w[b] = s * s; }
        return w;
    }

    /**
     * The velocity implied by a clean-sample prediction: {@code v̂ = (x_t − x̂) / max(σ, minSigma)} per example. The
     * floor keeps the division bounded near σ = 0 (the same conversion as the runtime's {@code prediction_type
     * "sample"}), so the loss on v̂ is the x̂ error weighted by 1/max(σ, minSigma)².
     */
    public static Tensor velocityFromSample(Tensor xt, Tensor sample, float[] sigmas, float minSigma) {
        if (!xt.shape().equals(sample.shape()))
            throw new ShapeException("flow matching: sample prediction " + sample.shape() + " vs x_t " + xt.shape());
        int batch = xt.dim(0), per = xt.size() / batch;
        if (sigmas.length != batch) throw new ShapeException("flow matching: " + sigmas.length + " sigmas for batch " + batch);
        float[] x = xt.toArray(), v = sample.toArray().clone(); // toArray may be the backing array
        for (int b = 0; b < batch; b++) WanModel.sampleToVelocity(x, v, b * per, per, sigmas[b], minSigma);
        return Tensor.of(v, xt.shape().dims());
    }

    /** Turns dLoss/dv̂ into dLoss/dx̂ in place (v̂ = (x_t − x̂)/max(σ, minSigma), so the factor is −1/max(σ, minSigma)). */
    public static void sampleGradient(float[] d, float[] sigmas, float minSigma) {
        int per = d.length / sigmas.length;
        for (int b = 0; b < sigmas.length; b++) {
            float f = -1f / Math.max(sigmas[b], minSigma);
            for (int i = b * per; i < (b + 1) * per; i++) d[i] *= f;
        }
    }
}
