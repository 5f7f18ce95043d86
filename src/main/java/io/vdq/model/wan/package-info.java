/**
 * Wan2.1 text-to-video transformer ({@code WanTransformer3DModel} in diffusers): config, parameter names,
 * loading, forward pass and block hooks. Depends on {@code model}, {@code kernel}, {@code io} and {@code tensor};
 * nothing here knows about samplers or quantization methods.
 */
package io.vdq.model.wan;
