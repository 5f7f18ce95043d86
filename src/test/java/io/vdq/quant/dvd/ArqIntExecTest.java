package io.vdq.quant.dvd;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.kernel.ActQuant;
import io.vdq.kernel.IntBackend;
import io.vdq.kernel.JavaIntBackend;
import io.vdq.kernel.RotQuant;
import io.vdq.kernel.nat.IntKernels;
import io.vdq.kernel.nat.NativeIntBackend;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.Hadamard;
import io.vdq.quant.IntExec;
import io.vdq.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * ARQ on the integer kernels: the fused rotate + Λ⁻¹ + per-token quantizer gives ARQ's own codes (Java and native,
 * bit for bit), and ArqLinear's integer path equals its fake-quant reference within float GEMM rounding, for
 * W8A8 / W4A8 / W4A4, block and off Λ, per-channel and grouped BGR weights.
 */
class ArqIntExecTest {
    @AfterEach
    void restore() {
        IntExec.setMode(IntExec.Mode.INT);
        IntKernels.set(null);
    }

    static List<IntBackend> backends() {
        List<IntBackend> b = new ArrayList<>(List.of(JavaIntBackend.INSTANCE));
        if (IntKernels.nativeAllowed()) b.addAll(NativeIntBackend.everyUsable());
        return b;
    }

    static RotQuant rotQuant(Arq arq) {
        Hadamard h = arq.rotation();
        return new RotQuant(arq.k(), h.signs(), h.block(), h.norm(), arq.scaleBlock());
    }

    @Test
    void fusedQuantizerReproducesArqCodesScalesAndBlockMaxima() {
        int rows = 13, k = 192; // Hadamard block 64, Λ blocks of 64 (scale block 128 does not divide 192)
        float[] x = ArqTest.activations(21, rows, k);
        for (int bits : new int[]{8, 6, 4, 3}) {
            Arq arq = new Arq(k, Arq.Options.DEFAULTS.withScaleBlock(64), 99);
            Arq.QuantizedActivation ref = arq.quantize(x, 0, rows, bits);
            RotQuant rq = rotQuant(arq);
            for (IntBackend b : backends()) {
                float[] s = b.rotBlockMax(x, 0, rows, rq);
                float[] floored = s.clone();
                for (int g = 0; g < s.length; g++) floored[g] = Math.max(s[g], 1e-8f);
                assertArrayEquals(ref.scales(), floored, 0f, b.name() + ": Λ = per-block max over all tokens");
                float[] inv = new float[s.length];
                for (int g = 0; g < s.length; g++) inv[g] = 1f / floored[g];
                ActQuant a = new ActQuant(rows, k, bits, 32);
                b.rotQuantize(x, 0, rq, inv, 1e-8f, a);
                assertArrayEquals(ref.tokenScale(), a.scale, 0f, b.name() + " A" + bits + ": token scales");
                for (int t = 0; t < rows; t++)
                    for (int j = 0; j < k; j++)
                        assertEquals(ref.codes()[t * k + j], a.q[t * a.kp + j], b.name() + " A" + bits + " code [" + t + "," + j + "]");
                for (int t = 0; t < rows; t++)
                    for (int g = 0; g < a.groups; g++) {
                        int sum = 0;
                        for (int j = g * 32; j < g * 32 + 32; j++) sum += ref.codes()[t * k + j];
                        assertEquals(sum, a.xsum[t * a.groups + g], "group sum");
                    }
            }
        }
    }

    /** ArqLinear outputs in both modes, on every backend, against Σ x̂·ŵ in double from ARQ's fake quantization. */
    static void check(int k, int out, int rows, Arq.Options ao, Bgr.Options bo, int actBits, String what) {
        float[] x = ArqTest.activations(k + out + actBits, rows, k);
        float[] w = Tensor.randn(out + 5L, out, k).data(), b = Tensor.randn(7, out).data();
        Arq arq = new Arq(k, ao, 1234);
        arq.rotateWeights(w, 0, out);
        Bgr.Result q = Bgr.quantize(w, 0, out, k, bo);
        ArqLinear layer = new ArqLinear(arq, q, b, new ActivationBits(actBits), false);
        float[] xh = x.clone();
        float[] mu = arq.shift(x, 0, rows); // centring: Q(x − μ) + μ (rotated), i.e. μ·Ŵᵀ added back in float
        Arq.subtractShift(xh, 0, rows, mu);
        arq.fakeQuantize(xh, 0, rows, actBits);
        if (mu != null) {
            float[] mr = mu.clone();
            arq.rotateActivations(mr, 0, 1);
            for (int t = 0; t < rows; t++) for (int j = 0; j < k; j++) xh[t * k + j] += mr[j];
        }
        float[] wd = q.dequantized();
        IntExec.setMode(IntExec.Mode.FAKEQUANT);
        float[] fake = new float[rows * out];
        layer.forward(x, 0, rows, fake, 0);
        IntExec.setMode(IntExec.Mode.INT);
        float[] first = null;
        for (IntBackend be : backends()) {
            IntKernels.set(be);
            assertEquals("int:" + be.name(), layer.execution(), what);
            float[] y = new float[rows * out], xc = x.clone();
            layer.forward(xc, 0, rows, y, 0);
            assertArrayEquals(x, xc, "input untouched");
            if (first == null) first = y;
            else assertArrayEquals(first, y, what + ": " + be.name() + " equals the Java integer path bit for bit");
            for (int t = 0; t < rows; t++)
                for (int o = 0; o < out; o++) {
                    double s = b[o], mag = Math.abs(b[o]);
                    for (int j = 0; j < k; j++) { double p = (double) xh[t * k + j] * wd[o * k + j]; s += p; mag += Math.abs(p); }
                    double tol = 4e-7 * Math.sqrt(k) * mag;
                    assertEquals(s, y[t * out + o], tol, what + " int " + be.name() + " [" + t + "," + o + "]");
                    assertEquals(s, fake[t * out + o], tol, what + " fakequant [" + t + "," + o + "]");
                }
        }
    }

    @Test
    void integerPathMatchesFakeQuantForW8A8W4A8W4A4() {
        for (int[] wa : new int[][]{{8, 8}, {4, 8}, {4, 4}, {4, 6}})
            check(256, 40, 9, Arq.Options.DEFAULTS, Bgr.Options.DEFAULTS.withBits(wa[0]), wa[1], "W" + wa[0] + "A" + wa[1]);
    }

    @Test
    void integerPathHandlesGroupedWeightsLambdaOffAndSmallBlocks() {
        check(256, 24, 6, Arq.Options.DEFAULTS, Bgr.Options.DEFAULTS.withGroupSize(64), 4, "W4A4 BGR groups of 64 inside Λ blocks of 128");
        check(256, 24, 6, Arq.Options.DEFAULTS.withScaleBlock(32), Bgr.Options.DEFAULTS.withGroupSize(128), 8, "Λ blocks of 32 inside groups of 128");
        check(128, 17, 5, Arq.Options.DEFAULTS.withScaling(Arq.Scaling.OFF), Bgr.Options.DEFAULTS, 4, "Λ off");
        check(96, 17, 5, Arq.Options.DEFAULTS.withRotate(false), Bgr.Options.DEFAULTS, 8, "no rotation, Λ blocks of 32");
    }

    @Test
    void integerPathMatchesFakeQuantWithCentring() {
        check(256, 40, 9, Arq.Options.DEFAULTS.withCenter(true), Bgr.Options.DEFAULTS, 4, "W4A4 centred");
        check(64, 8, 700, Arq.Options.DEFAULTS.withCenter(true), Bgr.Options.DEFAULTS, 8, "W4A8 centred, 700 rows");
    }

    @Test
    void longCallsUseOneLambdaOverAllTokens() {
        // more rows than one chunk of the fake-quant path (512): Λ still comes from the whole call in both paths
        check(64, 8, 700, Arq.Options.DEFAULTS, Bgr.Options.DEFAULTS, 4, "700 rows");
    }

    @Test
    void inexpressibleConfigurationsStayOnFakeQuant() {
        int k = 64, out = 4;
        float[] w = Tensor.randn(3, out, k).data();
        Arq perChannel = new Arq(k, Arq.Options.DEFAULTS.withScaling(Arq.Scaling.CHANNEL), 5);
        ArqLinear a = new ArqLinear(perChannel, Bgr.quantize(w, 0, out, k, Bgr.Options.DEFAULTS), null, new ActivationBits(4), false);
        assertEquals("fakequant (per-channel Λ)", a.execution());
        Arq arq = new Arq(k, Arq.Options.DEFAULTS, 5);
        ArqLinear real = new ArqLinear(arq, Bgr.quantize(w, 0, out, k, Bgr.Options.DEFAULTS.withRealZeroPoint(true)), null,
                new ActivationBits(4), false);
        assertEquals("fakequant (real-valued zero points)", real.execution());
        ArqLinear ref = new ArqLinear(arq, Bgr.quantize(w, 0, out, k, Bgr.Options.DEFAULTS), null, new ActivationBits(4), true);
        assertTrue(ref.execution().startsWith("integer reference"), ref.execution());
    }
}
