/**
 * Model-scale tools for data-free quantization: synthetic Wan checkpoints with heavy-tailed weights and outlier
 * channels written tensor by tensor ({@link io.vdq.scale.SyntheticCheckpoint}), and DVD-Quant of a mapped
 * checkpoint streamed tensor by tensor to a quantized safetensors file ({@link io.vdq.scale.StreamingDvd}).
 * Depends on {@code io}, {@code model.wan} (names and shapes only), {@code quant} and {@code quant.dvd}.
 */
package io.vdq.scale;
