package io.vdq.model;

import io.vdq.VdqException.ShapeException;
import io.vdq.kernel.KernelBackend;
import io.vdq.kernel.Kernels;
import io.vdq.kernel.PackedWeights;

/** A full-precision linear layer; the weights are packed once for the current kernel backend. */
public final class FloatLinear implements Linear {
    private final float[] weight; // out × in
    private final float[] bias;   // out, or null
    private final int in, out;
    private volatile PackedWeights packed;
    private volatile KernelBackend packedFor;

    public FloatLinear(float[] weight, float[] bias, int out, int in) {
        if (weight.length != out * in)
            throw new ShapeException("linear weight has " + weight.length + " values, expected out×in = " + out + "×" + in);
        if (bias != null && bias.length != out)
            throw new ShapeException("linear bias has " + bias.length + " values, expected " + out);
        this.weight = weight;
        this.bias = bias;
        this.out = out;
        this.in = in;
    }

    @Override public int inFeatures() { return in; }
    @Override public int outFeatures() { return out; }

    /** The float weights, out×in (shared, not copied). */
    public float[] weight() { return weight; }

    /** The bias, or null. */
    public float[] bias() { return bias; }

    @Override
    public void forward(float[] x, int xOff, int rows, float[] y, int yOff) {
        KernelBackend b = Kernels.get();
        PackedWeights p = packed;
        if (p == null || packedFor != b) {
            synchronized (this) {
                if (packed == null || packedFor != b) { packed = b.pack(weight, 0, out, in); packedFor = b; }
                p = packed;
            }
        }
        b.gemm(x, xOff, rows, p, bias, y, yOff);
    }
}
