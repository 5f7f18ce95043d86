package io.vdq.quant;

import io.vdq.VdqException.ConfigException;

/**
 * The current activation bit width, shared by every {@link QuantizedLinear} of one quantized model and set by a
 * sampler hook before each denoising step (DVD-Quant's bit switching). 0 or 16 means float activations; 2..8
 * means integer fake quantization. Thread-safe (volatile).
 */
public final class ActivationBits {
    private volatile int bits;

    public ActivationBits(int bits) { set(bits); }

    /** The current width: 0 (float), 2..8, or 16 (float). */
    public int get() { return bits; }

    /** True when activations are not quantized now. */
    public boolean isFloat() { int b = bits; return b == 0 || b == 16; }

    public void set(int bits) {
        if (!valid(bits)) throw new ConfigException("activation bits = " + bits + ": expected 0 or 16 (float) or 2..8");
        this.bits = bits;
    }

    /** True when {@code bits} (a value of {@link #get()}) means float activations. */
    public static boolean isFloat(int bits) { return bits == 0 || bits == 16; }

    public static boolean valid(int bits) { return bits == 0 || bits == 16 || (bits >= 2 && bits <= 8); }

    @Override public String toString() { return "ActivationBits[" + bits + "]"; }
}
