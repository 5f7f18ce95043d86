package io.vdq.quant.vidit;

import io.vdq.VdqException.ShapeException;
import io.vdq.model.Linear;
import io.vdq.quant.IntExec;
import io.vdq.quant.QuantizedLinear;
import io.vdq.quant.StepTag;
import io.vdq.quant.SwitchedLinear;
import java.util.List;

/**
 * One quantized variant per range of denoising steps; the range is chosen per call from the shared {@link StepTag}
 * (steps split into equal ranges: step s of n uses variant ⌊s·R/n⌋). With no step known it uses variant 0 and
 * logs a warning once: the sampler must call the report's hook before each step.
 */
public final class TimestepSwitchedLinear implements SwitchedLinear, IntExec.Executable {
    private static final System.Logger LOG = System.getLogger("io.vdq.quant.vidit");
    private final List<QuantizedLinear> variants;
    private final StepTag tag;
    private volatile boolean warned;

    public TimestepSwitchedLinear(List<QuantizedLinear> variants, StepTag tag) {
        if (variants.isEmpty()) throw new ShapeException("timestep-switched linear needs at least one variant");
        for (QuantizedLinear q : variants)
            if (q.inFeatures() != variants.getFirst().inFeatures() || q.outFeatures() != variants.getFirst().outFeatures())
                throw new ShapeException("timestep variants differ in shape");
        this.variants = List.copyOf(variants);
        this.tag = tag;
    }

    @Override public List<QuantizedLinear> variants() { return variants; }
    /** The shared step tag the variant is chosen by (set by the report's sampler hook). */
    public StepTag tag() { return tag; }

    /** How the variants execute (they share one configuration, so the first one's answer). */
    @Override public String execution() { return variants.getFirst().execution(); }

    @Override public long kernelWeightBytes() {
        long b = 0;
        for (QuantizedLinear q : variants) b += q.kernelWeightBytes();
        return b;
    }

    /** Variant index for step s of n. */
    public static int range(int step, int steps, int ranges) {
        if (step < 0 || steps <= 0) return 0;
        return Math.min(ranges - 1, (int) ((long) step * ranges / steps));
    }

    @Override public int inFeatures() { return variants.getFirst().inFeatures(); }
    @Override public int outFeatures() { return variants.getFirst().outFeatures(); }

    @Override
    public void forward(float[] x, int xOff, int rows, float[] y, int yOff) {
        int s = tag.step();
        if (s < 0 && variants.size() > 1 && !warned) {
            warned = true;
            LOG.log(System.Logger.Level.WARNING, "timestep-aware layer called with no step set; using the first range");
        }
        variants.get(range(s, tag.steps(), variants.size())).forward(x, xOff, rows, y, yOff);
    }
}
