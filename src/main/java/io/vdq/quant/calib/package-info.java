/**
 * Calibration plumbing: a recording {@link io.vdq.model.Linear} decorator that streams per-layer input statistics
 * (per-channel abs max overall and per step, XᵀX in double, sampled tokens) while a
 * {@link io.vdq.quant.Calibration} runs, and restores the layers afterwards. Depends on {@code quant} and {@code model}.
 */
package io.vdq.quant.calib;
