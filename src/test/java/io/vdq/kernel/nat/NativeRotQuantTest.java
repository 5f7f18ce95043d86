package io.vdq.kernel.nat;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vdq.kernel.ActQuant;
import io.vdq.kernel.IntGemm;
import io.vdq.kernel.IntTestData;
import io.vdq.kernel.IntWeights;
import io.vdq.kernel.JavaIntBackend;
import io.vdq.kernel.RotQuant;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The native fused rotate + Λ⁻¹ + per-token quantizer, the Λ pass and the GEMM with per-call group scales against
 * the Java reference, bit for bit, on vector and scalar paths (Hadamard blocks 1..256, Λ blocks that are and are
 * not multiples of 8 and per channel, with and without signs; the GEMM on every instruction set the host runs). Skipped without the
 * library.
 */
class NativeRotQuantTest {
    static NativeIntBackend nat;

    @BeforeAll
    static void requireNative() {
        assumeTrue(IntKernels.nativeAllowed(), "vdq.native=off");
        assumeTrue(NativeLibrary.available(), () -> "native library unavailable: " + NativeLibrary.unavailableReason());
        nat = new NativeIntBackend(NativeLibrary.get());
    }

    /** k, Hadamard block, Λ block, signs? */
    static final int[][] CASES = {{12, 4, 3, 0}, {12, 1, 12, 1}, {40, 8, 20, 1}, {40, 2, 8, 0}, {96, 32, 16, 1},
            {256, 256, 128, 1}, {256, 64, 256, 0}, {30, 2, 5, 1},
            {64, 64, 1, 1}, {44, 4, 1, 0}, {12, 4, 1, 1}}; // Λ block 1 (per channel): vector path plus a scalar tail

    static RotQuant rq(Random r, int[] c) {
        float[] signs = null;
        if (c[3] == 1) {
            signs = new float[c[0]];
            for (int i = 0; i < signs.length; i++) signs[i] = r.nextBoolean() ? 1f : -1f;
        }
        return new RotQuant(c[0], signs, c[1], (float) (1.0 / Math.sqrt(c[1])), c[2]);
    }

    @Test
    void fusedQuantizerAndBlockMaxMatchJava() {
        Random r = new Random(31);
        for (int[] c : CASES)
            for (int bits : new int[]{8, 4, 2}) {
                int m = 1 + r.nextInt(9), k = c[0];
                RotQuant q = rq(r, c);
                float[] x = IntTestData.activations(r, m, k);
                x[0] = 0.5f; // an exact-tie candidate
                float[] sj = JavaIntBackend.blockMax(x, 0, m, q), sn = nat.rotBlockMax(x, 0, m, q);
                String what = "k=" + k + " H" + c[1] + " Λ" + c[2] + " signs=" + c[3] + " A" + bits;
                assertArrayEquals(sj, sn, 0f, what + ": block maxima");
                float[] inv = new float[sj.length];
                for (int g = 0; g < inv.length; g++) inv[g] = 1f / Math.max(sj[g], 1e-8f);
                int gs = k % 8 == 0 ? 8 : 0;
                ActQuant aj = new ActQuant(m, k, bits, gs), an = new ActQuant(m, k, bits, gs);
                JavaIntBackend.INSTANCE.rotQuantize(x, 0, q, inv, 1e-8f, aj);
                nat.rotQuantize(x, 0, q, inv, 1e-8f, an);
                assertArrayEquals(aj.q, an.q, what + ": codes");
                assertArrayEquals(aj.scale, an.scale, 0f, what + ": token scales");
                assertArrayEquals(aj.xsum, an.xsum, what + ": group sums");
            }
    }

    @Test
    void rotationIsOrthonormalSoRowNormsArePreserved() {
        // independent check of the Java reference: ‖x·D·H‖ = ‖x‖ for a normalised Hadamard
        Random r = new Random(32);
        RotQuant q = rq(r, new int[]{64, 16, 64, 1});
        float[] x = IntTestData.activations(r, 1, 64);
        float[] bmax = new float[1];
        q.blockMaxRows(x, 0, bmax, 0, 1);
        double n2 = 0;
        for (float v : x) n2 += (double) v * v;
        // the max |rotated value| is at most the norm and at least the norm / √K
        assertTrue(bmax[0] <= Math.sqrt(n2) * (1 + 1e-6) && bmax[0] >= Math.sqrt(n2 / 64) * (1 - 1e-6), "max " + bmax[0]);
    }

    @Test
    void gemmWithGroupScalesMatchesJava() {
        Random r = new Random(33);
        for (NativeIntBackend nb : NativeIntBackend.everyUsable()) // AVX2, and AVX-512 VNNI where the CPU has it
            for (int bits : new int[]{8, 4})
                for (int[] s : new int[][]{{5, 37, 128, 32}, {70, 20, 96, 16}, {3, 48, 64, 0}}) {
                    int m = s[0], n = s[1], k = s[2], gs = s[3];
                    IntWeights w = IntTestData.weights(r, n, k, bits, gs, true, true);
                    ActQuant a = new ActQuant(m, k, 8, gs);
                    IntGemm.quantizeRows(IntTestData.activations(r, m, k), 0, a, 0, m);
                    float[] mul = new float[a.groups];
                    for (int g = 0; g < mul.length; g++) mul[g] = 0.1f + 10 * r.nextFloat();
                    float[] yj = new float[m * n], yn = new float[m * n];
                    JavaIntBackend.INSTANCE.gemm(a, JavaIntBackend.INSTANCE.pack(w), mul, yj, 0);
                    nb.gemm(a, nb.pack(w), mul, yn, 0);
                    assertArrayEquals(yj, yn, 0f, nb.name() + " W" + bits + " m=" + m + " n=" + n + " k=" + k + " gs=" + gs);
                    // the multipliers really scale the groups: with one group, y − bias scales by mul[0]
                    if (a.groups == 1) {
                        float[] y1 = new float[m * n];
                        nb.gemm(a, nb.pack(w), null, y1, 0);
                        for (int i = 0; i < y1.length; i++) {
                            float b = w.bias()[i % n];
                            assertEquals((y1[i] - b) * mul[0], yn[i] - b, 1e-5 * (Math.abs(yn[i]) + Math.abs(b) + 1));
                        }
                    }
                }
    }
}
