package io.vdq.quant;

import io.vdq.model.LinearRegistry;

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
}
