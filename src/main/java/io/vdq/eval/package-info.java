/**
 * Fidelity evaluation: MSE, relative L2, PSNR and cosine similarity between float arrays (latents, frames),
 * per-layer error reports that probe layers only through {@link io.vdq.model.Linear}, and the paired statistics of
 * recipe sweeps ({@link io.vdq.eval.PairedStats}), and the weight error of a GGUF export against its source
 * ({@link io.vdq.eval.GgufWeightError}). Depends on {@code model}, {@code io} and {@code tensor}; knows nothing of
 * quantization methods.
 */
package io.vdq.eval;
