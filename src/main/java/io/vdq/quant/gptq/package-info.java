/**
 * GPTQ weight quantization: Hessian XᵀX from calibration inputs, 1 % damping, inverse-Hessian Cholesky factor and
 * column-by-column error compensation in double, per-channel or grouped parameters, act-order option.
 * Depends on {@code quant}, {@code quant.calib} and {@code model} only.
 */
package io.vdq.quant.gptq;
