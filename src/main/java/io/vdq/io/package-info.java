/**
 * Checkpoint and file I/O: safetensors over memory-mapped segments ({@link io.vdq.io.Checkpoints#open} for a
 * file, a sharded index or a diffusers folder; {@link io.vdq.io.SafetensorsWriter} to write), config.json
 * ({@link io.vdq.io.JsonConfig}), GGUF files in {@code io.gguf}, atomic writes of files ({@link io.vdq.io.AtomicFiles}) and whole folders ({@link io.vdq.io.AtomicFolder}), and video/image writers in {@code io.video}. Depends only on
 * {@code tensor}.
 */
package io.vdq.io;
