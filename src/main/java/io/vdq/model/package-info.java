/**
 * Video DiT architectures by their diffusers names and config.json keys, and the {@link io.vdq.model.Linear}
 * interface that quantized layers implement. Depends on {@code kernel}, {@code io} and {@code tensor}.
 */
package io.vdq.model;
