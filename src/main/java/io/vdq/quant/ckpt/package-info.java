/**
 * The quantized checkpoint format: a self-contained safetensors file (float parameters as in the base, packed
 * integer codes, scales, zero points and transform tensors of every quantized layer) plus a JSON description of the
 * layers, recipe and sampler hooks in {@code __metadata__}. Depends on {@code quant}, its layer kinds
 * ({@code quant.dvd}, {@code quant.vidit}), {@code model} and {@code io}. docs/FORMAT.md documents the layout.
 */
package io.vdq.quant.ckpt;
