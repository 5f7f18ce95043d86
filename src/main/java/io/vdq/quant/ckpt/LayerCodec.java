package io.vdq.quant.ckpt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.model.Linear;

/**
 * How one kind of quantized layer is stored in a quantized checkpoint: its tensors under the layer's prefix and a
 * JSON descriptor in the file's {@code __metadata__}. The format knows {@code quantized_linear} itself; a method
 * package that brings its own layer class registers a codec for it in
 * {@code META-INF/services/io.vdq.quant.ckpt.LayerCodec} (as methods are registered), so this package knows no
 * method. docs/FORMAT.md describes the stored kinds.
 *
 * @param <L> the layer class this codec stores
 */
public interface LayerCodec<L extends Linear> {
    /** The descriptor's {@code kind}, unique among codecs ({@code "arq"}). */
    String kind();

    /** The layer class stored (instances of it, and only they, go through this codec). */
    Class<L> type();

    /** True when the layer follows the model's shared step tag, which loading must then have the sampler set. */
    default boolean stepTagged() { return false; }

    /**
     * Writes the layer's tensors under {@code prefix} through {@code out} and its fields into {@code descriptor},
     * which already holds {@code kind}.
     */
    void encode(String prefix, L layer, LayerWriter out, ObjectNode descriptor);

    /** Rebuilds the layer at {@code prefix} from its descriptor, reading its tensors through {@code in}. */
    L decode(String prefix, JsonNode descriptor, LayerReader in);
}
