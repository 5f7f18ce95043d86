/**
 * Pipelines that tie quantization to sampling outside the CLI: {@link io.vdq.pipeline.QuantizePipeline} (calibrate
 * on prompts, quantize, tune δ-GBS, measure per-layer errors, save a quantized checkpoint) and the sampler glue it
 * needs. Sits at the CLI's level: may depend on {@code quant}, {@code quant.ckpt}, {@code diffusion}, {@code eval},
 * {@code synth}, {@code model} and {@code io}.
 */
package io.vdq.pipeline;
