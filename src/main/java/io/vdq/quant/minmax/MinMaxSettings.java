package io.vdq.quant.minmax;

import io.vdq.quant.MethodSettings;
import io.vdq.quant.Recipe;
import io.vdq.quant.SettingsReader;
import java.util.Map;
import java.util.Set;

/**
 * Options of method {@code minmax} (version 1).
 *
 * @param staticActivations {@code static_activations} [false]: one static symmetric per-tensor activation scale per
 *                          layer from the calibration's input maxima (needs calibration data) instead of dynamic
 *                          per-token scales
 */
public record MinMaxSettings(boolean staticActivations) implements MethodSettings {
    public static final int VERSION = 1;
    public static final Set<String> KEYS = Set.of("static_activations");

    public static MinMaxSettings parse(Recipe r) {
        SettingsReader o = new SettingsReader(r, "minmax", KEYS);
        return new MinMaxSettings(o.bool("static_activations", false));
    }

    @Override public int version() { return VERSION; }

    @Override public Map<String, Object> toOptions() { return Map.of("static_activations", staticActivations); }
}
