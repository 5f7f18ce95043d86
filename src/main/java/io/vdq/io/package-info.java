/**
 * Checkpoint and file I/O: safetensors over memory-mapped segments (single files, sharded index folders,
 * diffusers model folders), JSON, and video/image writers. Depends only on {@code tensor}.
 */
package io.vdq.io;
