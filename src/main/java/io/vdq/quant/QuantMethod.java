package io.vdq.quant;

import io.vdq.model.LinearRegistry;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A post-training quantization method, found by {@link #name()} through {@link QuantMethods} (ServiceLoader
 * or explicit registration), so method packages plug in without this package depending on them. It replaces
 * the layers the recipe selects by {@link QuantizedLinear}s (or its own {@code Linear}s) via
 * {@link LinearRegistry#replaceLinear}, running the calibration passes it needs.
 */
public interface QuantMethod {
    /** The recipe's {@code method} value, e.g. {@code minmax}. */
    String name();

    /** One line for listings. */
    String description();

    QuantReport apply(LinearRegistry model, Recipe recipe, Calibration calibration);

    /**
     * The recipe option keys this method reads; {@link QuantMethods#apply} refuses a recipe with any other key (a
     * misspelt option would otherwise be ignored without a word). {@code null}: the method does not declare them
     * and nothing is checked (plug-ins written before this existed).
     */
    default Set<String> options() { return null; }

    /**
     * This recipe's computation one layer at a time ({@link Layerwise}), for streaming quantization; {@code null}
     * when the method needs calibration data. A recipe whose options make a data-free method need data (or
     * sampling) is refused with a one-line {@code ConfigException} naming the option.
     */
    default Layerwise layerwise(Recipe recipe) { return null; }

    /**
     * The tensor bytes a quantized checkpoint stores for one layer this recipe quantizes (an out × in weight, and a
     * bias of {@code biasBytes}, 0 for none), by the layouts of the codecs the method's layers are written with, so
     * that {@code quant.ckpt.CheckpointSize} sizes a checkpoint from shapes alone; empty when the method has no size
     * model. A one-line {@code ConfigException} naming {@code layer} for a layer the method cannot store.
     */
    default OptionalLong storedBytes(Recipe recipe, String layer, int out, int in, long biasBytes) { return OptionalLong.empty(); }

    /**
     * Why this recipe's layers are not saved as a vdq quantized checkpoint, as the end of a one-line refusal that says
     * what to do instead; null (the default) when they are.
     */
    default String notStorable(Recipe recipe) { return null; }
}
