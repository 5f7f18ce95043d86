package io.vdq.model;

import java.util.SequencedMap;

/**
 * A model whose linear layers can be listed and replaced by their diffusers parameter prefix
 * (e.g. {@code blocks.3.attn1.to_q}). Quantization methods rewrite models through this interface only.
 */
public interface LinearRegistry {
    /** Every linear layer in forward order, keyed by parameter prefix. */
    SequencedMap<String, Linear> linears();

    /** Replaces one layer; throws {@code ConfigException} for an unknown name or mismatched in/out sizes. */
    void replaceLinear(String name, Linear layer);

    /**
     * The model behind this registry: itself, or the wrapped model of a registry that only observes replacements
     * (the quantize pipeline's progress and error probe). Methods that need the architecture (S²Q runs Wan blocks)
     * look here and still install layers through {@link #replaceLinear}.
     */
    default LinearRegistry underlying() { return this; }
}
