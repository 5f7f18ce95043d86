package io.vdq.model.wan;

import io.vdq.tensor.Tensor;

/**
 * Observes the hidden states around each transformer block (calibration, activation statistics). The tensors
 * are live views of the forward's buffers, {@code tokens × dim}: copy what you keep; do not modify them.
 */
public interface BlockHook {
    BlockHook NONE = new BlockHook() {};

    default void beforeBlock(int block, Tensor hidden) {}

    default void afterBlock(int block, Tensor hidden) {}
}
