package io.vdq.diffusion;

import io.vdq.tensor.Tensor;

/** A model evaluated by a sampler: the flow velocity for {@code latents} at {@code timestep} given text embeddings. */
@FunctionalInterface
public interface Denoiser {
    /** Returns a new tensor shaped like {@code latents}; must not modify its inputs. */
    Tensor predict(Tensor latents, float timestep, Tensor text);
}
