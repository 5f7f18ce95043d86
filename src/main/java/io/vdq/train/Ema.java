package io.vdq.train;

import io.vdq.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;

/**
 * Exponential moving average of parameter values: {@code shadow ← d·shadow + (1 − d)·value}. Without warm-up
 * {@code d = decay}; with warm-up, update n (1, 2, …) uses {@code d = min(decay, (1 + n)/(10 + n))} (diffusers'
 * EMAModel default), so the average forgets the random initialisation within the first few hundred steps
 * instead of carrying {@code decay^n} of it (0.998^500 = 37 %).
 */
public final class Ema {
    private final double decay;
    private final boolean warmup;
    private long updates;
    private final List<Param> params;
    private final SequencedMap<String, Tensor> shadow = new LinkedHashMap<>();

    /** Starts from a copy of the current values; no warm-up. */
    public Ema(List<Param> params, double decay) { this(params, decay, false); }

    /** Starts from a copy of the current values. */
    public Ema(List<Param> params, double decay, boolean warmup) {
        this.decay = decay;
        this.warmup = warmup;
        this.params = List.copyOf(params);
        for (Param p : this.params) shadow.put(p.name(), p.value().copy());
    }

    /** The decay the next update uses. */
    public double nextDecay() {
        long n = updates + 1;
        return warmup ? Math.min(decay, (1.0 + n) / (10.0 + n)) : decay;
    }

    public void update() {
        double d = nextDecay();
        updates++;
        for (Param p : params) {
            float[] s = shadow.get(p.name()).data(), v = p.v();
            for (int i = 0; i < s.length; i++) s[i] = (float) (d * s[i] + (1 - d) * v[i]);
        }
    }

    /** The averaged values by parameter name (live views; copy to keep a snapshot). */
    public SequencedMap<String, Tensor> toMap() { return shadow; }
}
