package io.vdq.quant.dvd;

import io.vdq.VdqException.ShapeException;
import io.vdq.kernel.KernelBackend;
import io.vdq.kernel.Kernels;
import io.vdq.kernel.PackedWeights;
import io.vdq.model.Linear;
import io.vdq.quant.ActivationBits;

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
 */
public final class ArqLinear implements Linear {
    private final Arq arq;
    private final Bgr.Result weights;
    private final float[] bias;
    private final ActivationBits bits;
    private final boolean integer;
    private volatile PackedWeights packed;
    private volatile KernelBackend packedFor;

    public ArqLinear(Arq arq, Bgr.Result weights, float[] bias, ActivationBits bits, boolean integer) {
        if (weights.cols() != arq.k())
            throw new ShapeException("DVD layer: weight is " + weights.rows() + "×" + weights.cols() + ", ARQ expects K = " + arq.k());
        if (bias != null && bias.length != weights.rows())
            throw new ShapeException("DVD layer: bias has " + bias.length + " values, expected " + weights.rows());
        this.arq = arq;
        this.weights = weights;
        this.bias = bias;
        this.bits = bits;
        this.integer = integer;
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
        if (integer && !Arq.isFloat(b)) {
            Arq.integerForward(arq.quantize(x, xOff, rows, b), weights, bias, y, yOff);
            return;
        }
        float[] src = new float[rows * k];
        System.arraycopy(x, xOff, src, 0, rows * k);
        arq.fakeQuantize(src, 0, rows, b);
        KernelBackend kb = Kernels.get();
        PackedWeights p = packed;
        if (p == null || packedFor != kb) {
            synchronized (this) {
                if (packed == null || packedFor != kb) { packed = kb.pack(weights.dequantized(), 0, weights.rows(), k); packedFor = kb; }
                p = packed;
            }
        }
        kb.gemm(src, 0, rows, p, bias, y, yOff);
    }
}
