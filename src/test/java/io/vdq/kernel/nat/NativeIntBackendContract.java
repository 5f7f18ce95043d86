package io.vdq.kernel.nat;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vdq.kernel.ActQuant;
import io.vdq.kernel.IntGemm;
import io.vdq.kernel.IntTestData;
import io.vdq.kernel.IntWeights;
import io.vdq.kernel.JavaIntBackend;
import io.vdq.kernel.PackedInt;
import io.vdq.kernel.nat.NativeIntBackend.Isa;
import io.vdq.tensor.Parallel;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The GEMM tests every native instruction set must pass, bit for bit against the Java integer reference
 * {@link IntGemm} (and the library's plain C reference). A subclass per {@link Isa}; each is skipped, with the
 * reason, when the library is missing, {@code -Dvdq.native=off}, or the CPU cannot run that instruction set.
 */
abstract class NativeIntBackendContract {
    NativeIntBackend nat;

    abstract Isa isa();

    @BeforeEach
    void requireNative() {
        assumeTrue(IntKernels.nativeAllowed(), "vdq.native=off");
        assumeTrue(NativeLibrary.available(), () -> "native library unavailable: " + NativeLibrary.unavailableReason());
        String why = isa().unavailable(NativeLibrary.get());
        assumeTrue(why == null, () -> isa().label() + " kernels cannot run on this host: " + why);
        nat = new NativeIntBackend(NativeLibrary.get(), isa());
    }

    /**
     * m, n, k, group size: m = 1..8 and past the 8-row tile and the 64-row block, n = 1 and one, two, three, five
     * 16-column panels with partial last panels, k not a multiple of 4 (nor of 32), partial last groups.
     */
    static final int[][] SHAPES = {
            {1, 1, 1, 0}, {1, 37, 70, 0}, {1, 300, 64, 32}, {3, 16, 4, 0}, {5, 17, 33, 0}, {7, 33, 129, 0},
            {13, 50, 257, 64}, {4, 48, 96, 32}, {9, 31, 100, 12}, {70, 45, 200, 0}, {130, 20, 72, 8}, {2, 64, 1000, 128},
            {8, 32, 8, 0}, {6, 47, 45, 4}, {16, 80, 36, 0}, {11, 96, 132, 44}, {23, 15, 3, 0}, {66, 79, 150, 20},
    };

    static void assertBitEqual(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++)
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i]))
                fail(what + ": element " + i + " java " + expected[i] + " native " + actual[i]);
    }

    private void checkAgainstReference(int bits, int actBits, long seed) {
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
            assertBitEqual(yj, yn, what + " (" + isa().label() + ")");
        }
    }

    @Test void w8a8MatchesTheJavaReferenceBitForBit() { checkAgainstReference(8, 8, 10); }

    @Test void w4a8MatchesTheJavaReferenceBitForBit() { checkAgainstReference(4, 8, 11); }

    @Test void w4a6MatchesTheJavaReferenceBitForBit() { checkAgainstReference(4, 6, 15); }

    @Test void w4a4MatchesTheJavaReferenceBitForBit() { checkAgainstReference(4, 4, 12); }

    @Test void w8a4MatchesTheJavaReferenceBitForBit() { checkAgainstReference(8, 4, 16); }

    @Test
    void extremeCodesDoNotSaturate() {
        // every product at the maximum magnitude, k long enough for full int16 chunks in the AVX2 4-bit kernel:
        // W8A8 pairs reach 2*127*127 = 32258; W4A8 8 steps of 2*15*127; W4A4 156 steps of 2*15*7
        for (int[] c : new int[][]{{8, 8}, {4, 8}, {4, 4}}) {
            int bits = c[0], actBits = c[1], m = 11, n = 37, k = 700;
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
                a.xsum[t] = v * k; // the 4-bit kernels subtract 8·xsum, the AVX-512 W8A8 kernel 128·xsum
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
    void activationCodeMinus128MatchesTheReference() {
        // the quantizer never makes -128 (codes are symmetric), but the kernels take any int8 activation: rows of
        // -128 and mixed rows against weights at both ends of the range, with zero points, per-group
        Random r = new Random(17);
        for (int bits : new int[]{8, 4}) {
            int m = 9, n = 21, k = 67, gs = 16;
            IntWeights w = IntTestData.weights(r, n, k, bits, gs, true, true);
            ActQuant a = new ActQuant(m, k, 8, gs);
            for (int t = 0; t < m; t++) {
                a.scale[t] = 0.01f * (t + 1);
                for (int j = 0; j < k; j++) a.q[t * a.kp + j] = (byte) (t % 3 == 0 ? -128 : (j % 2 == 0 ? -128 : 127));
                for (int g = 0; g < a.groups; g++) {
                    int sum = 0;
                    for (int j = g * gs; j < Math.min(a.kp, (g + 1) * gs); j++) sum += a.q[t * a.kp + j];
                    a.xsum[t * a.groups + g] = sum;
                }
            }
            float[] yj = new float[m * n], yn = new float[m * n];
            IntGemm.gemmRows(a, w, yj, 0, 0, m);
            nat.gemm(a, nat.pack(w), yn, 0);
            assertBitEqual(yj, yn, "W" + bits + " activations -128");
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
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> nat.gemm(new ActQuant(1, 8, 8, 0), JavaIntBackend.INSTANCE.pack(w), new float[4], 0));
        assertTrue(e.getMessage().contains(nat.name()), e.getMessage());
        for (NativeIntBackend other : NativeIntBackend.everyUsable())
            if (other.isa() != isa())
                assertThrows(IllegalArgumentException.class,
                        () -> nat.gemm(new ActQuant(1, 8, 8, 0), other.pack(w), new float[4], 0), other.name());
    }
}
