package io.vdq.quant.dvd;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.kernel.ActQuant;
import io.vdq.kernel.ExecutionContext;
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
 * W8A8 / W4A8 / W4A4, block, per-channel and off Λ, with and without centring, per-channel and grouped BGR weights.
 */
class ArqIntExecTest {
    @AfterEach
    void restore() {
        ExecutionContext.setQuantExec(ExecutionContext.QuantExec.INT);
        ExecutionContext.setIntBackend(null);
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
        // per-channel Λ runs as a 15-bit fixed point per token: each x̂ element is off by at most c_t/2,
        // c_t = a_t·max_j |q_tj|·s_j / 32384 (from ARQ's own codes), so output (t, o) by at most c_t/2·Σ_j |ŵ_oj|
        boolean channel = ao.scaling() == Arq.Scaling.CHANNEL;
        double[] lsb = new double[rows];
        if (channel) {
            Arq.QuantizedActivation qa = arq.quantize(xh, 0, rows, actBits);
            for (int t = 0; t < rows; t++) {
                double mx = 0;
                for (int j = 0; j < k; j++) mx = Math.max(mx, Math.abs(qa.codes()[t * k + j]) * (double) qa.scales()[j]);
                lsb[t] = qa.tokenScale()[t] * mx / (254 * 127 + 126);
            }
        }
        arq.fakeQuantize(xh, 0, rows, actBits);
        if (mu != null) {
            float[] mr = mu.clone();
            arq.rotateActivations(mr, 0, 1);
            for (int t = 0; t < rows; t++) for (int j = 0; j < k; j++) xh[t * k + j] += mr[j];
        }
        float[] wd = q.dequantized();
        ExecutionContext.setQuantExec(ExecutionContext.QuantExec.FAKEQUANT);
        float[] fake = new float[rows * out];
        layer.forward(x, 0, rows, fake, 0);
        ExecutionContext.setQuantExec(ExecutionContext.QuantExec.INT);
        float[] first = null;
        for (IntBackend be : backends()) {
            ExecutionContext.setIntBackend(be);
            assertEquals("int:" + be.name(), layer.execution(), what);
            float[] y = new float[rows * out], xc = x.clone();
            layer.forward(xc, 0, rows, y, 0);
            assertArrayEquals(x, xc, "input untouched");
            if (first == null) first = y;
            else assertArrayEquals(first, y, what + ": " + be.name() + " equals the Java integer path bit for bit");
            for (int t = 0; t < rows; t++)
                for (int o = 0; o < out; o++) {
                    double s = b[o], mag = Math.abs(b[o]), wabs = 0;
                    for (int j = 0; j < k; j++) {
                        double p = (double) xh[t * k + j] * wd[o * k + j];
                        s += p;
                        mag += Math.abs(p);
                        wabs += Math.abs(wd[o * k + j]);
                    }
                    double tol = 4e-7 * Math.sqrt(k) * mag;
                    assertEquals(s, y[t * out + o], tol + 0.5 * lsb[t] * wabs, what + " int " + be.name() + " [" + t + "," + o + "]");
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
    void perChannelLambdaRunsOnTheIntegerKernels() {
        Arq.Options ch = Arq.Options.DEFAULTS.withScaling(Arq.Scaling.CHANNEL);
        // w4a4-dvd's ARQ (centred, per-channel Λ) at A4, and the same at A8 (w4a6-dvd's A8 steps, w4a8 settings)
        check(256, 40, 9, ch.withCenter(true), Bgr.Options.DEFAULTS, 4, "W4A4 centred, per-channel Λ");
        check(256, 40, 9, ch.withCenter(true), Bgr.Options.DEFAULTS, 8, "W4A8 centred, per-channel Λ");
        check(192, 24, 7, ch, Bgr.Options.DEFAULTS, 4, "W4A4 per-channel Λ, Hadamard 64");
        check(256, 24, 6, ch, Bgr.Options.DEFAULTS.withGroupSize(64), 4, "W4A4 per-channel Λ, BGR groups of 64");
        check(128, 17, 5, ch, Bgr.Options.DEFAULTS.withBits(8), 8, "W8A8 per-channel Λ (nibble-plane weights)");
        check(64, 8, 700, ch.withCenter(true), Bgr.Options.DEFAULTS, 4, "W4A4 centred, per-channel Λ, 700 rows");
        check(128, 17, 5, Arq.Options.DEFAULTS.withScaling(Arq.Scaling.OFF).withCenter(true), Bgr.Options.DEFAULTS, 4, "Λ off, centred");
    }

    @Test
    void severalChunksGiveTheSameResultAsOne() {
        // the integer path splits a call into chunks of rows (Λ and μ still over the whole call): 100 rows as 7 chunks
        ArqIntExec.maxChunkRows = 16;
        try {
            Arq.Options ch = Arq.Options.DEFAULTS.withScaling(Arq.Scaling.CHANNEL);
            check(128, 24, 100, ch.withCenter(true), Bgr.Options.DEFAULTS, 4, "W4A4 centred, per-channel Λ, 7 chunks");
            check(128, 24, 100, Arq.Options.DEFAULTS.withCenter(true), Bgr.Options.DEFAULTS, 4, "W4A4 centred, block Λ, 7 chunks");
            check(128, 24, 100, Arq.Options.DEFAULTS.withScaling(Arq.Scaling.OFF).withCenter(true), Bgr.Options.DEFAULTS, 4, "Λ off, centred, 7 chunks");
        } finally {
            ArqIntExec.maxChunkRows = Integer.MAX_VALUE;
        }
    }

    @Test
    void perChannelPlanesRebuildTheFakeQuantActivation() {
        // two tokens by hand: codes q, a_t, Λ; x̂ = a·q·s must come back as c·(254·h + l) within c/2
        int k = 8;
        ActQuant a = new ActQuant(2, k, 4, 0);
        byte[] q = {7, -3, 0, 1, -7, 2, 5, -1, /* row 2: all zero */ 0, 0, 0, 0, 0, 0, 0, 0};
        System.arraycopy(q, 0, a.q, 0, 8);
        a.scale[0] = 0.5f;
        float[] s = {1f, 4f, 0.25f, 100f, 0.001f, 3f, 2f, 50f};
        ActQuant hi = new ActQuant(2, k, 8, 0), lo = new ActQuant(2, k, 8, 0);
        ArqIntExec.channelPlanes(a, s, hi, lo);
        double mx = 100.0; // max |q|·s = |1·100|
        double c = 0.5 * mx / 32384;
        assertEquals(254 * c, hi.scale[0], 1e-6 * 254 * c);
        assertEquals(c, lo.scale[0], 1e-6 * c);
        int sh = 0, sl = 0;
        for (int j = 0; j < k; j++) {
            double xhat = 0.5 * q[j] * s[j];
            assertTrue(Math.abs(hi.q[j]) <= 127 && Math.abs(lo.q[j]) <= 127, "int8 planes");
            assertEquals(xhat, hi.scale[0] * hi.q[j] + lo.scale[0] * lo.q[j], 0.5 * c + 1e-6 * Math.abs(xhat), "x̂[" + j + "]");
            sh += hi.q[j];
            sl += lo.q[j];
        }
        assertEquals(127, hi.q[3], "the largest element fills the high plane");
        assertEquals(sh, hi.xsum[0]);
        assertEquals(sl, lo.xsum[0]);
        assertEquals(0f, hi.scale[1]);
        for (int j = 0; j < k; j++) assertEquals(0, hi.q[k + j] | lo.q[k + j], "zero row");
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
        Arq perTensor = new Arq(k, Arq.Options.DEFAULTS.withGranularity(Arq.Granularity.PER_TENSOR), 5);
        ArqLinear a = new ArqLinear(perTensor, Bgr.quantize(w, 0, out, k, Bgr.Options.DEFAULTS), null, new ActivationBits(4), false);
        assertEquals("fakequant (per-tensor activation scale)", a.execution());
        Arq arq = new Arq(k, Arq.Options.DEFAULTS, 5);
        ArqLinear real = new ArqLinear(arq, Bgr.quantize(w, 0, out, k, Bgr.Options.DEFAULTS.withRealZeroPoint(true)), null,
                new ActivationBits(4), false);
        assertEquals("fakequant (real-valued zero points)", real.execution());
        ArqLinear ref = new ArqLinear(arq, Bgr.quantize(w, 0, out, k, Bgr.Options.DEFAULTS), null, new ActivationBits(4), true);
        assertTrue(ref.execution().startsWith("integer reference"), ref.execution());
    }
}
