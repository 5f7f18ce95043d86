package io.vdq.train;

import io.vdq.VdqException.ShapeException;
import java.util.SplittableRandom;

/**
 * {@code y = x·Wᵀ + b} with W stored out×in (any stored shape with out·in elements, e.g. a Conv3d kernel
 * [out, C, pt, ph, pw] used as a linear on flattened patches). Optional {@link MatrixFn} hooks transform the
 * weight (fake quantization of W) and the input (activation fake quantization) before the product; their
 * parameters get gradients through the same backward. Products go through {@code Kernels.get().sgemm}.
 */
public final class LinearLayer {
    private final String name;
    private final Param weight, bias;
    private final int in, out;
    private MatrixFn weightFn, inputFn;

    /** Registers {@code name.weight} (shape {@code weightDims}, default [out, in]) and, if asked, {@code name.bias}. */
    public LinearLayer(ParamSet ps, String name, int in, int out, boolean withBias, int... weightDims) {
        int[] wd = weightDims.length == 0 ? new int[]{out, in} : weightDims;
        long n = 1;
        for (int d : wd) n *= d;
        if (n != (long) in * out)
            throw new ShapeException(name + ".weight: stored shape has " + n + " elements, expected out×in = " + out + "×" + in);
        this.name = name;
        this.in = in;
        this.out = out;
        this.weight = ps.add(name + ".weight", wd);
        this.bias = withBias ? ps.add(name + ".bias", out) : null;
    }

    public String name() { return name; }
    public int in() { return in; }
    public int out() { return out; }
    public Param weight() { return weight; }
    public Param bias() { return bias; }

    /** Sets (or clears with null) the transform applied to W [out × in] before each forward. */
    public void setWeightFn(MatrixFn f) { this.weightFn = f; }

    /** Sets (or clears with null) the transform applied to the input rows before each forward. */
    public void setInputFn(MatrixFn f) { this.inputFn = f; }

    /** PyTorch's default init for weight and bias: uniform in ±1/√in. */
    public void initUniform(SplittableRandom rng) {
        double a = 1.0 / Math.sqrt(in);
        float[] w = weight.v();
        for (int i = 0; i < w.length; i++) w[i] = (float) ((rng.nextDouble() * 2 - 1) * a);
        if (bias != null) {
            float[] b = bias.v();
            for (int i = 0; i < b.length; i++) b[i] = (float) ((rng.nextDouble() * 2 - 1) * a);
        }
    }

    /** What backward needs: the input as multiplied, the effective weight and the hooks' caches; y is the output. */
    public record Cache(float[] x, int rows, float[] w, MatrixFn.Cache inCache, MatrixFn.Cache wCache, float[] y) {}

    public Cache forward(float[] x, int rows) {
        if (x.length < rows * in) throw new ShapeException(name + ": input has " + x.length + " values, expected rows×in = " + rows + "×" + in);
        float[] xe = x, w = weight.v();
        MatrixFn.Cache ic = null, wc = null;
        if (inputFn != null) { xe = new float[rows * in]; ic = inputFn.forward(x, rows, in, xe); }
        if (weightFn != null) { w = new float[out * in]; wc = weightFn.forward(weight.v(), out, in, w); }
        float[] y = new float[rows * out];
        Ops.nt(rows, out, in, xe, 0, in, w, 0, in, 0f, y, 0, out);
        if (bias != null) {
            float[] b = bias.v();
            Ops.par(rows, out, (r0, r1) -> {
                for (int r = r0; r < r1; r++) for (int j = 0; j < out; j++) y[r * out + j] += b[j];
            });
        }
        return new Cache(xe, rows, w, ic, wc, y);
    }

    /** Returns dL/dx and adds dL/dW, dL/db (and the hooks' parameter gradients) into the grad buffers. */
    public float[] backward(Cache c, float[] dy) {
        int rows = c.rows();
        float[] dx = new float[rows * in];
        // dX = dY·W (W stored [out × in] = k × n); dW = dYᵀ·X (both stored with the batch rows as k)
        Ops.nn(rows, in, out, dy, 0, out, c.w(), 0, in, 0f, dx, 0, in);
        if (weightFn == null) {
            Ops.tn(out, in, rows, dy, 0, out, c.x(), 0, in, 1f, weight.g(), 0, in);
        } else {
            float[] dw = new float[out * in], dwRaw = new float[out * in];
            Ops.tn(out, in, rows, dy, 0, out, c.x(), 0, in, 0f, dw, 0, in);
            weightFn.backward(c.wCache(), dw, dwRaw);
            Ops.addInPlace(weight.g(), dwRaw);
        }
        if (bias != null) Ops.colSumAdd(dy, 0, rows, out, bias.g(), 0);
        if (inputFn != null) {
            float[] dxRaw = new float[rows * in];
            inputFn.backward(c.inCache(), dx, dxRaw);
            return dxRaw;
        }
        return dx;
    }
}
