package io.vdq.model.t5;

import io.vdq.VdqException.CheckpointException;
import io.vdq.VdqException.ConfigException;
import io.vdq.io.Checkpoints;
import io.vdq.io.DType;
import io.vdq.io.TensorInfo;
import io.vdq.io.TensorSource;
import io.vdq.kernel.KernelBackend;
import io.vdq.kernel.Kernels;
import io.vdq.tensor.Parallel;
import io.vdq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The encoder half of T5: UMT5 ({@code UMT5EncoderModel}, Wan2.1's text encoder) or T5 v1.1
 * ({@code T5EncoderModel}, CogVideoX's). Per layer: x += o(attn(rms(x))), then x += wo(gelu_new(wi_0·h) ⊙ wi_1·h)
 * with h = rms(x); a final RMS norm. Attention has no 1/√d_kv scaling and adds a learned bias per head indexed by
 * the bucketed relative position ({@link RelativePosition}); UMT5 has a bias table in every layer, T5 v1.1 only in
 * layer 0, reused by every layer. RMS norm divides by √(mean(x²) + ε) without subtracting the mean. No biases.
 *
 * <p>Weights stay memory-mapped in their stored dtype (BF16, F16 or F32); each linear layer is streamed in blocks
 * of output rows ({@link StreamingLinear}) and the embedding lookup reads only the rows of the given ids. Only the
 * norm weights and bias tables are read into the heap. After each layer its weight pages are handed back to the OS
 * (they stay in the page cache), so the resident set holds about one layer of mapped weights; set
 * {@code -Dvdq.t5.release=false} to keep them mapped in.
 *
 * <p>{@link #encode} runs the given tokens only, with no padding and no mask. With the attention mask a diffusers
 * {@code WanPipeline} passes (1 on the prompt's tokens, 0 on padding up to 512), padded keys get −∞ added to their
 * scores, so every real token attends to exactly the real tokens, with the same relative positions; its outputs
 * therefore equal those of running the real tokens alone (WanPipeline then zeroes the padded rows).
 */
public final class T5Encoder implements AutoCloseable {
    private static final boolean RELEASE = Boolean.parseBoolean(System.getProperty("vdq.t5.release", "true"));
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private record Layer(float[] attnNorm, StreamingLinear q, StreamingLinear k, StreamingLinear v, StreamingLinear o,
                         float[] bias, float[] ffnNorm, StreamingLinear wi0, StreamingLinear wi1, StreamingLinear wo) {
        void release() {
            for (StreamingLinear l : List.of(q, k, v, o, wi0, wi1, wo)) l.release();
        }
    }

    private final T5Config c;
    private final TensorSource src;
    private final boolean ownsSource;
    private final String embeddingName;
    private final MemorySegment embedding;
    private final DType embeddingType;
    private final List<Layer> layers = new ArrayList<>();
    private final float[] finalNorm;
    private volatile boolean closed;

    private T5Encoder(T5Config c, TensorSource src, boolean ownsSource) {
        this.c = c;
        this.src = src;
        this.ownsSource = ownsSource;
        Map<String, long[]> expected = T5Parameters.encoderShapes(c);
        List<String> extra = new ArrayList<>();
        for (String n : src.names())
            if (n.startsWith("encoder.") && !n.equals(T5Parameters.EMBED_TOKENS) && !expected.containsKey(n)) extra.add(n);
        if (!extra.isEmpty())
            throw new CheckpointException(src.describe() + ": unexpected tensor" + (extra.size() > 1 ? "s " : " ")
                    + String.join(", ", extra.subList(0, Math.min(3, extra.size())))
                    + (extra.size() > 3 ? " (+" + (extra.size() - 3) + " more)" : "") + " for a "
                    + (c.umt5() ? "umt5" : "t5") + " encoder with " + c.numLayers() + " layers"
                    + (!c.umt5() && extra.getFirst().endsWith("relative_attention_bias.weight")
                       ? " (t5 keeps the relative bias in layer 0 only; is this a umt5 checkpoint?)" : ""));
        embeddingName = src.contains(T5Parameters.SHARED) ? T5Parameters.SHARED
                : src.contains(T5Parameters.EMBED_TOKENS) ? T5Parameters.EMBED_TOKENS : null;
        if (embeddingName == null)
            throw new CheckpointException(src.describe() + ": missing tensor '" + T5Parameters.SHARED + "' (or '"
                    + T5Parameters.EMBED_TOKENS + "') of shape [" + c.vocabSize() + ", " + c.dModel() + "]");
        TensorInfo ei = check(embeddingName, new long[]{c.vocabSize(), c.dModel()});
        embeddingType = floatType(ei);
        for (var e : expected.entrySet()) check(e.getKey(), e.getValue());
        embedding = src.segment(embeddingName);
        float[] sharedBias = null;
        for (int i = 0; i < c.numLayers(); i++) {
            float[] bias = T5Parameters.hasRelativeBias(c, i) ? floats(T5Parameters.relativeBias(i)) : sharedBias;
            if (i == 0) sharedBias = bias;
            layers.add(new Layer(floats(T5Parameters.attnNorm(i)), linear(T5Parameters.q(i)), linear(T5Parameters.k(i)),
                    linear(T5Parameters.v(i)), linear(T5Parameters.o(i)), bias, floats(T5Parameters.ffnNorm(i)),
                    linear(T5Parameters.wi0(i)), linear(T5Parameters.wi1(i)), linear(T5Parameters.wo(i))));
        }
        finalNorm = floats(T5Parameters.FINAL_NORM);
    }

    /**
     * Opens a {@code text_encoder/} folder: {@code config.json} and {@code model.safetensors} or
     * {@code model.safetensors.index.json} with its shards (a pipeline folder holding {@code text_encoder/} works
     * too). Errors name the file. The weights stay mapped until {@link #close}.
     */
    public static T5Encoder load(Path dir) {
        if (!Files.isRegularFile(dir.resolve("config.json")) && Files.isDirectory(dir.resolve("text_encoder")))
            dir = dir.resolve("text_encoder");
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg))
            throw new ConfigException(cfg + ": no such file (a text_encoder folder holds config.json and model.safetensors[.index.json])");
        T5Config c = T5Config.read(cfg);
        TensorSource src = Checkpoints.open(dir);
        try {
            return new T5Encoder(c, src, true);
        } catch (RuntimeException e) {
            src.close();
            throw e;
        }
    }

    /** An encoder over {@code src}, which the caller keeps open while the encoder is used and closes afterwards. */
    public static T5Encoder fromSource(T5Config c, TensorSource src) { return new T5Encoder(c, src, false); }

    public T5Config config() { return c; }

    /**
     * The final hidden states, {@code [ids.length, d_model]} float32, of the given token ids (no padding, no
     * mask: see the class comment). Ids outside {@code [0, vocab_size)} or an empty array throw ConfigException.
     */
    public Tensor encode(int[] ids) {
        if (closed) throw new IllegalStateException(src.describe() + ": encoder used after close");
        int s = ids.length, d = c.dModel(), inner = c.innerDim(), ff = c.dFf();
        if (s == 0) throw new ConfigException("T5 encoder: no token ids to encode");
        for (int t = 0; t < s; t++)
            if (ids[t] < 0 || ids[t] >= c.vocabSize())
                throw new ConfigException("token id " + ids[t] + " at position " + t + " is outside the vocabulary [0, "
                        + c.vocabSize() + ") of " + src.describe());
        KernelBackend b = Kernels.get();
        float eps = (float) c.layerNormEpsilon();
        float[] x = embed(ids);
        int[] buckets = RelativePosition.table(s, c.relativeAttentionNumBuckets(), c.relativeAttentionMaxDistance());
        float[] h = new float[s * d], out = new float[s * d];
        float[] q = new float[s * inner], k = new float[s * inner], v = new float[s * inner], ctx = new float[s * inner];
        float[] g = new float[s * ff], u = new float[s * ff];
        for (Layer l : layers) {
            b.rmsNorm(x, 0, h, 0, s, d, l.attnNorm(), eps);
            l.q().apply(h, s, q);
            l.k().apply(h, s, k);
            l.v().apply(h, s, v);
            attention(b, q, k, v, ctx, s, l.bias(), buckets);
            l.o().apply(ctx, s, out);
            b.add(x, 0, out, 0, x, 0, s * d);
            b.rmsNorm(x, 0, h, 0, s, d, l.ffnNorm(), eps);
            l.wi0().apply(h, s, g);
            l.wi1().apply(h, s, u);
            b.geluTanh(g, 0, s * ff);
            b.mul(g, 0, u, 0, g, 0, s * ff);
            l.wo().apply(g, s, out);
            b.add(x, 0, out, 0, x, 0, s * d);
            if (RELEASE) l.release();
        }
        b.rmsNorm(x, 0, x, 0, s, d, finalNorm, eps);
        return Tensor.of(x, s, d);
    }

    /** Per head h: softmax(Q_h·K_hᵀ + bias_h) · V_h into ctx's columns of that head; heads run in parallel. */
    private void attention(KernelBackend b, float[] q, float[] k, float[] v, float[] ctx, int s, float[] bias, int[] buckets) {
        int heads = c.numHeads(), dk = c.dKv(), inner = c.innerDim();
        Parallel.forEachDynamic(heads, hd -> {
            float[] scores = new float[s * s];
            float[] rel = new float[2 * s - 1];   // bias of relative position j − i, at index j − i + s − 1
            for (int r = 0; r < rel.length; r++) rel[r] = bias[buckets[r] * heads + hd];
            b.sgemm(false, true, s, s, dk, q, hd * dk, inner, k, hd * dk, inner, 0f, scores, 0, s);
            for (int i = 0; i < s; i++) {
                int row = i * s, shift = s - 1 - i;
                for (int j = 0; j < s; j++) scores[row + j] += rel[j + shift];
            }
            b.softmax(scores, 0, s, s);
            b.sgemm(false, false, s, dk, s, scores, 0, s, v, hd * dk, inner, 0f, ctx, hd * dk, inner);
        });
    }

    /** The embedding rows of {@code ids}, read from the mapped table one row at a time. */
    private float[] embed(int[] ids) {
        int d = c.dModel();
        float[] x = new float[ids.length * d];
        Parallel.forEach(ids.length, t -> {
            long at = (long) ids[t] * d * embeddingType.bytes;
            int o = t * d;
            switch (embeddingType) {
                case F32 -> MemorySegment.copy(embedding, F32, at, x, o, d);
                case BF16 -> { for (int i = 0; i < d; i++) x[o + i] = Float.intBitsToFloat(embedding.get(I16, at + 2L * i) << 16); }
                case F16 -> { for (int i = 0; i < d; i++) x[o + i] = Float.float16ToFloat(embedding.get(I16, at + 2L * i)); }
                default -> throw new IllegalStateException("unreachable: " + embeddingType);
            }
        });
        return x;
    }

    private TensorInfo check(String name, long[] shape) {
        if (!src.contains(name))
            throw new CheckpointException(src.describe() + ": missing tensor '" + name + "' of shape " + Arrays.toString(shape));
        TensorInfo i = src.info(name);
        if (!Arrays.equals(i.shape(), shape))
            throw new CheckpointException(src.describe() + ": tensor '" + name + "' has shape " + Arrays.toString(i.shape())
                    + ", expected " + Arrays.toString(shape) + " for this config");
        floatType(i);
        return i;
    }

    private DType floatType(TensorInfo i) {
        DType t = i.dtype();
        if (t != DType.BF16 && t != DType.F16 && t != DType.F32)
            throw new CheckpointException(src.describe() + ": tensor '" + i.name() + "' is " + t + "; expected BF16, F16 or F32");
        return t;
    }

    private float[] floats(String name) { return src.readFloat(name).toArray(); }

    private StreamingLinear linear(String name) {
        TensorInfo i = src.info(name);
        int[] sh = i.intShape();
        return new StreamingLinear(src.describe() + ": tensor '" + name + "'", src.segment(name), i.dtype(), sh[0], sh[1]);
    }

    /** Unmaps the weights when this encoder opened them ({@link #load}); a no-op for {@link #fromSource}. */
    @Override public void close() {
        if (closed) return;
        closed = true;
        if (ownsSource) src.close();
    }
}
