package io.vdq.quant.calib;

import io.vdq.model.Linear;
import io.vdq.quant.StepTag;

/** Decorator that records the inputs of a layer into {@link LayerStats}, tagged with the current step, then delegates. */
public final class RecordingLinear implements Linear {
    private final Linear inner;
    private final LayerStats stats;
    private final StepTag tag;

    public RecordingLinear(Linear inner, LayerStats stats, StepTag tag) {
        this.inner = inner;
        this.stats = stats;
        this.tag = tag;
    }

    public Linear inner() { return inner; }
    public LayerStats stats() { return stats; }

    @Override public int inFeatures() { return inner.inFeatures(); }
    @Override public int outFeatures() { return inner.outFeatures(); }

    @Override
    public void forward(float[] x, int xOff, int rows, float[] y, int yOff) {
        stats.add(x, xOff, rows, tag.step());
        inner.forward(x, xOff, rows, y, yOff);
    }
}
