package io.vdq.tensor;

import io.vdq.VdqException.ShapeException;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A dense, row-major float32 tensor: a window {@code [offset, offset + shape.size())} of a float array.
 * Views ({@link #reshape}, {@link #slice}, {@link #row}) share the array; {@link #copy} does not.
 * Kernels take the raw array plus offset, so a view costs nothing to pass.
 */
public final class Tensor {
    private final float[] data;
    private final int offset;
    private final Shape shape;

    public Tensor(float[] data, int offset, Shape shape) {
        if (offset < 0 || (long) offset + shape.size() > data.length)
            throw new ShapeException("tensor view " + shape + " at offset " + offset + " exceeds backing array of " + data.length);
        this.data = data;
        this.offset = offset;
        this.shape = shape;
    }

    public static Tensor zeros(int... dims) {
        Shape s = Shape.of(dims);
        return new Tensor(new float[s.size()], 0, s);
    }

    public static Tensor of(float[] data, int... dims) {
        Shape s = Shape.of(dims);
        if (s.size() != data.length)
            throw new ShapeException("array of " + data.length + " floats does not fit shape " + s);
        return new Tensor(data, 0, s);
    }

    /** Standard-normal entries from a seeded generator (Box–Muller), identical for any thread count. */
    public static Tensor randn(long seed, int... dims) {
        Tensor t = zeros(dims);
        fillGaussian(new SplittableRandom(seed), t.data, 0, t.size());
        return t;
    }

    public static void fillGaussian(SplittableRandom rng, float[] a, int off, int n) {
        for (int i = 0; i < n; i += 2) {
            double u1 = rng.nextDouble(), u2 = rng.nextDouble();
            double r = Math.sqrt(-2.0 * Math.log(1.0 - u1));
            a[off + i] = (float) (r * Math.cos(2 * Math.PI * u2));
            if (i + 1 < n) a[off + i + 1] = (float) (r * Math.sin(2 * Math.PI * u2));
        }
    }

    public float[] data() { return data; }
    public int offset() { return offset; }
    public Shape shape() { return shape; }
    public int size() { return shape.size(); }
    public int dim(int i) { return shape.dim(i); }
    public int rank() { return shape.rank(); }

    public float get(int... idx) { return data[offset + flatIndex(idx)]; }
    public void set(float v, int... idx) { data[offset + flatIndex(idx)] = v; }

    private int flatIndex(int[] idx) {
        if (idx.length != shape.rank()) throw new ShapeException("index of rank " + idx.length + " for shape " + shape);
        int f = 0;
        for (int i = 0; i < idx.length; i++) {
            int d = shape.dim(i);
            if (idx[i] < 0 || idx[i] >= d) throw new ShapeException("index " + Arrays.toString(idx) + " out of shape " + shape);
            f = f * d + idx[i];
        }
        return f;
    }

    /** Same data, new shape with the same element count; one dimension may be -1. */
    public Tensor reshape(int... dims) {
        int known = 1, infer = -1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] == -1) { if (infer >= 0) throw new ShapeException("two -1 dims in reshape"); infer = i; }
            else known *= dims[i];
        }
        int[] d = dims.clone();
        if (infer >= 0) {
            if (known == 0 || size() % known != 0) throw new ShapeException("cannot reshape " + shape + " to " + Arrays.toString(dims));
            d[infer] = size() / known;
        }
        Shape s = Shape.of(d);
        if (s.size() != size()) throw new ShapeException("cannot reshape " + shape + " to " + s);
        return new Tensor(data, offset, s);
    }

    /** View of rows {@code [from, to)} along the first dimension. */
    public Tensor slice(int from, int to) {
        if (rank() == 0 || from < 0 || to > dim(0) || from > to)
            throw new ShapeException("slice [" + from + ", " + to + ") out of shape " + shape);
        int[] d = shape.dims();
        d[0] = to - from;
        return new Tensor(data, offset + from * shape.rowSize(), Shape.of(d));
    }

    /** View of row {@code i} along the first dimension, with that dimension dropped. */
    public Tensor row(int i) {
        int[] d = shape.dims();
        if (d.length == 0 || i < 0 || i >= d[0]) throw new ShapeException("row " + i + " out of shape " + shape);
        return new Tensor(data, offset + i * shape.rowSize(), Shape.of(Arrays.copyOfRange(d, 1, d.length)));
    }

    public Tensor copy() {
        return new Tensor(Arrays.copyOfRange(data, offset, offset + size()), 0, shape);
    }

    /** The elements as a fresh array (the backing array itself when the tensor covers it exactly). */
    public float[] toArray() {
        return (offset == 0 && data.length == size()) ? data : Arrays.copyOfRange(data, offset, offset + size());
    }

    public void copyFrom(Tensor src) {
        if (src.size() != size()) throw new ShapeException("copy " + src.shape + " into " + shape);
        System.arraycopy(src.data, src.offset, data, offset, size());
    }

    public void fill(float v) { Arrays.fill(data, offset, offset + size(), v); }

    public void requireShape(String what, int... dims) {
        if (!shape.equals(Shape.of(dims)))
            throw new ShapeException(what + ": expected shape " + Arrays.toString(dims) + ", got " + shape);
    }

    @Override public String toString() { return "Tensor" + shape; }
}
