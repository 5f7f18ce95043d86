/**
 * Flow-matching samplers: the {@link io.vdq.diffusion.Scheduler} family (Euler, UniPC as diffusers configures
 * them for Wan), classifier-free guidance, seeded noise and per-step hooks. Depends on {@code tensor} only;
 * models are reached through the {@link io.vdq.diffusion.Denoiser} interface.
 */
package io.vdq.diffusion;
