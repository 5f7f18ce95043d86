/**
 * GGUF v3 files (the llama.cpp / ggml container read by ComfyUI-GGUF and stable-diffusion.cpp): a validating
 * memory-mapped reader that is a {@link io.vdq.io.TensorSource}, a streaming writer that follows ggml's strict
 * layout rules, the ggml block formats (decoders and ggml's reference encoders) and the Wan name mapping.
 * Depends only on {@code io} and {@code tensor}.
 */
package io.vdq.io.gguf;
