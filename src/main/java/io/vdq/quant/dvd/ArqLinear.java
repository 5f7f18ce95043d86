package io.vdq.quant.dvd;

import io.vdq.VdqException.ShapeException;
import io.vdq.kernel.KernelBackend;
import io.vdq.kernel.Kernels;
import io.vdq.kernel.PackedWeights;
import io.vdq.model.Linear;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.IntExec;
import io.vdq.tensor.Parallel;
import java.util.Arrays;

/**
 * A DVD-Quant linear layer: weights rotated offline and quantized by BGR ({@link Bgr.Result}, out × in in the
 * rotated basis), activations rotated, auto-scaled and quantized per call by {@link Arq} at the width the shared
 * {@link ActivationBits} holds for the current step (set by δ-GBS or fixed). Not a {@code QuantizedLinear}
 * because ARQ's Λ is computed per call and multiplied back after quantization, which that class's
 * transform-then-quantize pipeline cannot express.
 *
 * <p>Two paths: the fake-quant reference (default) multiplies Λ back into the dequantized activation and runs a
 * float GEMM with the dequantized weights; the integer reference ({@code integer = true}) evaluates §3.5's integer
 * formulation with exact integer partial sums (slow, scalar; for checking kernels). They agree to float rounding.
 * The caller's input is never modified.
 *
 * <p>When the layer's configuration allows it ({@link ArqIntExec#plan}) and the execution mode is int
 * ({@link IntExec}), integer-width steps run on the integer kernels instead of the fake-quant path
 * ({@link ArqIntExec}: fused rotate + Λ⁻¹ + per-token quantizer, Λ applied to block partial sums in the epilogue).
 */
public final class ArqLinear implements Linear, IntExec.Executable {
    private final Arq arq;
    private final Bgr.Result weights;
    private final float[] bias;
    private final ActivationBits bits;
    private final boolean integer;
    private final int chunk;
    private volatile PackedWeights packed;
    private volatile KernelBackend packedFor;
    private final IntExec.Plan plan;
    private final ArqIntExec intExec; // or null
    private volatile float[] shiftWeights; // the weights centring's μ correction multiplies (null: the dequantized Ŵ)

    /** Rows per chunk of a long call (Λ is still computed over the whole call). */
    public static final int DEFAULT_CHUNK = 512;

    public ArqLinear(Arq arq, Bgr.Result weights, float[] bias, ActivationBits bits, boolean integer) {
        this(arq, weights, bias, bits, integer, DEFAULT_CHUNK);
    }

    public ArqLinear(Arq arq, Bgr.Result weights, float[] bias, ActivationBits bits, boolean integer, int chunk) {
        if (weights.cols() != arq.k())
            throw new ShapeException("DVD layer: weight is " + weights.rows() + "×" + weights.cols() + ", ARQ expects K = " + arq.k());
        if (bias != null && bias.length != weights.rows())
            throw new ShapeException("DVD layer: bias has " + bias.length + " values, expected " + weights.rows());
        this.arq = arq;
        this.weights = weights;
        this.bias = bias;
        this.bits = bits;
        this.integer = integer;
        if (chunk < 1) throw new ShapeException("DVD layer: chunk must be >= 1 rows, got " + chunk);
        this.chunk = chunk;
        this.plan = ArqIntExec.plan(arq, weights, bias);
        this.intExec = plan.weights() == null ? null : ArqIntExec.create(arq, plan, bias);
    }

    @Override public long kernelWeightBytes() { return intExec == null ? 0 : intExec.weightBytes(); }

    @Override
    public String execution() {
        return integer ? "integer reference (scalar, double)" : IntExec.describe(plan);
    }

    @Override public int inFeatures() { return weights.cols(); }
    @Override public int outFeatures() { return weights.rows(); }
    public Arq arq() { return arq; }
    public Bgr.Result weights() { return weights; }
    public float[] bias() { return bias; }
    public ActivationBits activationBits() { return bits; }
    public boolean integerPath() { return integer; }

    @Override
    public void forward(float[] x, int xOff, int rows, float[] y, int yOff) {
        int k = weights.cols(), b = bits.get();
        // centring (option center): quantize X − 1·μ, add μ·Ŵᵀ to the bias; float steps need none
        float[] mu = Arq.isFloat(b) ? null : arq.shift(x, xOff, rows);
        float[] bias = mu == null ? this.bias : shiftedBias(mu);
        if (integer && !Arq.isFloat(b)) {
            float[] xc = x;
            int off = xOff;
            if (mu != null) {
                xc = Arrays.copyOfRange(x, xOff, xOff + rows * k);
                off = 0;
                Arq.subtractShift(xc, 0, rows, mu);
            }
            Arq.integerForward(arq.quantize(xc, off, rows, b), weights, bias, y, yOff);
            return;
        }
        if (intExec != null && IntExec.integerBits(b)) {
            intExec.forward(x, xOff, rows, b, y, yOff, mu, bias);
            return;
        }
        KernelBackend kb = Kernels.get();
        PackedWeights p = packed(kb);
        if (rows <= chunk || Arq.isFloat(b)) {
            int step = Arq.isFloat(b) ? chunk : rows; // float activations: rotation is row-local, chunk freely
            float[] src = new float[Math.min(rows, step) * k];
            for (int r0 = 0; r0 < rows; r0 += step) {
                int n = Math.min(step, rows - r0);
                System.arraycopy(x, xOff + r0 * k, src, 0, n * k);
                Arq.subtractShift(src, 0, n, mu);
                arq.fakeQuantize(src, 0, n, b);
                kb.gemm(src, 0, n, p, bias, y, yOff + r0 * weights.rows());
            }
            return;
        }
        // A long call: Λ (and the per-tensor maximum) over all its tokens first, then quantize and multiply in chunks,
        // so the copy is chunk × K instead of tokens × K (a Wan-1.3B FFN call would otherwise copy ~1 GB).
        float[] s = arq.callScales(x, xOff, rows, chunk, mu);
        float mx = arq.options().granularity() == Arq.Granularity.PER_TENSOR ? arq.callMaxScaled(x, xOff, rows, s, chunk, mu) : Float.NaN;
        float[] src = new float[chunk * k];
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            int n = Math.min(chunk, rows - r0);
            System.arraycopy(x, xOff + r0 * k, src, 0, n * k);
            Arq.subtractShift(src, 0, n, mu);
            arq.fakeQuantize(src, 0, n, b, s, mx);
            kb.gemm(src, 0, n, p, bias, y, yOff + r0 * weights.rows());
        }
    }

    /**
     * bias + (μ·R)·Ŵᵀ: the part of the output that centring took out of the quantized activation, computed in
     * float from the dequantized weights (double accumulation; one GEMV per call), or from the weights given to
     * {@link #shiftWeights(float[])} (recipe option {@code center_weights}).
     */
    float[] shiftedBias(float[] mu) {
        int k = weights.cols(), out = weights.rows();
        float[] m = mu.clone();
        arq.rotateActivations(m, 0, 1);
        float[] sw = shiftWeights;
        float[] w = sw != null ? sw : weights.dequantized(), c = new float[out];
        Parallel.range(out, (from, to) -> {
            for (int o = from; o < to; o++) {
                double acc = bias == null ? 0 : bias[o];
                for (int j = 0, b = o * k; j < k; j++) acc += (double) m[j] * w[b + j];
                c[o] = (float) acc;
            }
        });
        return c;
    }

    /**
     * The out × in weights, in the rotated basis, that centring's correction μ·Wᵀ multiplies instead of the 4-bit
     * Ŵ (recipe option {@code center_weights}: an 8-bit copy or the float W·R); null restores Ŵ. The GEMM on the
     * centred activation still uses Ŵ.
     */
    public void shiftWeights(float[] w) {
        if (w != null && w.length != weights.rows() * weights.cols())
            throw new ShapeException("DVD layer: shift weights have " + w.length + " values, expected " + weights.rows() * weights.cols());
        this.shiftWeights = w;
    }

    /** The weights set by {@link #shiftWeights(float[])}, or null (the correction uses Ŵ). */
    public float[] shiftWeights() { return shiftWeights; }

    private PackedWeights packed(KernelBackend kb) {
        int k = weights.cols();
        PackedWeights p = packed;
        if (p == null || packedFor != kb) {
            synchronized (this) {
                if (packed == null || packedFor != kb) { packed = kb.pack(weights.dequantized(), 0, weights.rows(), k); packedFor = kb; }
                p = packed;
            }
        }
        return p;
    }
}
