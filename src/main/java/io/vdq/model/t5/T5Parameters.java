package io.vdq.model.t5;

import java.util.LinkedHashMap;
import java.util.SequencedMap;

/**
 * Tensor names and shapes of a transformers T5/UMT5 encoder checkpoint ({@code UMT5EncoderModel},
 * {@code T5EncoderModel}). The token embedding is stored as {@code shared.weight} or as
 * {@code encoder.embed_tokens.weight} (the two are one tied tensor; a file usually keeps one name).
 */
final class T5Parameters {
    static final String SHARED = "shared.weight";
    static final String EMBED_TOKENS = "encoder.embed_tokens.weight";
    static final String FINAL_NORM = "encoder.final_layer_norm.weight";

    private T5Parameters() {}

    static String block(int i) { return "encoder.block." + i + ".layer."; }
    static String q(int i) { return block(i) + "0.SelfAttention.q.weight"; }
    static String k(int i) { return block(i) + "0.SelfAttention.k.weight"; }
    static String v(int i) { return block(i) + "0.SelfAttention.v.weight"; }
    static String o(int i) { return block(i) + "0.SelfAttention.o.weight"; }
    static String relativeBias(int i) { return block(i) + "0.SelfAttention.relative_attention_bias.weight"; }
    static String attnNorm(int i) { return block(i) + "0.layer_norm.weight"; }
    static String wi0(int i) { return block(i) + "1.DenseReluDense.wi_0.weight"; }
    static String wi1(int i) { return block(i) + "1.DenseReluDense.wi_1.weight"; }
    static String wo(int i) { return block(i) + "1.DenseReluDense.wo.weight"; }
    static String ffnNorm(int i) { return block(i) + "1.layer_norm.weight"; }

    /** Whether layer i owns a relative-attention bias table: every layer for UMT5, layer 0 only for T5 v1.1. */
    static boolean hasRelativeBias(T5Config c, int i) { return c.umt5() || i == 0; }

    /** Every encoder tensor except the embedding, with its shape, in model order. */
    static SequencedMap<String, long[]> encoderShapes(T5Config c) {
        long d = c.dModel(), inner = c.innerDim(), ff = c.dFf();
        SequencedMap<String, long[]> m = new LinkedHashMap<>();
        for (int i = 0; i < c.numLayers(); i++) {
            m.put(q(i), new long[]{inner, d});
            m.put(k(i), new long[]{inner, d});
            m.put(v(i), new long[]{inner, d});
            m.put(o(i), new long[]{d, inner});
            if (hasRelativeBias(c, i)) m.put(relativeBias(i), new long[]{c.relativeAttentionNumBuckets(), c.numHeads()});
            m.put(attnNorm(i), new long[]{d});
            m.put(wi0(i), new long[]{ff, d});
            m.put(wi1(i), new long[]{ff, d});
            m.put(wo(i), new long[]{d, ff});
            m.put(ffnNorm(i), new long[]{d});
        }
        m.put(FINAL_NORM, new long[]{d});
        return m;
    }

    /** The whole checkpoint as {@link SyntheticT5} writes it: {@code shared.weight} first, then the encoder. */
    static SequencedMap<String, long[]> allShapes(T5Config c) {
        SequencedMap<String, long[]> m = new LinkedHashMap<>();
        m.put(SHARED, new long[]{c.vocabSize(), c.dModel()});
        m.putAll(encoderShapes(c));
        return m;
    }
}
