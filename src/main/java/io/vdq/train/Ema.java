package io.vdq.train;

import io.vdq.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;

/** Exponential moving average of parameter values: {@code shadow ← decay·shadow + (1 − decay)·value}. */
public final class Ema {
    private final double decay;
    private final List<Param> params;
    private final SequencedMap<String, Tensor> shadow = new LinkedHashMap<>();

    /** Starts from a copy of the current values. */
    public Ema(List<Param> params, double decay) {
        this.decay = decay;
        this.params = List.copyOf(params);
        for (Param p : this.params) shadow.put(p.name(), p.value().copy());
    }

    public void update() {
        for (Param p : params) {
            float[] s = shadow.get(p.name()).data(), v = p.v();
            for (int i = 0; i < s.length; i++) s[i] = (float) (decay * s[i] + (1 - decay) * v[i]);
        }
    }

    /** The averaged values by parameter name (live views; copy to keep a snapshot). */
    public SequencedMap<String, Tensor> toMap() { return shadow; }
}
