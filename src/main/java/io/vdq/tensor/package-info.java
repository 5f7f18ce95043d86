/**
 * Dense float32 tensors ({@link io.vdq.tensor.Tensor}), shapes, and the one shared thread pool
 * ({@link io.vdq.tensor.Parallel}) every parallel loop runs on. Depends on nothing else in vdq.
 */
package io.vdq.tensor;
