package io.vdq.quant;

import io.vdq.model.FloatLinear;
import io.vdq.model.Linear;
import java.util.List;

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

    /** How a method makes the {@code index}-th selected layer from its float weights alone. */
    interface LayerMaker {
        QuantizedLinear make(int index, FloatLinear f);
    }

    /**
     * The layer-at-a-time form of a method whose layers depend only on their own float weights and index (no hook):
     * placeholders from all-zero weights, reports measured against the float layer with {@code note}.
     */
    static Layerwise perLayer(String method, Recipe r, ActivationBits bits, String note, LayerMaker maker) {
        QuantReport plan = new QuantReport(method, r, List.of(), null, bits);
        return new Layerwise() {
            @Override public QuantReport plan() { return plan; }
            @Override public Linear placeholder(String layer, int index, int out, int in, boolean bias) {
                return maker.make(index, new FloatLinear(new float[out * in], bias ? new float[out] : null, out, in));
            }
            @Override public Quantized quantize(String layer, int index, float[] w, int out, int in, float[] bias) {
                FloatLinear f = new FloatLinear(w, bias, out, in);
                QuantizedLinear q = maker.make(index, f);
                return new Quantized(q, LayerReport.measure(layer, f, q, r.activationBits(), note));
            }
        };
    }
}
