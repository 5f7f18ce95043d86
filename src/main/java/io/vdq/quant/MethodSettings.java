package io.vdq.quant;

import java.util.Map;

/**
 * A method's recipe options as one typed, validated value: what {@link QuantMethod#parseSettings} makes of a
 * recipe's {@code options} map, read once per run and handed to {@link QuantMethod#apply} (and
 * {@link QuantMethod#layerwise}), so no method reads the untyped map again. Each method package defines one record
 * implementing this; this package knows only the interface.
 *
 * <p>Versioned: {@link #version()} is the format of the options the record reads. A recipe file stores it as
 * {@code settings_version} ({@link RecipeJson}); a file without one was written before settings were versioned and is
 * version 1. When a method changes the meaning or the name of an option it raises its version and upgrades older
 * option maps in {@link QuantMethod#upgradeOptions}.
 */
public interface MethodSettings {
    /** The settings format this value was read with: {@link QuantMethod#settingsVersion()} of its method. */
    int version();

    /**
     * Every setting as a recipe option (defaults included, derived defaults resolved), as JSON values: numbers,
     * booleans, strings, lists of numbers. Parsing a recipe with exactly these options gives equal settings.
     */
    Map<String, Object> toOptions();
}
