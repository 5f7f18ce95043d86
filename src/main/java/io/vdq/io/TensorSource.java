package io.vdq.io;

import io.vdq.tensor.Tensor;
import java.util.Map;
import java.util.SortedSet;

/**
 * A named collection of tensors: a safetensors file, a sharded checkpoint, or an in-memory map (tests).
 * Models load their parameters through this interface only.
 */
public interface TensorSource extends AutoCloseable {
    /** All tensor names, sorted. */
    SortedSet<String> names();

    /** Header entry of one tensor; throws {@code CheckpointException} naming the source if absent. */
    TensorInfo info(String name);

    default boolean contains(String name) { return names().contains(name); }

    /** The tensor converted to float32 (F16/BF16/ints widened). */
    Tensor readFloat(String name);

    /** The {@code __metadata__} string map (empty when absent). */
    Map<String, String> metadata();

    /** A short description for error messages (the file or folder path). */
    String describe();

    @Override default void close() {}
}
