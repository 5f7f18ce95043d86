package io.vdq.quant;

import io.vdq.VdqException.ConfigException;
import io.vdq.model.FloatLinear;
import io.vdq.model.Linear;
import io.vdq.model.LinearRegistry;
import io.vdq.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.SequencedMap;

/** A model that is only a named set of linear layers (Wan-like names), for testing methods without the runtime. */
public final class FakeRegistry implements LinearRegistry {
    private final SequencedMap<String, Linear> layers = new LinkedHashMap<>();

    public FakeRegistry put(String name, Linear l) { layers.put(name, l); return this; }

    /** Blocks with attn1/attn2 q,k,v,out (dim→dim) and ffn (dim→ffn→dim), plus float-only globals. */
    public static FakeRegistry wanLike(long seed, int blocks, int dim, int ffn) {
        FakeRegistry m = new FakeRegistry();
        m.put("condition_embedder.time_proj", linear(seed, 6 * dim, dim));
        for (int b = 0; b < blocks; b++) {
            for (String a : new String[]{"attn1", "attn2"})
                for (String p : new String[]{"to_q", "to_k", "to_v", "to_out.0"})
                    m.put("blocks." + b + "." + a + "." + p, linear(seed += 7, dim, dim));
            m.put("blocks." + b + ".ffn.net.0.proj", linear(seed += 7, ffn, dim));
            m.put("blocks." + b + ".ffn.net.2", linear(seed += 7, dim, ffn));
        }
        m.put("proj_out", linear(seed + 1, 8, dim));
        return m;
    }

    public static FloatLinear linear(long seed, int out, int in) {
        float[] w = Tensor.randn(seed, out, in).data();
        float sc = (float) (1 / Math.sqrt(in));
        for (int i = 0; i < w.length; i++) w[i] *= sc;
        return new FloatLinear(w, Tensor.randn(seed + 1, out).data(), out, in);
    }

    @Override public SequencedMap<String, Linear> linears() { return java.util.Collections.unmodifiableSequencedMap(layers); }

    @Override public void replaceLinear(String name, Linear layer) {
        Linear old = layers.get(name);
        if (old == null) throw new ConfigException("no linear layer '" + name + "'");
        if (old.inFeatures() != layer.inFeatures() || old.outFeatures() != layer.outFeatures())
            throw new ConfigException("layer '" + name + "' shape mismatch");
        layers.put(name, layer);
    }
}
