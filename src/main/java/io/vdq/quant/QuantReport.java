package io.vdq.quant;

import java.util.List;

/**
 * What a {@link QuantMethod} did: the recipe, one {@link LayerReport} per replaced layer, the sampler hook that
 * generation must call before each step and, with the guided output, after it (timestep-aware methods, δ-GBS;
 * {@link SamplerHook#NONE} otherwise) and the shared
 * activation width of the quantized layers (for per-step bit switching).
 */
public record QuantReport(String method, Recipe recipe, List<LayerReport> layers, SamplerHook hook,
                          ActivationBits activationBits) {
    public QuantReport {
        layers = List.copyOf(layers);
        if (hook == null) hook = SamplerHook.NONE;
    }

    /** A fixed-width table: name, shape, W/A bits, weight rel. L2 and MSE. */
    public String table() {
        StringBuilder sb = new StringBuilder();
        int w = 5;
        for (LayerReport l : layers) w = Math.max(w, l.name().length());
        sb.append(String.format("%-" + w + "s  %11s  %4s  %12s  %12s  %s%n", "layer", "out×in", "W/A", "w_rel_l2", "w_mse", "note"));
        for (LayerReport l : layers)
            sb.append(String.format("%-" + w + "s  %11s  %4s  %12.4e  %12.4e  %s%n", l.name(), l.out() + "×" + l.in(),
                    l.weightBits() + "/" + l.activationBits(), l.weightRelL2(), l.weightMse(), l.note()));
        return sb.toString();
    }
}
