/**
 * T5-family text encoders: UMT5 (Wan2.1's {@code UMT5EncoderModel}, google/umt5-xxl) and T5 v1.1 (CogVideoX's
 * {@code T5EncoderModel}), run from memory-mapped safetensors with their linear layers streamed block by block,
 * plus a random-weight checkpoint writer for tests and benchmarks. Depends on {@code kernel}, {@code io} and
 * {@code tensor} only.
 */
package io.vdq.model.t5;
