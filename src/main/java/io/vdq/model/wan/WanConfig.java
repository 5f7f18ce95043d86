package io.vdq.model.wan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code config.json} of a diffusers {@code WanTransformer3DModel} (text-to-video only). Missing keys take
 * diffusers' defaults; the original Wan repository's config ({@code dim}, {@code num_heads}, {@code in_dim}, …)
 * is mapped. Image-to-video options ({@code image_dim}, {@code added_kv_proj_dim}) are refused.
 */
public record WanConfig(int patchT, int patchH, int patchW, int numAttentionHeads, int attentionHeadDim,
                        int inChannels, int outChannels, int textDim, int freqDim, int ffnDim, int numLayers,
                        boolean crossAttnNorm, String qkNorm, float eps, int ropeMaxSeqLen, float sampleMinSigma) {

    public static final String QK_NORM_ACROSS_HEADS = "rms_norm_across_heads";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The widest model whose width × width weights fit one Java array (46 340² < 2³¹). */
    public static final int MAX_DIM = 46_340;

    public WanConfig {
        String where = "Wan config";
        positive(where, "patch_size[0]", patchT);
        positive(where, "patch_size[1]", patchH);
        positive(where, "patch_size[2]", patchW);
        positive(where, "num_attention_heads", numAttentionHeads);
        positive(where, "attention_head_dim", attentionHeadDim);
        positive(where, "in_channels", inChannels);
        positive(where, "out_channels", outChannels);
        positive(where, "text_dim", textDim);
        positive(where, "freq_dim", freqDim);
        positive(where, "ffn_dim", ffnDim);
        positive(where, "num_layers", numLayers);
        positive(where, "rope_max_seq_len", ropeMaxSeqLen);
        if (freqDim % 2 != 0)
            throw new ConfigException(where + ": freq_dim must be even, got " + freqDim);
        if ((long) numAttentionHeads * attentionHeadDim > MAX_DIM)
            throw new ConfigException(where + ": num_attention_heads " + numAttentionHeads + " × attention_head_dim " + attentionHeadDim
                    + " = " + (long) numAttentionHeads * attentionHeadDim + " is wider than " + MAX_DIM + " (a width × width weight must fit a Java array)");
        if ((long) ffnDim * numAttentionHeads * attentionHeadDim > Integer.MAX_VALUE - 16)
            throw new ConfigException(where + ": ffn_dim " + ffnDim + " × width " + (long) numAttentionHeads * attentionHeadDim
                    + " weights do not fit a Java array");
        if (attentionHeadDim % 2 != 0)
            throw new ConfigException(where + ": attention_head_dim must be even for rotary pairs, got " + attentionHeadDim);
        // diffusers builds the tables with 2·(d/6) channels for h and w but splits them with d/3: the two agree
        // only when d/3 is even, which holds for every released Wan (128 → 44/42/42).
        if (2 * (attentionHeadDim / 6) != attentionHeadDim / 3)
            throw new ConfigException(where + ": attention_head_dim " + attentionHeadDim
                    + " gives inconsistent RoPE splits (2·(d/6) ≠ d/3); expected d/3 even, e.g. 12, 48, 72, 96, 128");
        if (!QK_NORM_ACROSS_HEADS.equals(qkNorm))
            throw new ConfigException(where + ": qk_norm '" + qkNorm + "' is not supported; expected '" + QK_NORM_ACROSS_HEADS + "'");
        if (!(eps > 0f)) throw new ConfigException(where + ": eps must be > 0, got " + eps);
        if (!(sampleMinSigma >= 0f && sampleMinSigma < 1f))
            throw new ConfigException(where + ": sample_min_sigma must be in [0, 1), got " + sampleMinSigma);
    }

    /** A Wan transformer that outputs the flow velocity (every released Wan checkpoint). */
    public WanConfig(int patchT, int patchH, int patchW, int numAttentionHeads, int attentionHeadDim,
                     int inChannels, int outChannels, int textDim, int freqDim, int ffnDim, int numLayers,
                     boolean crossAttnNorm, String qkNorm, float eps, int ropeMaxSeqLen) {
        this(patchT, patchH, patchW, numAttentionHeads, attentionHeadDim, inChannels, outChannels, textDim, freqDim,
                ffnDim, numLayers, crossAttnNorm, qkNorm, eps, ropeMaxSeqLen, 0f);
    }

    /**
     * Whether {@code proj_out} predicts the clean sample x̂ instead of the velocity ({@code prediction_type:
     * "sample"} in config.json, a vdq extension; diffusers' Wan has no such key and always predicts velocity).
     * The model's forward still returns the velocity, {@code (x_t − x̂) / max(σ, sample_min_sigma)} with σ =
     * timestep/1000, so samplers, calibration and quantizers see the same quantity for both kinds. Pixel-space
     * models with large patches learn x̂ far more easily than the velocity (Li & He 2025, "Back to Basics: Let
     * Denoising Generative Models Denoise"); vdq-tiny uses it.
     */
    public boolean predictsSample() { return sampleMinSigma > 0f; }

    /** This configuration with proj_out predicting the clean sample ({@code minSigma} > 0) or the velocity (0). */
    public WanConfig withSamplePrediction(float minSigma) {
        return new WanConfig(patchT, patchH, patchW, numAttentionHeads, attentionHeadDim, inChannels, outChannels, textDim,
                freqDim, ffnDim, numLayers, crossAttnNorm, qkNorm, eps, ropeMaxSeqLen, minSigma);
    }

    private static void positive(String where, String key, int v) {
        if (v <= 0) throw new ConfigException(where + ": " + key + " must be > 0, got " + v);
    }

    /** Hidden size = heads × head dim. */
    public int dim() { return numAttentionHeads * attentionHeadDim; }

    /** Values per patch going in (channels × patch volume). */
    public int patchIn() { return inChannels * patchT * patchH * patchW; }

    /** Values per token coming out of {@code proj_out}. */
    public int patchOut() { return outChannels * patchT * patchH * patchW; }

    /** RoPE channels of the head dimension given to the h and w axes (each); t gets the rest. */
    public int ropeHDim() { return attentionHeadDim / 3; }

    public int ropeTDim() { return attentionHeadDim - 2 * ropeHDim(); }

    /** The diffusers unit-test configuration: 2 heads × 12, ffn 32, 2 layers, in/out 4, text 16. */
    public static WanConfig tiny() {
        return new WanConfig(1, 2, 2, 2, 12, 4, 4, 16, 256, 32, 2, true, QK_NORM_ACROSS_HEADS, 1e-6f, 32);
    }

    /** Wan2.1-T2V-1.3B. */
    public static WanConfig wan21T2V1_3B() {
        return new WanConfig(1, 2, 2, 12, 128, 16, 16, 4096, 256, 8960, 30, true, QK_NORM_ACROSS_HEADS, 1e-6f, 1024);
    }

    public static WanConfig read(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read Wan config.json: " + e.getMessage(), e);
        }
        return fromJson(root, file.toString());
    }

    public static WanConfig parse(String json, String source) {
        try {
            return fromJson(JSON.readTree(json), source);
        } catch (IOException e) {
            throw new ConfigException(source + ": malformed JSON: " + e.getMessage(), e);
        }
    }

    public static WanConfig fromJson(JsonNode root, String source) {
        if (root == null || !root.isObject()) throw new ConfigException(source + ": expected a JSON object");
        for (String key : new String[]{"image_dim", "added_kv_proj_dim", "pos_embed_seq_len"}) {
            JsonNode v = root.get(key);
            if (v != null && !v.isNull())
                throw new ConfigException(source + ": " + key + " = " + v + " (image-to-video) is not supported; expected null");
        }
        if (root.has("dim") && !root.has("num_attention_heads")) return fromOriginal(root, source);
        int[] patch = intArray(root, "patch_size", new int[]{1, 2, 2}, source);
        int heads = intKey(root, "num_attention_heads", 40, source);
        int headDim = intKey(root, "attention_head_dim", 128, source);
        int in = intKey(root, "in_channels", 16, source);
        JsonNode outNode = root.get("out_channels");
        int out = outNode == null || outNode.isNull() ? in : intKey(root, "out_channels", in, source);
        String qk = root.has("qk_norm") && root.get("qk_norm").isNull() ? null : textKey(root, "qk_norm", QK_NORM_ACROSS_HEADS, source);
        String prediction = textKey(root, "prediction_type", "flow", source);
        float minSigma = 0f;
        if (prediction.equals("sample")) {
            minSigma = (float) doubleKey(root, "sample_min_sigma", 0.05, source);
            if (!(minSigma > 0f && minSigma < 1f))
                throw new ConfigException(source + ": sample_min_sigma must be in (0, 1) when prediction_type is 'sample', got " + minSigma);
        } else if (!prediction.equals("flow"))
            throw new ConfigException(source + ": prediction_type '" + prediction + "' is not supported; expected 'flow' or 'sample'");
        return new WanConfig(patch[0], patch[1], patch[2], heads, headDim, in, out,
                intKey(root, "text_dim", 4096, source), intKey(root, "freq_dim", 256, source),
                intKey(root, "ffn_dim", 13824, source), intKey(root, "num_layers", 40, source),
                boolKey(root, "cross_attn_norm", true, source), qk,
                (float) doubleKey(root, "eps", 1e-6, source), intKey(root, "rope_max_seq_len", 1024, source), minSigma);
    }

    /** The original Wan repository's config.json ({@code dim, ffn_dim, num_heads, in_dim, out_dim, model_type}). */
    private static WanConfig fromOriginal(JsonNode root, String source) {
        String type = textKey(root, "model_type", "t2v", source);
        if (!type.equals("t2v"))
            throw new ConfigException(source + ": model_type '" + type + "' is not supported; expected 't2v'");
        int dim = intKey(root, "dim", 1536, source);
        int heads = intKey(root, "num_heads", 12, source);
        if (heads <= 0) throw new ConfigException(source + ": num_heads must be > 0, got " + heads);
        if (dim % heads != 0)
            throw new ConfigException(source + ": dim " + dim + " is not a multiple of num_heads " + heads);
        if (!boolKey(root, "qk_norm", true, source))
            throw new ConfigException(source + ": qk_norm = false is not supported; expected true");
        int[] patch = intArray(root, "patch_size", new int[]{1, 2, 2}, source);
        return new WanConfig(patch[0], patch[1], patch[2], heads, dim / heads,
                intKey(root, "in_dim", 16, source), intKey(root, "out_dim", 16, source),
                intKey(root, "text_dim", 4096, source), intKey(root, "freq_dim", 256, source),
                intKey(root, "ffn_dim", 8960, source), intKey(root, "num_layers", 30, source),
                boolKey(root, "cross_attn_norm", true, source), QK_NORM_ACROSS_HEADS,
                (float) doubleKey(root, "eps", 1e-6, source), 1024);
    }

    /** The diffusers config.json for this configuration. */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("_class_name", "WanTransformer3DModel");
        m.put("patch_size", new int[]{patchT, patchH, patchW});
        m.put("num_attention_heads", numAttentionHeads);
        m.put("attention_head_dim", attentionHeadDim);
        m.put("in_channels", inChannels);
        m.put("out_channels", outChannels);
        m.put("text_dim", textDim);
        m.put("freq_dim", freqDim);
        m.put("ffn_dim", ffnDim);
        m.put("num_layers", numLayers);
        m.put("cross_attn_norm", crossAttnNorm);
        m.put("qk_norm", qkNorm);
        m.put("eps", Double.parseDouble(Float.toString(eps))); // 1e-6, not the float's binary expansion
        m.put("image_dim", null);
        m.put("added_kv_proj_dim", null);
        m.put("rope_max_seq_len", ropeMaxSeqLen);
        if (predictsSample()) {
            m.put("prediction_type", "sample");
            m.put("sample_min_sigma", Double.parseDouble(Float.toString(sampleMinSigma)));
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(m);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** This configuration as a JSON tree (for run records). */
    public ObjectNode toJsonNode() {
        try {
            return (ObjectNode) JSON.readTree(toJson());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int intKey(JsonNode root, String key, int dflt, String source) {
        JsonNode v = root.get(key);
        if (v == null) return dflt;
        if (!v.isIntegralNumber() || !v.canConvertToInt())
            throw new ConfigException(source + ": " + key + " must be an integer, got " + v);
        return v.intValue();
    }

    private static double doubleKey(JsonNode root, String key, double dflt, String source) {
        JsonNode v = root.get(key);
        if (v == null) return dflt;
        if (!v.isNumber()) throw new ConfigException(source + ": " + key + " must be a number, got " + v);
        return v.doubleValue();
    }

    private static boolean boolKey(JsonNode root, String key, boolean dflt, String source) {
        JsonNode v = root.get(key);
        if (v == null) return dflt;
        if (!v.isBoolean()) throw new ConfigException(source + ": " + key + " must be true or false, got " + v);
        return v.booleanValue();
    }

    private static String textKey(JsonNode root, String key, String dflt, String source) {
        JsonNode v = root.get(key);
        if (v == null) return dflt;
        if (!v.isTextual()) throw new ConfigException(source + ": " + key + " must be a string, got " + v);
        return v.textValue();
    }

    private static int[] intArray(JsonNode root, String key, int[] dflt, String source) {
        JsonNode v = root.get(key);
        if (v == null) return dflt;
        if (!v.isArray() || v.size() != 3)
            throw new ConfigException(source + ": " + key + " must be an array of 3 integers, got " + v);
        int[] r = new int[3];
        for (int i = 0; i < 3; i++) {
            if (!v.get(i).isIntegralNumber()) throw new ConfigException(source + ": " + key + " must hold integers, got " + v);
            r[i] = v.get(i).intValue();
        }
        return r;
    }
}
