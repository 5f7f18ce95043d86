/**
 * ViDiT-Q-style baseline: per-channel weights, dynamic per-token activations, and timestep-aware channel
 * balancing (a SmoothQuant-like scale with its own α and activation maxima per range of denoising steps, one
 * weight copy per range). Depends on {@code quant}, {@code quant.calib}, {@code quant.ckpt} (its layer's
 * checkpoint codec) and {@code model} only.
 */
package io.vdq.quant.vidit;
