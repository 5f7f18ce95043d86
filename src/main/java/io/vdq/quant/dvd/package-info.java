/**
 * DVD-Quant (arXiv 2505.18663): Bounded-init Grid Refinement of weights ({@link io.vdq.quant.dvd.Bgr}),
 * Auto-scaling Rotated Quantization of activations ({@link io.vdq.quant.dvd.Arq}) and δ-Guided Bit Switching
 * of the activation bit width per denoising step ({@link io.vdq.quant.dvd.BitSwitcher}).
 * Depends on {@code io.vdq.quant}, {@code io.vdq.model} interfaces and {@code io.vdq.tensor} only; its checkpoint codecs
 * ({@link io.vdq.quant.dvd.ArqCodec}, {@link io.vdq.quant.dvd.GbsCodec}) implement {@code io.vdq.quant.ckpt}'s interfaces.
 */
package io.vdq.quant.dvd;
