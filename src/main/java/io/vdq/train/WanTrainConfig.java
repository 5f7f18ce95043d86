package io.vdq.train;

import io.vdq.VdqException.ConfigException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code WanTransformer3DModel} config.json fields that the trainable model uses (diffusers key names in
 * {@link #toDiffusersConfig()}); T2V only (no image tokens).
 */
public record WanTrainConfig(int inChannels, int outChannels, int patchT, int patchH, int patchW, int numHeads,
                             int headDim, int ffnDim, int numLayers, int textDim, int freqDim, float eps, double ropeTheta) {

    public WanTrainConfig {
        if (headDim % 2 != 0 || freqDim % 2 != 0)
            throw new ConfigException("WanTrainConfig: attention_head_dim (" + headDim + ") and freq_dim (" + freqDim + ") must be even");
        // diffusers builds the rope tables with 2·⌊d/6⌋ channels for h and w but splits them with ⌊d/3⌋;
        // only head dims where the two agree (12, 48, 72, 96, 128, …; not 64) have well-defined semantics
        if (2 * (headDim / 6) != headDim / 3)
            throw new ConfigException("WanTrainConfig: attention_head_dim " + headDim + " gives inconsistent RoPE splits in diffusers (2·⌊d/6⌋ = "
                    + 2 * (headDim / 6) + " ≠ ⌊d/3⌋ = " + headDim / 3 + "); use e.g. 48, 72, 96 or 128");
        if (Math.min(Math.min(inChannels, outChannels), Math.min(numHeads, numLayers)) < 1 || patchT < 1 || patchH < 1 || patchW < 1)
            throw new ConfigException("WanTrainConfig: channels, heads, layers and patch sizes must be positive");
    }

    public int dim() { return numHeads * headDim; }

    /** Values per patch going in (C·pt·ph·pw) and coming out (pt·ph·pw·C_out). */
    public int patchIn() { return inChannels * patchT * patchH * patchW; }
    public int patchOut() { return outChannels * patchT * patchH * patchW; }

    /** diffusers' test configuration: 2 heads × 12, ffn 32, 2 layers, in/out 4, text_dim 16, freq 256. */
    public static WanTrainConfig diffusersTiny() { return new WanTrainConfig(4, 4, 1, 2, 2, 2, 12, 32, 2, 16, 256, 1e-6f, 10000); }

    public Map<String, Object> toDiffusersConfig() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("_class_name", "WanTransformer3DModel");
        m.put("patch_size", List.of(patchT, patchH, patchW));
        m.put("num_attention_heads", numHeads);
        m.put("attention_head_dim", headDim);
        m.put("in_channels", inChannels);
        m.put("out_channels", outChannels);
        m.put("text_dim", textDim);
        m.put("freq_dim", freqDim);
        m.put("ffn_dim", ffnDim);
        m.put("num_layers", numLayers);
        m.put("cross_attn_norm", true);
        m.put("qk_norm", "rms_norm_across_heads");
        m.put("eps", (double) eps);
        m.put("image_dim", null);
        m.put("added_kv_proj_dim", null);
        m.put("rope_max_seq_len", 1024);
        return m;
    }
}
