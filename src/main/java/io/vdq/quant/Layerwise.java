package io.vdq.quant;

import io.vdq.model.Linear;

/**
 * A data-free method's computation one layer at a time, for streaming quantization of checkpoints larger than
 * memory: the layers arrive in forward order, each from its own weights alone, and must come out exactly as the
 * method's {@link QuantMethod#apply} makes them (same codes, scales, rotations and seeds). A method offers it through
 * {@link QuantMethod#layerwise}; the streaming code knows no method.
 */
public interface Layerwise {
    /** The report the checkpoint records (recipe, hook, shared activation width); its layer list stays empty. */
    QuantReport plan();

    /**
     * A layer of the final kind and shapes with placeholder values (only its descriptor and tensor shapes count).
     * {@code index} is the layer's position among the recipe's selected layers.
     */
    Linear placeholder(String layer, int index, int out, int in, boolean bias);

    /** Quantizes the layer from its float weights {@code w} ([out, in], row-major) and bias (or null). */
    Quantized quantize(String layer, int index, float[] w, int out, int in, float[] bias);

    /** A quantized layer and its report row. */
    record Quantized(Linear layer, LayerReport report) {}
}
