package io.vdq.train;

import io.vdq.tensor.Tensor;

/**
 * A trainable tensor: its value, a gradient buffer of the same shape (backward passes add into it) and
 * per-parameter optimiser settings. Values own their backing array (offset 0, exact length), so layers
 * read {@link #v()} and {@link #g()} directly.
 */
public final class Param {
    private final String name;
    private final Tensor value;
    private final Tensor grad;
    private boolean decay;
    private double lrScale = 1.0;

    public Param(String name, Tensor value) {
        this.name = name;
        this.value = (value.offset() == 0 && value.data().length == value.size()) ? value : value.copy();
        this.grad = Tensor.zeros(value.shape().dims());
        this.decay = value.rank() >= 2 && name.endsWith(".weight");
    }

    public String name() { return name; }
    public Tensor value() { return value; }
    public Tensor grad() { return grad; }
    public float[] v() { return value.data(); }
    public float[] g() { return grad.data(); }
    public int size() { return value.size(); }

    /** Whether AdamW applies weight decay (default: matrices named {@code *.weight}). */
    public boolean decay() { return decay; }
    public Param decay(boolean on) { this.decay = on; return this; }

    /** Multiplier on the optimiser's learning rate (e.g. 10 for clipping parameters). */
    public double lrScale() { return lrScale; }
    public Param lrScale(double s) { this.lrScale = s; return this; }

    public void zeroGrad() { grad.fill(0f); }

    @Override public String toString() { return "Param[" + name + " " + value.shape() + "]"; }
}
