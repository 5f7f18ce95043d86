package io.vdq.io;

import io.vdq.VdqException.CheckpointException;
import io.vdq.tensor.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/** Float32 tensors held in a map: models built in tests and by training, before they are written. */
public final class InMemoryTensorSource implements TensorSource {
    private final Map<String, Tensor> tensors;
    private final Map<String, String> metadata;

    public InMemoryTensorSource(Map<String, Tensor> tensors) { this(tensors, Map.of()); }

    public InMemoryTensorSource(Map<String, Tensor> tensors, Map<String, String> metadata) {
        this.tensors = new LinkedHashMap<>(tensors);
        this.metadata = Map.copyOf(metadata);
    }

    public Map<String, Tensor> tensors() { return Collections.unmodifiableMap(tensors); }

    @Override public SortedSet<String> names() { return Collections.unmodifiableSortedSet(new TreeSet<>(tensors.keySet())); }

    @Override public TensorInfo info(String name) {
        Tensor t = get(name);
        long[] s = new long[t.rank()];
        for (int i = 0; i < s.length; i++) s[i] = t.dim(i);
        return new TensorInfo(name, DType.F32, s, 0, 4L * t.size());
    }

    @Override public Tensor readFloat(String name) { return get(name); }

    private Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) throw new CheckpointException(describe() + ": no tensor named '" + name + "'");
        return t;
    }

    @Override public Map<String, String> metadata() { return metadata; }

    @Override public String describe() { return "in-memory weights"; }
}
