package io.vdq.quant;

import io.vdq.VdqException.ConfigException;
import java.util.List;

/**
 * Default layer selection per architecture: every Linear inside the transformer blocks is quantized; patch
 * embedding, condition embedder (time/text embedders, {@code time_proj}) and {@code proj_out} stay float.
 */
public final class ArchitectureDefaults {
    private ArchitectureDefaults() {}

    public static final List<String> WAN_INCLUDE = List.of(
            "blocks.*.attn1.to_q", "blocks.*.attn1.to_k", "blocks.*.attn1.to_v", "blocks.*.attn1.to_out.0",
            "blocks.*.attn2.to_q", "blocks.*.attn2.to_k", "blocks.*.attn2.to_v", "blocks.*.attn2.to_out.0",
            "blocks.*.ffn.net.0.proj", "blocks.*.ffn.net.2");

    public static final List<String> WAN_EXCLUDE = List.of(
            "patch_embedding", "patch_embedding.**", "condition_embedder.**", "**time_proj", "proj_out");

    public static List<String> include(String arch) {
        if (arch.equalsIgnoreCase("wan")) return WAN_INCLUDE;
        throw new ConfigException("no default layer patterns for architecture '" + arch + "': expected wan");
    }

    public static List<String> exclude(String arch) {
        if (arch.equalsIgnoreCase("wan")) return WAN_EXCLUDE;
        throw new ConfigException("no default layer patterns for architecture '" + arch + "': expected wan");
    }
}
