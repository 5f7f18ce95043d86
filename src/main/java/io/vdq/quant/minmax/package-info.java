/**
 * MinMax / round-to-nearest baseline: min/max weight parameters at the recipe's granularity, dynamic
 * activation fake quantization per call. Data-free. Depends on {@code quant} and {@code model} only.
 */
package io.vdq.quant.minmax;
