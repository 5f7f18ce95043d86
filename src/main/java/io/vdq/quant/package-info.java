/**
 * Quantization: uniform quantizers, quantized linear layers, recipes (values), rotations, calibration.
 * Method packages ({@code quant.dvd}, {@code quant.s2q}, {@code quant.gptq}, …) depend on this package and
 * {@code model} interfaces only, never on each other.
 */
package io.vdq.quant;
