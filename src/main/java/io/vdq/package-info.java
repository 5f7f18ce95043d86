/**
 * vdq: post-training quantization of video diffusion transformers.
 * Data flows one way: checkpoint ({@code io}) → {@code model} → {@code diffusion} sampler → video;
 * {@code quant} rewrites a model's linears; {@code eval} compares runs; {@code cli} wires it for users.
 */
package io.vdq;
