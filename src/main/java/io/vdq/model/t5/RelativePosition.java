package io.vdq.model.t5;

/**
 * T5's bucketing of relative positions for the encoder's bidirectional self-attention. The relative position of
 * key j seen from query i is {@code j − i}. Half of the buckets are for keys after the query, half for keys at or
 * before it; within a half, the first quarter of all buckets ("max_exact") holds distances 0, 1, 2, … one each,
 * and the rest cover [max_exact, max_distance) on a logarithmic scale; every distance ≥ max_distance shares the
 * last bucket of its half.
 *
 * <p>The logarithmic bucket is {@code max_exact + floor(ln(n/max_exact) / ln(max_distance/max_exact) · (half −
 * max_exact))}. transformers evaluates it in float32; this class uses double with a 1e-9 guard so that values
 * that are integers in exact arithmetic (n a power-of-two multiple of max_exact when the distance ratio is a power
 * of two, e.g. n = 16, 32, 64 for UMT5's 32 buckets / 128) land on the upper bucket as they do in PyTorch. Checked
 * against PyTorch 1.13 for |j − i| ≤ 5000 on nine bucket/distance settings, UMT5's and T5's (32, 128) among them.
 */
public final class RelativePosition {
    private RelativePosition() {}

    /** The bucket of relative position {@code relative} (= key − query) for bidirectional attention. */
    public static int bucket(int relative, int numBuckets, int maxDistance) {
        int half = numBuckets / 2;
        int base = relative > 0 ? half : 0;
        int n = Math.abs(relative);
        int maxExact = half / 2;
        if (n < maxExact) return base + n;
        double scaled = Math.log((double) n / maxExact) / Math.log((double) maxDistance / maxExact) * (half - maxExact);
        int large = maxExact + (int) Math.floor(scaled + 1e-9);
        return base + Math.min(large, half - 1);
    }

    /**
     * Buckets for every relative position a sequence of {@code length} tokens has: entry {@code d + length − 1}
     * is the bucket of relative position d, for d in [−(length−1), length−1].
     */
    public static int[] table(int length, int numBuckets, int maxDistance) {
        int[] t = new int[2 * length - 1];
        for (int d = -(length - 1); d < length; d++) t[d + length - 1] = bucket(d, numBuckets, maxDistance);
        return t;
    }
}
