/**
 * QuaRot-style baseline: a block-Hadamard rotation (optionally with random signs) of each quantized linear's
 * input, fused into its weights and applied online, then RTN weights and dynamic per-token activations.
 * Depends on {@code quant} and {@code model} only.
 */
package io.vdq.quant.quarot;
