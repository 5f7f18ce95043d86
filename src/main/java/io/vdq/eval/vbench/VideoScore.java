package io.vdq.eval.vbench;

import io.vdq.synth.Direction;
import io.vdq.synth.ObjectColor;
import io.vdq.synth.ObjectShape;

/**
 * VBench-lite result for one video: the eight dimension values in [0, 1] (indexed by
 * {@link Dimension#ordinal()}) plus what was detected, for diagnostics. Detected fields are null when the
 * object was not found (or, for the direction, did not move far enough to have one).
 */
public record VideoScore(double[] values, ObjectColor color, ObjectShape shape, Direction direction,
                         double travel, int framesFound) {
    public double get(Dimension d) { return values[d.ordinal()]; }
}
