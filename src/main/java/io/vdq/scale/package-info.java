/**
 * Model-scale tools for data-free quantization: synthetic Wan checkpoints with heavy-tailed weights and outlier
 * channels written tensor by tensor ({@link io.vdq.scale.SyntheticCheckpoint}), whole random pipeline folders
 * ({@link io.vdq.scale.SyntheticPipeline}: transformer, UMT5 encoder, tokenizer, VAE, scheduler), and DVD-Quant of a mapped
 * checkpoint streamed tensor by tensor into a quantized checkpoint ({@link io.vdq.scale.StreamingDvd}).
 * Depends on {@code io}, {@code text}, {@code model.wan} (names and shapes only), {@code model.t5} and
 * {@code model.vae} (their synthetic writers), {@code quant}, {@code quant.ckpt} and {@code quant.dvd}.
 */
package io.vdq.scale;
