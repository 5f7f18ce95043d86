package io.vdq.kernel;

import io.vdq.VdqException.ShapeException;

/**
 * Per-token symmetric quantized activations, the integer GEMMs' left operand: {@code q} holds m rows of
 * {@code kp = roundUp(k, 4)} int8 values (zero padded) in [−qmax, qmax] with qmax = 2^(bits−1) − 1,
 * {@code scale[t]} the row's scale (x ≈ scale·q), {@code xsum[t·groups + g]} the sum of row t's values over
 * K group g (needed by zero points and by the 4-bit kernels). Buffers are reusable across calls of equal shape.
 */
public final class ActQuant {
    public final int m, k, kp, bits, groupSize, groups;
    public final byte[] q;
    public final float[] scale;
    public final int[] xsum;

    public ActQuant(int m, int k, int bits, int groupSize) {
        if (m <= 0 || k <= 0) throw new ShapeException("ActQuant: m and k must be positive, got m=" + m + " k=" + k);
        if (bits < 2 || bits > 8) throw new ShapeException("ActQuant: activation bits must be in [2, 8], got " + bits);
        if (groupSize < 0 || groupSize % 4 != 0)
            throw new ShapeException("ActQuant: groupSize must be 0 or a positive multiple of 4, got " + groupSize);
        this.m = m;
        this.k = k;
        this.kp = paddedK(k);
        this.bits = bits;
        this.groupSize = groupSize;
        this.groups = IntWeights.groups(k, groupSize);
        this.q = new byte[Math.multiplyExact(m, kp)];
        this.scale = new float[m];
        this.xsum = new int[m * groups];
    }

    /** Quantized activations laid out for weights {@code w} (same k and groups). */
    public static ActQuant forWeights(int m, IntWeights w, int bits) { return new ActQuant(m, w.k(), bits, w.groupSize()); }

    public int qmax() { return (1 << (bits - 1)) - 1; }

    /** K rounded up to the kernels' k step of 4. */
    public static int paddedK(int k) { return (k + 3) & ~3; }

    /** Throws when these activations do not fit weights {@code w}, or {@code y} cannot hold m×n outputs at yOff. */
    public void requireFits(IntWeights w, float[] y, int yOff) {
        if (w.k() != k || w.groupSize() != groupSize)
            throw new ShapeException("integer GEMM: activations have k=" + k + ", groupSize=" + groupSize
                    + " but the weights expect k=" + w.k() + ", groupSize=" + w.groupSize());
        if (yOff < 0 || (long) yOff + (long) m * w.n() > y.length)
            throw new ShapeException("integer GEMM: output needs " + m + "x" + w.n() + " floats at offset " + yOff
                    + ", array has " + y.length);
    }
}
