package io.vdq.quant.gptq;

import io.vdq.quant.MethodSettings;
import io.vdq.quant.Recipe;
import io.vdq.quant.SettingsReader;
import java.util.Map;
import java.util.Set;

/**
 * Options of method {@code gptq} (version 1).
 *
 * @param damp          {@code damp} [0.01], >= 0: added to the Hessian's diagonal as a fraction of its mean
 * @param actOrder      {@code act_order} [false]: quantize columns in order of decreasing Hessian diagonal
 * @param layersPerPass {@code layers_per_pass} [0], >= 0: 0 = every layer's Hessian from one calibration pass over the
 *                      float model; n = chunks of n layers in forward order, each calibrated on the model with the
 *                      earlier chunks already quantized (sequential GPTQ; only one chunk's Hessians in memory)
 * @param tokenStride   {@code token_stride} [1], >= 1: the Hessian uses every n-th calibration token
 */
public record GptqSettings(double damp, boolean actOrder, int layersPerPass, int tokenStride) implements MethodSettings {
    public static final int VERSION = 1;
    public static final Set<String> KEYS = Set.of("act_order", "damp", "layers_per_pass", "token_stride");

    public static GptqSettings parse(Recipe r) {
        SettingsReader o = new SettingsReader(r, "gptq", KEYS);
        return new GptqSettings(o.number("damp", 0.01, 0), o.bool("act_order", false), o.integer("layers_per_pass", 0, 0),
                o.integer("token_stride", 1, 1));
    }

    @Override public int version() { return VERSION; }

    @Override public Map<String, Object> toOptions() {
        return Map.of("damp", damp, "act_order", actOrder, "layers_per_pass", layersPerPass, "token_stride", tokenStride);
    }
}
