package io.vdq.model.wan;

import io.vdq.tensor.Tensor;

/**
 * Observes the hidden states around each transformer block (calibration, activation statistics). The tensors
 * are live views of the forward's buffers, {@code tokens × dim}: copy what you keep; do not modify them.
 */
public interface BlockHook {
    BlockHook NONE = new BlockHook() {};

    /**
     * Once per forward, before block 0: the latent-patch grid, the tokenised latent ({@code tokens × patch_in},
     * (c, kt, kh, kw) per token), block 0's input ({@code tokens × dim}), the projected text ({@code L × dim}) and the
     * timestep projection ({@code 6·dim}): everything that replays a block forward (S²Q calibration). Live buffers.
     */
    default void beforeBlocks(int ppf, int pph, int ppw, float[] patches, float[] hidden, float[] text, float[] tproj) {}

    default void beforeBlock(int block, Tensor hidden) {}

    default void afterBlock(int block, Tensor hidden) {}

    /**
     * Once per forward, after the output head: the latents and timestep the forward was called with and the velocity
     * it returns ({@code [out_channels, F, H, W]}), so a hook can form the denoised estimate x̂₀ = x_t − σ·v with
     * σ = timestep/1000 (S²Q's C_diff on the denoised feature). Do not modify them.
     */
    default void afterForward(Tensor latents, float timestep, Tensor velocity) {}
}
