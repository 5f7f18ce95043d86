package io.vdq.model.t5;

import io.vdq.VdqException.ConfigException;
import io.vdq.io.JsonConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fields of a transformers T5/UMT5 {@code config.json} that the encoder needs.
 *
 * @param umt5 true for {@code model_type} "umt5" (every layer owns a relative-attention bias table); false for "t5"
 *             and "mt5" (T5 v1.1: only layer 0 has the table and every layer reuses it)
 * @param feedForwardProj only "gated-gelu" (and its spelling "gated-gelu_new") is supported: gelu_new(wi_0·x) ⊙ wi_1·x
 */
public record T5Config(boolean umt5, int vocabSize, int dModel, int dKv, int numHeads, int dFf, int numLayers,
                       int relativeAttentionNumBuckets, int relativeAttentionMaxDistance, double layerNormEpsilon,
                       String feedForwardProj) {
    /** Feed-forward kinds this encoder runs. */
    public static final List<String> SUPPORTED_FFN = List.of("gated-gelu", "gated-gelu_new");

    public T5Config {
        check(vocabSize, "vocab_size");
        check(dModel, "d_model");
        check(dKv, "d_kv");
        check(numHeads, "num_heads");
        check(dFf, "d_ff");
        check(numLayers, "num_layers");
        if (relativeAttentionNumBuckets < 4)
            throw new ConfigException("relative_attention_num_buckets must be >= 4, got " + relativeAttentionNumBuckets);
        if (relativeAttentionMaxDistance <= relativeAttentionNumBuckets / 2 / 2)
            throw new ConfigException("relative_attention_max_distance must exceed the exact range relative_attention_num_buckets/4 = "
                    + relativeAttentionNumBuckets / 2 / 2 + ", got " + relativeAttentionMaxDistance);
        if (!(layerNormEpsilon > 0) || !Double.isFinite(layerNormEpsilon))
            throw new ConfigException("layer_norm_epsilon must be a positive number, got " + layerNormEpsilon);
        if (!SUPPORTED_FFN.contains(feedForwardProj))
            throw new ConfigException("feed_forward_proj '" + feedForwardProj + "' is not supported (supported: "
                    + String.join(", ", SUPPORTED_FFN) + ")");
        if ((long) numHeads * dKv > Integer.MAX_VALUE / 1024)
            throw new ConfigException("num_heads × d_kv = " + (long) numHeads * dKv + " is too large");
    }

    private static void check(int v, String field) {
        if (v <= 0) throw new ConfigException(field + " must be a positive integer, got " + v);
    }

    /** Width of the attention projections, num_heads × d_kv (need not equal d_model). */
    public int innerDim() { return numHeads * dKv; }

    /** Reads a transformers {@code config.json}; errors name the file and the field. */
    public static T5Config read(Path configJson) {
        JsonConfig j = JsonConfig.read(configJson);
        String type = j.getString("model_type");
        boolean umt5 = switch (type) {
            case "umt5" -> true;
            case "t5", "mt5" -> false;
            default -> throw new ConfigException(j.source() + ": model_type '" + type + "' is not a T5 encoder (expected umt5, t5 or mt5)");
        };
        try {
            return new T5Config(umt5, j.getInt("vocab_size"), j.getInt("d_model"), j.getInt("d_kv"), j.getInt("num_heads"),
                    j.getInt("d_ff"), j.getInt("num_layers"), j.getInt("relative_attention_num_buckets", 32),
                    j.getInt("relative_attention_max_distance", 128), j.getDouble("layer_norm_epsilon", 1e-6),
                    j.getString("feed_forward_proj", umt5 ? "gated-gelu" : "relu"));
        } catch (ConfigException e) {
            if (e.getMessage().startsWith(j.source())) throw e;
            throw new ConfigException(j.source() + ": " + e.getMessage(), e);
        }
    }

    /** A transformers-style config.json for this configuration (what {@link SyntheticT5} writes). */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architectures", List.of(umt5 ? "UMT5EncoderModel" : "T5EncoderModel"));
        m.put("model_type", umt5 ? "umt5" : "t5");
        m.put("vocab_size", vocabSize);
        m.put("d_model", dModel);
        m.put("d_kv", dKv);
        m.put("num_heads", numHeads);
        m.put("d_ff", dFf);
        m.put("num_layers", numLayers);
        m.put("relative_attention_num_buckets", relativeAttentionNumBuckets);
        m.put("relative_attention_max_distance", relativeAttentionMaxDistance);
        m.put("layer_norm_epsilon", layerNormEpsilon);
        m.put("feed_forward_proj", feedForwardProj);
        m.put("dense_act_fn", "gelu_new");
        m.put("is_gated_act", true);
        m.put("tie_word_embeddings", false);
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(m) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
