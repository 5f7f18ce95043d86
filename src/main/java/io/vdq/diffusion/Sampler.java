package io.vdq.diffusion;

import io.vdq.VdqException.ShapeException;
import io.vdq.tensor.Tensor;

/**
 * Runs a {@link Scheduler} over a {@link Denoiser} with classifier-free guidance as diffusers' Wan pipeline does:
 * when the guidance scale is above 1 the model runs on the text and on the negative text (zeros of the same shape
 * when none is given) and the output is {@code uncond + g·(cond − uncond)}. Noise comes from a seeded generator,
 * so the same seed gives bit-identical latents for any thread count.
 */
public final class Sampler {
    private Sampler() {}

    /** Standard-normal initial latents {@code [C, F, H, W]} from {@code seed}. */
    public static Tensor noise(long seed, int... shape) { return Tensor.randn(seed, shape); }

    public static Tensor sample(Denoiser model, Scheduler scheduler, Tensor noise, Tensor text, Tensor negativeText,
                                float guidance, StepHook hook) {
        boolean cfg = guidance > 1f;
        if (cfg && negativeText == null) negativeText = Tensor.zeros(text.shape().dims());
        if (cfg && negativeText.rank() != text.rank() || cfg && negativeText.dim(negativeText.rank() - 1) != text.dim(text.rank() - 1))
            throw new ShapeException("negative text embeddings " + negativeText.shape() + " do not match the text's width " + text.shape());
        Tensor x = noise.copy();
        float[] xs = x.data();
        int n = scheduler.steps();
        for (int i = 0; i < n; i++) {
            float sigma = scheduler.sigma(i), t = scheduler.timestep(i);
            hook.beforeStep(new StepHook.Step(i, n, sigma, t, x, null, null, null));
            hook.beforePass(i, true);
            Tensor cond = model.predict(x, t, text);
            if (cond.size() != x.size())
                throw new ShapeException("model output " + cond.shape() + " does not match latents " + x.shape());
            Tensor uncond = null, guided = cond;
            if (cfg) {
                hook.beforePass(i, false);
                uncond = model.predict(x, t, negativeText);
                guided = Tensor.zeros(x.shape().dims());
                float[] g = guided.data(), c = cond.toArray(), u = uncond.toArray();
                for (int j = 0; j < g.length; j++) g[j] = u[j] + guidance * (c[j] - u[j]);
            }
            scheduler.step(i, guided.toArray(), xs);
            hook.afterStep(new StepHook.Step(i, n, sigma, t, x, cond, uncond, guided));
        }
        return x;
    }
}
