package io.vdq.tensor;

import io.vdq.VdqException.ShapeException;
import java.util.Arrays;

/** An immutable tensor shape, row-major. Element counts must fit an int (one Java array). */
public record Shape(int... dims) {
    public Shape {
        dims = dims.clone();
        long n = 1;
        for (int d : dims) {
            if (d < 0) throw new ShapeException("negative dimension in shape " + Arrays.toString(dims));
            n *= d;
            if (n > Integer.MAX_VALUE - 16) throw new ShapeException("shape " + Arrays.toString(dims) + " has more than 2^31 elements");
        }
    }

    public static Shape of(int... dims) { return new Shape(dims); }

    public int rank() { return dims.length; }

    public int dim(int i) { return dims[i < 0 ? dims.length + i : i]; }

    public int[] dims() { return dims.clone(); }

    public int size() {
        int n = 1;
        for (int d : dims) n *= d;
        return n;
    }

    /** Number of elements in one slice along the first dimension. */
    public int rowSize() {
        int n = 1;
        for (int i = 1; i < dims.length; i++) n *= dims[i];
        return n;
    }

    @Override public boolean equals(Object o) { return o instanceof Shape s && Arrays.equals(dims, s.dims); }
    @Override public int hashCode() { return Arrays.hashCode(dims); }
    @Override public String toString() { return Arrays.toString(dims); }
}
