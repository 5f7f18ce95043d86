/**
 * SmoothQuant baseline: per-channel smoothing s_j = max|X_j|^α / max|W_j|^(1−α) from calibration abs maxima,
 * folded into the weights and applied online to activations (adaLN modulation prevents folding into norms).
 * Depends on {@code quant}, {@code quant.calib} and {@code model} only.
 */
package io.vdq.quant.smoothquant;
