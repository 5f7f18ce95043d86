package io.vdq.model.vae;

/**
 * Where the VAE's modules take their weights from while they are built: each module asks for its tensors by
 * diffusers name and PyTorch shape, in a fixed order. A loader checks the name and shape against a checkpoint;
 * {@link SyntheticVae} makes random ones; {@link WanVaeLayout} only records them.
 */
interface Params {
    /** The tensor's elements, row-major, as float32. */
    float[] take(String name, int... shape);
}
