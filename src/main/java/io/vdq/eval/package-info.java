/**
 * Fidelity evaluation: MSE, relative L2, PSNR and cosine similarity between float arrays (latents, frames), and
 * per-layer error reports that probe layers only through {@link io.vdq.model.Linear}. Depends on {@code model}
 * and {@code tensor}; knows nothing of quantization methods.
 */
package io.vdq.eval;
