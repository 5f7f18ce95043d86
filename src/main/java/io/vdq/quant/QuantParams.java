package io.vdq.quant;

import io.vdq.VdqException.ConfigException;
import io.vdq.VdqException.ShapeException;

/**
 * Parameters of a uniform quantizer for a {@code rows × cols} matrix: {@code q = clamp(rint(x/scale) + zero,
 * qmin, qmax)}, {@code x̂ = scale·(q − zero)}. Symmetric: zero = 0, q ∈ [−2^(b−1), 2^(b−1)−1] with the scale
 * chosen from max|x| / (2^(b−1)−1). Asymmetric: q ∈ [0, 2^b − 1], integer zero point. Scales are indexed as
 * {@link #index}: one (per tensor), one per row (per channel / token), or row·groups + col/groupSize (per group).
 *
 * @param rows  the matrix rows these parameters were made for (ignored for PER_TENSOR)
 * @param zero  integer zero points, same length as scale; all zero when symmetric
 */
public record QuantParams(int bits, boolean symmetric, Granularity granularity, int groupSize,
                          int rows, int cols, float[] scale, int[] zero) {
    public QuantParams {
        if (bits < 2 || bits > 8) throw new ConfigException("quantizer bits = " + bits + ": expected 2..8");
        if (granularity == Granularity.PER_GROUP && groupSize < 1)
            throw new ConfigException("group size = " + groupSize + ": expected >= 1 for per_group");
        int n = granularity.count(rows, cols, granularity == Granularity.PER_GROUP ? groupSize : 1);
        if (scale.length != n || zero.length != n)
            throw new ShapeException("quant params for " + rows + "×" + cols + " " + granularity.jsonName()
                    + " need " + n + " scales and zero points, got " + scale.length + " and " + zero.length);
    }

    public int qmin() { return symmetric ? -(1 << (bits - 1)) : 0; }

    public int qmax() { return symmetric ? (1 << (bits - 1)) - 1 : (1 << bits) - 1; }

    /** Groups per row (1 unless PER_GROUP). */
    public int groupsPerRow() {
        return granularity == Granularity.PER_GROUP ? Granularity.groupsPerRow(cols, groupSize) : 1;
    }

    /** Index into {@link #scale} / {@link #zero} of element (row, col). */
    public int index(int row, int col) {
        return switch (granularity) {
            case PER_TENSOR -> 0;
            case PER_CHANNEL, PER_TOKEN -> row;
            case PER_GROUP -> row * groupsPerRow() + col / groupSize;
        };
    }

    /** Checks that these parameters fit a rows × cols matrix. */
    public void requireFits(int r, int c, String what) {
        if (c != cols || (granularity.perRow() && r != rows))
            throw new ShapeException(what + ": quant params are for " + rows + "×" + cols + " ("
                    + granularity.jsonName() + "), got " + r + "×" + c);
    }
}
