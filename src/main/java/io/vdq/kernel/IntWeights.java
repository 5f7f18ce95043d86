package io.vdq.kernel;

import io.vdq.VdqException.ShapeException;

/**
 * Integer weights of one linear layer as the integer GEMMs take them: {@code q} holds n×k signed integers
 * (out×in, PyTorch layout, one per byte) in [-127, 127] for 8 bits or [-8, 7] for 4 bits, so that
 * {@code W[o][k] ≈ scale[o][g] · (q[o][k] − zero[o][g])} with g = k / groupSize.
 *
 * <p>{@code groupSize} 0 means one group per output channel (per-channel scales); otherwise it is a positive
 * multiple of 4 and the last group may be shorter. Scales and zero points are n × groups, row-major; a
 * zero point is in the signed integer domain (an asymmetric 4-bit code u ∈ [0, 15] with zero z is stored as
 * q = u − 8, zero = z − 8). Block scales that sit inside the K sum (ARQ's block-wise Λ) are folded into
 * per-group scales before building this. {@code zero} and {@code bias} may be null. 8-bit codes exclude −128
 * because the AVX2 kernel's sign trick needs |w| ≤ 127.
 */
public record IntWeights(int n, int k, int bits, int groupSize, byte[] q, float[] scale, int[] zero, float[] bias) {

    public IntWeights {
        if (n <= 0 || k <= 0) throw new ShapeException("IntWeights: n and k must be positive, got n=" + n + " k=" + k);
        if (bits != 4 && bits != 8) throw new ShapeException("IntWeights: bits must be 4 or 8, got " + bits);
        if (groupSize < 0 || groupSize % 4 != 0)
            throw new ShapeException("IntWeights: groupSize must be 0 (per channel) or a positive multiple of 4, got " + groupSize);
        if (q == null || q.length != n * k)
            throw new ShapeException("IntWeights: q must hold n*k = " + n + "*" + k + " values, got "
                    + (q == null ? "null" : q.length));
        int lo = bits == 8 ? -127 : -8, hi = bits == 8 ? 127 : 7;
        for (int i = 0; i < q.length; i++)
            if (q[i] < lo || q[i] > hi)
                throw new ShapeException("IntWeights: q[" + i / k + "][" + i % k + "] = " + q[i] + " outside the "
                        + bits + "-bit range [" + lo + ", " + hi + "]");
        int groups = groups(k, groupSize);
        if (scale == null || scale.length != n * groups)
            throw new ShapeException("IntWeights: scale must hold n*groups = " + n + "*" + groups + " values, got "
                    + (scale == null ? "null" : scale.length));
        if (zero != null && zero.length != n * groups)
            throw new ShapeException("IntWeights: zero must hold n*groups = " + n + "*" + groups + " values, got " + zero.length);
        if (bias != null && bias.length != n)
            throw new ShapeException("IntWeights: bias must hold n = " + n + " values, got " + bias.length);
    }

    /** Number of K groups: 1 for per-channel scales, else ceil(k / groupSize). */
    public int groups() { return groups(k, groupSize); }

    public static int groups(int k, int groupSize) { return groupSize == 0 ? 1 : (k + groupSize - 1) / groupSize; }
}
