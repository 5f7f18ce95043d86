package io.vdq.kernel.nat;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.kernel.ActQuant;
import io.vdq.kernel.IntGemm;
import io.vdq.kernel.nat.NativeIntBackend.Isa;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The native AVX2 kernels against the Java integer reference, bit for bit ({@link NativeIntBackendContract}), and
 * the native per-token quantizer (shared by both instruction sets). Skipped without the library.
 */
class NativeIntBackendTest extends NativeIntBackendContract {
    @Override Isa isa() { return Isa.AVX2; }

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
}
