/**
 * The quantized checkpoint format: a self-contained safetensors file (float parameters as in the base, packed
 * integer codes, scales, zero points and transform tensors of every quantized layer) plus a JSON description of the
 * layers, recipe and sampler hooks in {@code __metadata__}. Depends on {@code quant}, {@code model} and {@code io}
 * only: the layer kinds, input transforms and sampler hooks a method brings are stored by the codecs its package
 * registers ({@link io.vdq.quant.ckpt.LayerCodec}, {@link io.vdq.quant.ckpt.TransformCodec},
 * {@link io.vdq.quant.ckpt.HookCodec} in {@code META-INF/services}). docs/FORMAT.md documents the layout.
 */
package io.vdq.quant.ckpt;
