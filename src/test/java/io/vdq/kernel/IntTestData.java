package io.vdq.kernel;

import java.util.Random;

/** Seeded random integer weights and activations for the integer GEMM tests. */
public final class IntTestData {
    private IntTestData() {}

    /** Random weights: codes uniform over the whole range for the bits, scales in (0, 0.02], optional zeros and bias. */
    public static IntWeights weights(Random r, int n, int k, int bits, int groupSize, boolean zeros, boolean bias) {
        int lo = bits == 8 ? -127 : -8, hi = bits == 8 ? 127 : 7;
        byte[] q = new byte[n * k];
        for (int i = 0; i < q.length; i++) q[i] = (byte) (lo + r.nextInt(hi - lo + 1));
        int groups = IntWeights.groups(k, groupSize);
        float[] s = new float[n * groups];
        for (int i = 0; i < s.length; i++) s[i] = 0.02f * (1 - r.nextFloat());
        int[] z = null;
        if (zeros) {
            z = new int[n * groups];
            for (int i = 0; i < z.length; i++) z[i] = r.nextInt(2 * hi + 1) - hi;
        }
        float[] b = null;
        if (bias) {
            b = new float[n];
            for (int i = 0; i < n; i++) b[i] = (float) r.nextGaussian();
        }
        return new IntWeights(n, k, bits, groupSize, q, s, z, b);
    }

    /** Gaussian activations with a few ×20 outlier channels (as DiT activations have). */
    public static float[] activations(Random r, int m, int k) {
        float[] x = new float[m * k];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian() * (i % k % 17 == 3 ? 20f : 1f);
        return x;
    }
}
