package io.vdq.quant.ckpt;

import com.fasterxml.jackson.databind.JsonNode;
import io.vdq.io.TensorSource;
import io.vdq.kernel.ExecutionContext;
import io.vdq.model.Linear;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.IntExec;
import io.vdq.quant.StepTag;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A quantized layer of a sharded checkpoint, left in the mapped file: each call decodes the layer from its
 * tensors ({@link Codecs#decode}, with every check of a normal load: shapes, dtypes, code ranges, finite
 * values), runs it, drops it and gives the tensors' pages back to the OS. A model built of these holds only its
 * float part and one decoded layer at a time, so a checkpoint larger than memory (a 14B-shaped W4 model is about
 * 7.5 GB) runs in bounded memory, at the cost of decoding every layer on every call. The descriptor's kind, sizes
 * and tensor names are checked at load; the tensor values when the layer first runs.
 */
final class MappedLayer implements Linear, IntExec.Executable {
    private final String prefix;
    private final JsonNode descriptor;
    private final TensorSource src;
    private final ActivationBits bits;
    private final StepTag tag;
    private final int out, in;
    private final List<String> tensors;

    private MappedLayer(String prefix, JsonNode descriptor, TensorSource src, ActivationBits bits, StepTag tag, int out, int in,
                        List<String> tensors) {
        this.prefix = prefix;
        this.descriptor = descriptor;
        this.src = src;
        this.bits = bits;
        this.tag = tag;
        this.out = out;
        this.in = in;
        this.tensors = tensors;
    }

    /** The layer at {@code p}: its descriptor's sizes read through {@code r}, its tensors (every name under p) marked used. */
    static MappedLayer of(String p, JsonNode d, TensorSource src, LayerReader r) {
        r.text(d, "kind", p);
        int out = r.integer(d, "out", p), in = r.integer(d, "in", p);
        List<String> names = new ArrayList<>();
        for (String n : src.names()) if (n.startsWith(p + ".")) names.add(n);
        r.tensors().used().addAll(names);
        return new MappedLayer(p, d, src, r.activationBits(), r.stepTag(), out, in, List.copyOf(names));
    }

    /** How the decoded layer runs (its kind's usual path), decoded from the mapped shards on every call. */
    @Override public String execution() {
        return descriptor.path("kind").asText() + " decoded per call from the mapped shards, " + ExecutionContext.quantExec().name().toLowerCase(Locale.ROOT);
    }

    @Override public int inFeatures() { return in; }
    @Override public int outFeatures() { return out; }

    /** The layer decoded from the mapped file (a fresh copy; the caller drops it). */
    Linear decode() {
        try {
            return Codecs.decode(prefix, descriptor, Codecs.reader(new Tensors(src), bits, tag));
        } finally {
            release();
        }
    }

    @Override
    public void forward(float[] x, int xOff, int rows, float[] y, int yOff) {
        decode().forward(x, xOff, rows, y, yOff);
    }

    /** Gives the layer's mapped pages back to the OS (the page cache keeps them; they leave this process's RSS). */
    private void release() {
        for (String n : tensors) {
            MemorySegment s = src.segment(n);
            if (s.isMapped()) s.unload();
        }
    }
}
