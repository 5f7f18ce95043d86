/**
 * MinMax / round-to-nearest baseline: min/max weight parameters at the recipe's granularity, dynamic
 * activation fake quantization per call (data-free), or static per-tensor activation scales from calibration.
 * Depends on {@code quant}, {@code quant.calib} and {@code model} only.
 */
package io.vdq.quant.minmax;
