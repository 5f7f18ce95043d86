/**
 * Run directories: a {@code run.json} listing generated videos (prompt, seed, frames file, shape) and the frames
 * themselves behind {@link io.vdq.eval.run.FrameFormat} (raw little-endian float32 today, safetensors later).
 * Written by generators (train, demo), read by {@code vdq score}. Depends on {@code tensor} and Jackson.
 */
package io.vdq.eval.run;
