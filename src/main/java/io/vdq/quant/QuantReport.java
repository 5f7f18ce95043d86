package io.vdq.quant;

import java.util.List;
import java.util.Locale;

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

    /**
     * A fixed-width table: name, shape, W/A bits, weight rel. L2 and MSE; when any layer reports weight stages
     * (BGR), also the relative squared error of MinMax, the bounded init and the refined result, and the refined
     * result's reduction vs MinMax.
     */
    public String table() {
        StringBuilder sb = new StringBuilder();
        int w = 5;
        boolean staged = false;
        for (LayerReport l : layers) { w = Math.max(w, l.name().length()); staged |= l.stages() != null; }
        sb.append(String.format("%-" + w + "s  %11s  %4s  %12s  %12s", "layer", "out×in", "W/A", "w_rel_l2", "w_mse"));
        if (staged) sb.append(String.format("  %10s  %10s  %10s  %7s", "minmax²", "bounded²", "refined²", "vs MM"));
        sb.append("  note").append(System.lineSeparator());
        for (LayerReport l : layers) {
            sb.append(String.format("%-" + w + "s  %11s  %4s  %12.4e  %12.4e", l.name(), l.out() + "×" + l.in(),
                    l.weightBits() + "/" + l.activationBits(), l.weightRelL2(), l.weightMse()));
            LayerReport.WeightStages st = l.stages();
            if (st != null)
                sb.append(String.format(Locale.ROOT, "  %10.4e  %10.4e  %10.4e  %+6.1f%%", st.minMax(), st.boundedInit(),
                        st.refined(), -100 * st.reductionVsMinMax()));
            else if (staged) sb.append(String.format("  %10s  %10s  %10s  %7s", "", "", "", ""));
            sb.append("  ").append(l.note()).append(System.lineSeparator());
        }
        return sb.toString();
    }
}
