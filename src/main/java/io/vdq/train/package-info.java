/**
 * Training engine in the llm.c style: every layer has an explicit forward (returning a cache with what its
 * backward needs) and backward (input gradients + parameter gradients accumulated into {@link io.vdq.train.Param}
 * grad buffers); no autograd graph. Holds the trainable Wan2.1 model, fake quantization with a straight-through
 * estimator, AdamW, schedules, EMA and the flow-matching loss. Depends on {@code kernel} and {@code tensor} only.
 */
package io.vdq.train;
