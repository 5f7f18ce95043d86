/**
 * vdq's encoders for ggml's block formats ({@link io.vdq.quant.gguf.GgufBgr}): BGR-style alternating
 * least-squares refinement of each block's quantized scales, minima and codes, started from ggml's reference
 * encoding and never worse than it, optionally weighted by per-column importance. Depends on {@code io.gguf}
 * (the block layouts) and {@code tensor} only.
 */
package io.vdq.quant.gguf;
