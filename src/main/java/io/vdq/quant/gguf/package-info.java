/**
 * vdq's encoders for ggml's block formats: {@link io.vdq.quant.gguf.GgufBgr} (BGR-style alternating
 * least-squares refinement of each block's quantized scales, minima and codes, started from ggml's reference
 * encoding and never worse than it, optionally weighted by per-column importance
 * ({@link io.vdq.quant.calib.ColumnImportance}, collected through a {@code model.wan.LinearHook})),
 * {@link io.vdq.quant.gguf.GgufGptq} (GPTQ error feedback through the calibration Hessian onto ggml's grids), and
 * {@link io.vdq.quant.gguf.GgufMethod}, the recipe method {@code gguf} (weights replaced by their ggml-decoded
 * values). {@link io.vdq.quant.gguf.GgmlEncoders} registers the three encoders as {@link io.vdq.quant.GgmlEncoder}s
 * ({@code ref}, {@code bgr}, {@code gptq}) for {@code vdq export-gguf}. Depends on {@code io}, {@code io.gguf} (the block layouts), {@code model}, {@code quant} (the method
 * contract, {@code HessianFactor}), {@code quant.calib} and {@code tensor}.
 */
package io.vdq.quant.gguf;
