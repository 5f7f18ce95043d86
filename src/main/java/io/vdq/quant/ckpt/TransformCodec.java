package io.vdq.quant.ckpt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.quant.InputTransform;

/**
 * How one kind of {@link InputTransform} of a {@code quantized_linear} layer is stored: an entry of the layer's
 * {@code transform} list (its {@code type} and fields) and its tensors under {@code PREFIX.transform.<i>}. The format
 * knows {@code divide_channels} and {@code hadamard}; a method package with its own transform registers a codec in
 * {@code META-INF/services/io.vdq.quant.ckpt.TransformCodec}.
 *
 * @param <T> the transform class this codec stores
 */
public interface TransformCodec<T extends InputTransform> {
    /** The entry's {@code type}, unique among transform codecs ({@code "kronecker"}). */
    String type();

    /** The transform class stored. */
    Class<T> transformClass();

    /** Tensor bytes this transform stores for a layer of {@code in} input features (for size estimates). */
    long storedBytes(int in);

    /**
     * Writes the transform's tensors (named {@code tensorPrefix + ".<name>"}) and its fields into {@code entry},
     * which already holds {@code type}; {@code in} is the layer's input width.
     */
    void encode(String tensorPrefix, T transform, int in, LayerWriter out, ObjectNode entry);

    /**
     * Rebuilds the transform of entry {@code index} of layer {@code layer}; its tensors are under {@code tensorPrefix}
     * and {@code in} is the layer's input width.
     */
    T decode(String layer, int index, String tensorPrefix, JsonNode entry, int in, LayerReader read);
}
