/**
 * The Wan2.1 video VAE ({@code AutoencoderKLWan} in diffusers, also Wan2.2-A14B's): config, weights by their
 * diffusers names, causal 3-D convolutions with the per-chunk frame cache, decoder, encoder and spatial tiling.
 * Depends on {@code kernel}, {@code io} and {@code tensor}; nothing here knows about the transformer or samplers.
 */
package io.vdq.model.vae;
