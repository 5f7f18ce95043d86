/**
 * vdq's encoders for ggml's block formats ({@link io.vdq.quant.gguf.GgufBgr}): BGR-style alternating
 * least-squares refinement of each block's quantized scales, minima and codes, started from ggml's reference
 * encoding and never worse than it, optionally weighted by per-column importance
 * ({@link io.vdq.quant.gguf.ColumnImportance}, collected through a {@code model.wan.LinearHook}). Depends on
 * {@code io}, {@code io.gguf} (the block layouts), {@code model.wan}'s hook interface and {@code tensor}.
 */
package io.vdq.quant.gguf;
