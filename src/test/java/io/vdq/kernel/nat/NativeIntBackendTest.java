package io.vdq.kernel.nat;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vdq.kernel.ActQuant;
import io.vdq.kernel.IntGemm;
import io.vdq.kernel.IntTestData;
import io.vdq.kernel.IntWeights;
import io.vdq.kernel.JavaIntBackend;
import io.vdq.kernel.PackedInt;
import io.vdq.tensor.Parallel;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The native AVX2 kernels against the Java integer reference, bit for bit. Skipped without the library. */
class NativeIntBackendTest {
    static NativeIntBackend nat;

    @BeforeAll
    static void requireNative() {
        assumeTrue(IntKernels.nativeAllowed(), "vdq.native=off");
        assumeTrue(NativeLibrary.available(), () -> "native library unavailable: " + NativeLibrary.unavailableReason());
        nat = new NativeIntBackend(NativeLibrary.get());
    }

    /** m, n, k, group size: odd sizes, k not a multiple of 32 (nor of 4), m = 1, partial last groups. */
    static final int[][] SHAPES = {
            {1, 1, 1, 0}, {1, 37, 70, 0}, {1, 300, 64, 32}, {3, 16, 4, 0}, {5, 17, 33, 0}, {7, 33, 129, 0},
            {13, 50, 257, 64}, {4, 48, 96, 32}, {9, 31, 100, 12}, {70, 45, 200, 0}, {130, 20, 72, 8}, {2, 64, 1000, 128},
    };

    private static void assertBitEqual(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++)
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i]))
                fail(what + ": element " + i + " java " + expected[i] + " native " + actual[i]);
    }

    private static void checkAgainstReference(int bits, int actBits, long seed) {
        Random r = new Random(seed);
        int variant = 0;
        for (int[] s : SHAPES) {
            int m = s[0], n = s[1], k = s[2], gs = s[3];
            boolean zeros = variant % 2 == 0, bias = variant % 3 != 1;
            variant++;
            IntWeights w = IntTestData.weights(r, n, k, bits, gs, zeros, bias);
            float[] x = IntTestData.activations(r, m, k);
            String what = "W" + bits + "A" + actBits + " m=" + m + " n=" + n + " k=" + k + " gs=" + gs
                    + " zeros=" + zeros + " bias=" + bias;
            ActQuant aj = new ActQuant(m, k, actBits, gs), an = new ActQuant(m, k, actBits, gs);
            IntGemm.quantizeRows(x, 0, aj, 0, m);
            nat.quantize(x, 0, an);
            assertArrayEquals(aj.q, an.q, what + ": quantized codes");
            assertArrayEquals(aj.scale, an.scale, what + ": scales");
            assertArrayEquals(aj.xsum, an.xsum, what + ": group sums");
            float[] yj = new float[m * n + 3], yn = new float[m * n + 3], yc = new float[m * n + 3];
            IntGemm.gemmRows(aj, w, yj, 2, 0, m);
            nat.gemm(an, nat.pack(w), yn, 2);
            nat.gemmScalarC(an, w, yc, 2);
            assertBitEqual(yj, yc, what + " (C scalar reference)");
            assertBitEqual(yj, yn, what + " (AVX2)");
        }
    }

    @Test void w8a8MatchesTheJavaReferenceBitForBit() { checkAgainstReference(8, 8, 10); }

    @Test void w4a8MatchesTheJavaReferenceBitForBit() { checkAgainstReference(4, 8, 11); }

    @Test void w4a4MatchesTheJavaReferenceBitForBit() { checkAgainstReference(4, 4, 12); }

    @Test
    void extremeCodesDoNotSaturate() {
        // every product at the maximum magnitude, k long enough for full int16 chunks in the 4-bit kernel:
        // W8A8 pairs reach 2*127*127 = 32258; W4A8 8 steps of 2*15*127; W4A4 156 steps of 2*15*7
        for (int[] c : new int[][]{{8, 8}, {4, 8}, {4, 4}}) {
            int bits = c[0], actBits = c[1], m = 5, n = 19, k = 700;
            int wlo = bits == 8 ? -127 : -8, whi = bits == 8 ? 127 : 7, amax = (1 << (actBits - 1)) - 1;
            byte[] q = new byte[n * k];
            for (int i = 0; i < q.length; i++) q[i] = (byte) ((i / k) % 2 == 0 ? wlo : whi);
            float[] ones = new float[n];
            java.util.Arrays.fill(ones, 1f);
            IntWeights w = new IntWeights(n, k, bits, 0, q, ones, null, null);
            ActQuant a = new ActQuant(m, k, actBits, 0);
            for (int t = 0; t < m; t++) {
                int v = t % 2 == 0 ? -amax : amax;
                a.scale[t] = 1f;
                for (int j = 0; j < k; j++) a.q[t * a.kp + j] = (byte) v;
                a.xsum[t] = v * k; // the 4-bit kernels subtract 8·xsum
            }
            float[] y = new float[m * n];
            nat.gemm(a, nat.pack(w), y, 0);
            for (int t = 0; t < m; t++)
                for (int o = 0; o < n; o++) {
                    long dot = 0;
                    for (int j = 0; j < k; j++) dot += (long) a.q[t * a.kp + j] * q[o * k + j];
                    assertEquals(dot, (long) y[t * n + o], "W" + bits + "A" + actBits + " t=" + t + " o=" + o);
                }
        }
    }

    @Test
    void quantizerTiesRoundHalfToEvenLikeJava() {
        // scale = 127 / 127 = 1: the .5 values are exact ties, on both the vector (first 8) and scalar paths
        int k = 19;
        float[] x = new float[k];
        x[0] = 127f;
        for (int j = 1; j < k; j++) x[j] = (j % 2 == 0 ? -1 : 1) * (j - 0.5f);
        ActQuant an = new ActQuant(1, k, 8, 0);
        nat.quantize(x, 0, an);
        for (int j = 1; j < k; j++) {
            double v = x[j], floor = Math.floor(v);
            long expected = (long) (v - floor == 0.5 ? (((long) floor) % 2 == 0 ? floor : floor + 1) : Math.round(v));
            assertEquals(expected, an.q[j], "x = " + x[j]);
        }
    }

    @Test
    void quantizerMatchesJavaOnAwkwardRows() {
        // subnormals, signed zeros, huge values, ties at random scales, constant rows, lengths around the vector width
        Random r = new Random(14);
        float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, 1e-40f, 3e38f, -3e38f, 1f, -1f};
        for (int trial = 0; trial < 300; trial++) {
            int m = 1 + r.nextInt(3), k = 1 + r.nextInt(40);
            float[] x = new float[m * k];
            int kind = trial % 4;
            for (int i = 0; i < x.length; i++)
                x[i] = switch (kind) {
                    case 0 -> special[r.nextInt(special.length)];
                    case 1 -> (r.nextInt(61) - 30 + 0.5f) * (float) Math.scalb(1.0, r.nextInt(40) - 20);
                    case 2 -> trial % 8 == 2 ? 0.75f : (float) r.nextGaussian();
                    default -> (float) (r.nextGaussian() * Math.exp(8 * r.nextGaussian()));
                };
            for (int bits : new int[]{4, 8}) {
                ActQuant aj = new ActQuant(m, k, bits, 4 * (1 + r.nextInt(3))), an = new ActQuant(m, k, bits, aj.groupSize);
                IntGemm.quantizeRows(x, 0, aj, 0, m);
                nat.quantize(x, 0, an);
                String what = "trial " + trial + " bits " + bits + " x=" + java.util.Arrays.toString(x);
                assertArrayEquals(aj.q, an.q, what);
                assertArrayEquals(aj.scale, an.scale, what);
                assertArrayEquals(aj.xsum, an.xsum, what);
            }
        }
    }

    @Test
    void resultsDoNotDependOnTheThreadCountOrSplit() {
        Random r = new Random(13);
        int saved = Parallel.threads();
        try {
            for (int m : new int[]{3, 61}) { // few rows: split over columns; many rows: split over rows
                IntWeights w = IntTestData.weights(r, 70, 90, 8, 0, true, true);
                float[] x = IntTestData.activations(r, m, 90);
                PackedInt p = nat.pack(w);
                float[][] ys = new float[3][m * 70];
                for (int th = 1; th <= 3; th++) {
                    Parallel.setThreads(th);
                    nat.linear(x, 0, m, p, 8, ys[th - 1], 0);
                }
                assertBitEqual(ys[0], ys[1], "m=" + m + " 1 vs 2 threads");
                assertBitEqual(ys[0], ys[2], "m=" + m + " 1 vs 3 threads");
                float[] yj = new float[m * 70];
                JavaIntBackend.INSTANCE.linear(x, 0, m, JavaIntBackend.INSTANCE.pack(w), 8, yj, 0);
                assertBitEqual(yj, ys[0], "m=" + m + " java vs native");
            }
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void refusesWeightsPackedByAnotherBackend() {
        IntWeights w = IntTestData.weights(new Random(5), 4, 8, 8, 0, false, false);
        assertThrows(IllegalArgumentException.class,
                () -> nat.gemm(new ActQuant(1, 8, 8, 0), JavaIntBackend.INSTANCE.pack(w), new float[4], 0));
    }

    @Test
    void onModeSelectsTheNativeBackend() {
        assertInstanceOf(NativeIntBackend.class, IntKernels.select("on"));
        assertInstanceOf(NativeIntBackend.class, IntKernels.select("auto"));
    }
}
