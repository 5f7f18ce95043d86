package io.vdq.io;

import java.util.Arrays;

/** One tensor's header entry: name, element type, shape, and byte range within its file's data region. */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
    public TensorInfo { shape = shape.clone(); }

    public long[] shape() { return shape.clone(); }

    public long elements() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public long bytes() { return end - begin; }

    /** The shape as ints (throws if a dimension exceeds int range). */
    public int[] intShape() {
        int[] s = new int[shape.length];
        for (int i = 0; i < s.length; i++) s[i] = Math.toIntExact(shape[i]);
        return s;
    }

    @Override public String toString() { return name + " " + dtype + " " + Arrays.toString(shape); }
}
