/**
 * Model-scale tools for data-free quantization: synthetic Wan checkpoints with heavy-tailed weights and outlier
 * channels written tensor by tensor ({@link io.vdq.scale.SyntheticCheckpoint}), whole random pipeline folders
 * ({@link io.vdq.scale.SyntheticPipeline}: transformer, UMT5 encoder, tokenizer, VAE, scheduler), and any data-free recipe
 * on a mapped checkpoint streamed tensor by tensor into a sharded quantized checkpoint
 * ({@link io.vdq.scale.StreamingQuantize}, through the method's {@code quant.Layerwise} form).
 * Depends on {@code io}, {@code text}, {@code model.wan} (names and shapes only), {@code model.t5} and
 * {@code model.vae} (their synthetic writers), {@code quant} and {@code quant.ckpt}.
 */
package io.vdq.scale;
