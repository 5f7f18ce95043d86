package io.vdq.train;

import io.vdq.VdqException.CheckpointException;
import io.vdq.VdqException.ConfigException;
import io.vdq.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

/**
 * The parameters of a model in creation order, keyed by their diffusers names. Checkpoints go in and out
 * as any {@code Map<String, Tensor>} (e.g. a safetensors writer), with shapes checked by name.
 */
public final class ParamSet {
    private final SequencedMap<String, Param> params = new LinkedHashMap<>();

    /** Creates a zero-valued parameter; names must be unique. */
    public Param add(String name, int... dims) { return add(new Param(name, Tensor.zeros(dims))); }

    public Param add(Param p) {
        if (params.putIfAbsent(p.name(), p) != null) throw new ConfigException("duplicate parameter name '" + p.name() + "'");
        return p;
    }

    public Param get(String name) {
        Param p = params.get(name);
        if (p == null) throw new ConfigException("no parameter named '" + name + "'");
        return p;
    }

    public boolean contains(String name) { return params.containsKey(name); }

    public List<Param> all() { return Collections.unmodifiableList(new ArrayList<>(params.values())); }

    public int size() { return params.size(); }

    public long count() {
        long n = 0;
        for (Param p : params.values()) n += p.size();
        return n;
    }

    public void zeroGrad() { for (Param p : params.values()) p.zeroGrad(); }

    /** Global L2 norm of all gradients, accumulated in double in parameter order (deterministic). */
    public double gradNorm() {
        double s = 0;
        for (Param p : params.values()) {
            float[] g = p.g();
            for (float x : g) s += (double) x * x;
        }
        return Math.sqrt(s);
    }

    /** Scales all gradients so that their global norm is at most {@code maxNorm}; returns the norm before. */
    public double clipGradNorm(double maxNorm) {
        double n = gradNorm();
        if (maxNorm > 0 && n > maxNorm) {
            float f = (float) (maxNorm / (n + 1e-6));
            for (Param p : params.values()) {
                float[] g = p.g();
                for (int i = 0; i < g.length; i++) g[i] *= f;
            }
        }
        return n;
    }

    /** The values by name (shared, not copied), in creation order. */
    public SequencedMap<String, Tensor> toMap() {
        SequencedMap<String, Tensor> m = new LinkedHashMap<>();
        for (Param p : params.values()) m.put(p.name(), p.value());
        return m;
    }

    /** Copies every parameter's value from {@code source}; missing names or other shapes are errors. */
    public void load(Map<String, Tensor> source, String what) {
        for (Param p : params.values()) {
            Tensor t = source.get(p.name());
            if (t == null) throw new CheckpointException(what + ": missing tensor '" + p.name() + "' (expected shape " + p.value().shape() + ")");
            if (!t.shape().equals(p.value().shape()))
                throw new CheckpointException(what + ": tensor '" + p.name() + "' has shape " + t.shape() + ", expected " + p.value().shape());
            p.value().copyFrom(t);
        }
    }
}
