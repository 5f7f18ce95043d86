package io.vdq.quant;

import io.vdq.VdqException.ShapeException;
import io.vdq.kernel.KernelBackend;
import io.vdq.kernel.Kernels;
import io.vdq.kernel.PackedWeights;
import io.vdq.model.FloatLinear;
import io.vdq.model.Linear;

/**
 * The fake-quant reference of a quantized linear layer: {@code y = Q_a(x·T) · Ŵᵀ + b}, where T is an optional
 * {@link InputTransform} (smoothing, rotation) already folded into the weights, Q_a the per-call
 * {@link ActivationQuantizer} (none = float activations) and Ŵ the dequantized weights (out × in, in the
 * transformed basis). The integer codes and their {@link QuantParams} are kept when a method produced them, for
 * checkpoints and integer kernels. The caller's input is never modified.
 */
public final class QuantizedLinear implements Linear {
    private final int in, out;
    private final float[] weight;       // dequantized, out × in
    private final float[] bias;         // or null
    private final int[] codes;          // or null
    private final QuantParams weightParams; // or null
    private final InputTransform transform; // or null
    private final ActivationQuantizer activations; // or null
    private volatile PackedWeights packed;
    private volatile KernelBackend packedFor;

    public QuantizedLinear(int out, int in, float[] dequantizedWeight, float[] bias, int[] codes, QuantParams weightParams,
                           InputTransform transform, ActivationQuantizer activations) {
        if (dequantizedWeight.length != out * in)
            throw new ShapeException("quantized linear weight has " + dequantizedWeight.length + " values, expected " + out + "×" + in);
        if (bias != null && bias.length != out)
            throw new ShapeException("quantized linear bias has " + bias.length + " values, expected " + out);
        if (codes != null && codes.length != out * in)
            throw new ShapeException("quantized linear codes have " + codes.length + " values, expected " + out + "×" + in);
        if (weightParams != null) weightParams.requireFits(out, in, "quantized linear weight");
        if (transform != null && transform.channels() != in)
            throw new ShapeException("input transform has " + transform.channels() + " channels, layer has " + in + " inputs");
        this.out = out;
        this.in = in;
        this.weight = dequantizedWeight;
        this.bias = bias;
        this.codes = codes;
        this.weightParams = weightParams;
        this.transform = transform;
        this.activations = activations;
    }

    /**
     * Round-to-nearest quantization of a float layer: copies W, folds the transform into it (if any), fits
     * min/max weight parameters and keeps codes and dequantized weights. weightBits ≥ 16 keeps float weights.
     */
    public static QuantizedLinear roundToNearest(FloatLinear f, int weightBits, boolean symmetric, Granularity g, int groupSize,
                                                 InputTransform transform, ActivationQuantizer activations) {
        int out = f.outFeatures(), in = f.inFeatures();
        float[] w = f.weight().clone();
        if (transform != null) transform.foldIntoWeights(w, out);
        if (weightBits >= 16) return new QuantizedLinear(out, in, w, f.bias(), null, null, transform, activations);
        QuantParams p = UniformQuantizer.fit(w, 0, out, in, weightBits, symmetric, g, groupSize);
        int[] q = UniformQuantizer.quantize(w, 0, out, in, p);
        float[] deq = new float[out * in];
        UniformQuantizer.dequantize(q, 0, out, in, p, deq, 0);
        return new QuantizedLinear(out, in, deq, f.bias(), q, p, transform, activations);
    }

    @Override public int inFeatures() { return in; }
    @Override public int outFeatures() { return out; }

    /** Dequantized weights, out × in, in the transformed basis (shared, not copied). */
    public float[] dequantizedWeight() { return weight; }
    public float[] bias() { return bias; }
    /** Integer weight codes (out × in) or null. */
    public int[] codes() { return codes; }
    /** Weight quantization parameters or null (float weights or a method that keeps only dequantized values). */
    public QuantParams weightParams() { return weightParams; }
    public InputTransform transform() { return transform; }
    public ActivationQuantizer activations() { return activations; }

    /** Weight bits, or 16 when the weights are float. */
    public int weightBits() { return weightParams == null ? 16 : weightParams.bits(); }

    @Override
    public void forward(float[] x, int xOff, int rows, float[] y, int yOff) {
        float[] src = x;
        int off = xOff;
        boolean quantAct = activations != null && !(activations.bits().isFloat());
        if (transform != null || quantAct) {
            src = new float[rows * in];
            System.arraycopy(x, xOff, src, 0, rows * in);
            off = 0;
            if (transform != null) transform.apply(src, 0, rows);
            if (quantAct) activations.apply(src, 0, rows, in);
        }
        KernelBackend b = Kernels.get();
        PackedWeights p = packed;
        if (p == null || packedFor != b) {
            synchronized (this) {
                if (packed == null || packedFor != b) { packed = b.pack(weight, 0, out, in); packedFor = b; }
                p = packed;
            }
        }
        b.gemm(src, off, rows, p, bias, y, yOff);
    }
}
