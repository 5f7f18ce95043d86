package io.vdq.quant;

import io.vdq.VdqException.ShapeException;
import io.vdq.kernel.ExecutionContext;
import io.vdq.kernel.LazyPackedGemm;
import io.vdq.model.FloatLinear;
import io.vdq.model.Linear;
import java.util.Arrays;

/**
 * The fake-quant reference of a quantized linear layer: {@code y = Q_a(x·T) · Ŵᵀ + b}, where T is an optional
 * {@link InputTransform} (smoothing, rotation) already folded into the weights, Q_a the per-call
 * {@link ActivationQuantizer} (none = float activations) and Ŵ the dequantized weights (out × in, in the
 * transformed basis). The integer codes and their {@link QuantParams} are kept when a method produced them, for
 * checkpoints and integer kernels. The caller's input is never modified.
 *
 * <p>When the codes, their parameters and the activation quantizer allow it (see {@link #integerPlan}), quantized
 * calls run on the integer kernels ({@link IntExec}, mode int): T is applied in float, then the per-token quantizer
 * and the int32 GEMM of {@link io.vdq.kernel.IntGemm} run on int8/int4 codes. The activation codes are those of
 * the fake-quant path, so the two agree to float rounding of the GEMM (exactly when every product and partial sum
 * is representable, e.g. power-of-two scales).
 */
public final class QuantizedLinear implements Linear, IntExec.Executable {
    private final int in, out;
    private final float[] weight;       // dequantized, out × in
    private final float[] bias;         // or null
    private final int[] codes;          // or null
    private final QuantParams weightParams; // or null
    private final InputTransform transform; // or null
    private final ActivationQuantizer activations; // or null
    private final LazyPackedGemm gemm;
    private final IntExec.Plan plan;
    private final IntExec.Packed intWeights; // or null

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
        this.gemm = new LazyPackedGemm(dequantizedWeight, bias, out, in);
        this.plan = integerPlan(out, in, bias, codes, weightParams, activations);
        this.intWeights = plan.weights() == null ? null : new IntExec.Packed(plan);
    }

    /**
     * The integer kernels' weights for this configuration, or why they cannot run it: integer codes with per-tensor,
     * per-channel or per-group (group size a multiple of 4) symmetric or asymmetric parameters (8-bit asymmetric
     * only when the codes avoid 0 or 255; 8-bit symmetric only without the code −128), and a dynamic symmetric
     * per-token activation quantizer.
     */
    static IntExec.Plan integerPlan(int out, int in, float[] bias, int[] codes, QuantParams p, ActivationQuantizer a) {
        if (a == null) return IntExec.Plan.no("float activations");
        if (a.staticParams() != null) return IntExec.Plan.no("static activation scale");
        if (a.granularity() != Granularity.PER_TOKEN) return IntExec.Plan.no("activations " + a.granularity().jsonName());
        if (!a.symmetric()) return IntExec.Plan.no("asymmetric activations");
        if (a.clip() != 1f) return IntExec.Plan.no("clipped activations");
        if (codes == null || p == null) return IntExec.Plan.no("float weights");
        int srcGroup = p.granularity() == Granularity.PER_GROUP ? Math.min(p.groupSize(), in) : in;
        float[] scale = p.scale();
        int[] zero = p.zero();
        if (p.granularity() == Granularity.PER_TENSOR) { // one scale: repeat it per output channel
            scale = new float[out];
            zero = new int[out];
            Arrays.fill(scale, p.scale()[0]);
            Arrays.fill(zero, p.zero()[0]);
        }
        int[] z = zero;
        int kernelGroup = srcGroup >= in ? 0 : srcGroup;
        return IntExec.plan(out, in, p.bits(), !p.symmetric(), i -> codes[i], srcGroup, scale, i -> z[i], kernelGroup, bias);
    }

    @Override public String execution() { return IntExec.describe(plan); }

    @Override public long kernelWeightBytes() { return intWeights == null ? 0 : intWeights.bytes(ExecutionContext.intBackend()); }

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

    /** Scratch floats per chunk when the input path is row-local (bounds the copy of a long video call). */
    static final int CHUNK_FLOATS = 1 << 22;

    @Override
    public void forward(float[] x, int xOff, int rows, float[] y, int yOff) {
        int actBits = activations == null ? 0 : activations.bits().get();
        boolean quantAct = activations != null && !ActivationBits.isFloat(actBits);
        if (transform == null && !quantAct) { gemm.gemm(x, xOff, rows, y, yOff); return; }
        boolean integer = quantAct && intWeights != null && IntExec.integerBits(actBits);
        if (integer && transform == null) { IntExec.linear(intWeights, x, xOff, rows, actBits, y, yOff); return; }
        // per-token quantizers and row-local transforms allow chunks of rows; anything else sees the whole call
        boolean rowLocal = (transform == null || transform.rowLocal())
                && (!quantAct || activations.staticParams() != null || activations.granularity() != Granularity.PER_TENSOR);
        int chunk = rowLocal ? Math.max(1, Math.min(rows, CHUNK_FLOATS / Math.max(1, in))) : rows;
        float[] src = new float[Math.min(rows, chunk) * in];
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            int n = Math.min(chunk, rows - r0);
            System.arraycopy(x, xOff + r0 * in, src, 0, n * in);
            if (transform != null) transform.apply(src, 0, n);
            if (integer) { IntExec.linear(intWeights, src, 0, n, actBits, y, yOff + r0 * out); continue; }
            if (quantAct) activations.apply(src, 0, n, in);
            gemm.gemm(src, 0, n, y, yOff + r0 * out);
        }
    }
}
