package io.vdq.quant.smoothquant;

import io.vdq.quant.MethodSettings;
import io.vdq.quant.Recipe;
import io.vdq.quant.SettingsReader;
import java.util.Map;
import java.util.Set;

/**
 * Options of method {@code smoothquant} (version 1).
 *
 * @param alpha             {@code alpha} [0.5], in 0..1: migration strength, s_j = max|X_j|^α / max|W_j|^(1−α)
 * @param staticActivations {@code static_activations} [false]: one static per-tensor activation scale from the smoothed
 *                          calibration maxima (SmoothQuant's O3) instead of dynamic per-token scales
 */
public record SmoothQuantSettings(double alpha, boolean staticActivations) implements MethodSettings {
    public static final int VERSION = 1;
    public static final Set<String> KEYS = Set.of("alpha", "static_activations");

    public static SmoothQuantSettings parse(Recipe r) {
        SettingsReader o = new SettingsReader(r, "smoothquant", KEYS);
        return new SmoothQuantSettings(o.number("alpha", 0.5, 0, 1), o.bool("static_activations", false));
    }

    @Override public int version() { return VERSION; }

    @Override public Map<String, Object> toOptions() { return Map.of("alpha", alpha, "static_activations", staticActivations); }
}
