package io.vdq.model;

import io.vdq.VdqException.ShapeException;
import io.vdq.kernel.LazyPackedGemm;

/** A full-precision linear layer; the weights are packed once for the current kernel backend. */
public final class FloatLinear implements Linear {
    private final float[] weight; // out × in
    private final float[] bias;   // out, or null
    private final int in, out;
    private final LazyPackedGemm gemm;

    public FloatLinear(float[] weight, float[] bias, int out, int in) {
        if (weight.length != out * in)
            throw new ShapeException("linear weight has " + weight.length + " values, expected out×in = " + out + "×" + in);
        if (bias != null && bias.length != out)
            throw new ShapeException("linear bias has " + bias.length + " values, expected " + out);
        this.weight = weight;
        this.bias = bias;
        this.out = out;
        this.in = in;
        this.gemm = new LazyPackedGemm(weight, bias, out, in);
    }

    @Override public int inFeatures() { return in; }
    @Override public int outFeatures() { return out; }

    /** The float weights, out×in (shared, not copied). */
    public float[] weight() { return weight; }

    /** The bias, or null. */
    public float[] bias() { return bias; }

    @Override
    public void forward(float[] x, int xOff, int rows, float[] y, int yOff) {
        gemm.gemm(x, xOff, rows, y, yOff);
    }
}
