package io.vdq.io;

import io.vdq.VdqException.CheckpointException;
import io.vdq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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

    /**
     * The tensor as float32 values (row-major), read so that the source's bytes do not stay resident: a file is
     * read with positional reads through a bounded buffer instead of through its mapping, whose touched pages
     * would count toward the process's resident set until it is closed. For streaming a whole model one tensor
     * at a time (export-gguf). The default is {@link #readFloat}.
     */
    default float[] readFloatStreamed(String name) { return readFloat(name).toArray(); }

    /**
     * The tensor's raw little-endian bytes in its stored dtype ({@link TensorInfo#dtype()}), read-only; for
     * memory-mapped files a zero-copy slice of the mapping, valid until {@link #close()}. The default encodes
     * {@link #readFloat} as F32, which matches {@code info(name).dtype()} for float-only sources.
     */
    default MemorySegment segment(String name) {
        float[] v = readFloat(name).toArray();
        MemorySegment s = MemorySegment.ofArray(new byte[Math.multiplyExact(4, v.length)]);
        MemorySegment.copy(v, 0, s, TensorCodec.F32, 0, v.length);
        return s.asReadOnly();
    }

    /** A copy of the tensor's raw bytes (for packed int4/int8 weights); tensors over 2 GB are refused. */
    default byte[] readBytes(String name) {
        MemorySegment s = segment(name);
        if (s.byteSize() > Integer.MAX_VALUE - 16)
            throw new CheckpointException(describe() + ": tensor '" + name + "' has " + s.byteSize()
                    + " bytes, more than one Java array holds; use segment()");
        return s.toArray(ValueLayout.JAVA_BYTE);
    }

    /** An integer tensor (I8, U8, I32, I64 in int range, BOOL as 0/1) widened to int. */
    default int[] readInts(String name) {
        TensorInfo i = info(name);
        return TensorCodec.toInts(describe() + ": tensor '" + name + "'", segment(name), i.dtype(), elementCount(i));
    }

    /** An integer tensor (I8, U8, I32, I64, BOOL as 0/1) widened to long. */
    default long[] readLongs(String name) {
        TensorInfo i = info(name);
        return TensorCodec.toLongs(describe() + ": tensor '" + name + "'", segment(name), i.dtype(), elementCount(i));
    }

    /** The {@code __metadata__} string map (empty when absent). */
    Map<String, String> metadata();

    /** A short description for error messages (the file or folder path). */
    String describe();

    @Override default void close() {}

    private int elementCount(TensorInfo i) {
        long n = i.elements();
        if (n > Integer.MAX_VALUE - 16)
            throw new CheckpointException(describe() + ": tensor '" + i.name() + "' has " + n
                    + " elements, more than one Java array holds; use segment()");
        return (int) n;
    }
}
