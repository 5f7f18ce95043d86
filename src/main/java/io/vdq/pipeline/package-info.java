/**
 * What ties models, text and sampling together outside the CLI: {@link io.vdq.pipeline.ModelLoader} (the one place
 * a {@code --model} becomes a runnable model: random, transformer folder, quantized checkpoint, diffusers pipeline
 * folder, Wan2.2's two experts), {@link io.vdq.pipeline.PromptEncoder}s (UMT5 + tokenizer as WanPipeline encodes,
 * or the synthetic world's), {@link io.vdq.pipeline.QuantizePipeline} (calibrate on the model's own prompts or
 * given embeddings, quantize, tune δ-GBS, measure per-layer errors, save a quantized checkpoint) and
 * {@link io.vdq.pipeline.RecipeRun} (one recipe against full precision on a pixel-space model, for the demo and the
 * sweep) and {@link io.vdq.pipeline.Demo} (the demo's run, its report rendered by {@code eval.report.DemoReport}). Sits at the CLI's level: may depend on {@code quant}, {@code quant.ckpt}, {@code diffusion}, {@code eval}, {@code synth},
 * {@code text}, {@code model} and {@code io}.
 */
package io.vdq.pipeline;
