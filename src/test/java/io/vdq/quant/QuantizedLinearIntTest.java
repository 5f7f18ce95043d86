package io.vdq.quant;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.kernel.ExecutionContext;
import io.vdq.kernel.IntBackend;
import io.vdq.kernel.JavaIntBackend;
import io.vdq.kernel.nat.IntKernels;
import io.vdq.kernel.nat.NativeIntBackend;
import io.vdq.model.FloatLinear;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * QuantizedLinear on the integer kernels against its fake-quant float reference: both must equal, within float
 * GEMM rounding, the double-precision product of the fake-quantized activations and the dequantized weights; the
 * Java and native integer backends must agree bit for bit; exact when every partial sum is representable.
 */
class QuantizedLinearIntTest {
    @AfterEach
    void restore() {
        ExecutionContext.setQuantExec(ExecutionContext.QuantExec.INT);
        ExecutionContext.setIntBackend(null);
    }

    /** The integer backends to check: the Java reference always, each native instruction set this host runs. */
    static List<IntBackend> backends() {
        List<IntBackend> b = new ArrayList<>(List.of(JavaIntBackend.INSTANCE));
        if (IntKernels.nativeAllowed()) b.addAll(NativeIntBackend.everyUsable());
        return b;
    }

    static float[] run(QuantizedLinear q, float[] x, int rows, ExecutionContext.QuantExec mode, IntBackend b) {
        ExecutionContext.setQuantExec(mode);
        ExecutionContext.setIntBackend(b);
        float[] xc = x.clone();
        float[] y = new float[rows * q.outFeatures()];
        q.forward(xc, 0, rows, y, 0);
        assertArrayEquals(x, xc, "input untouched");
        return y;
    }

    /** Checks fake-quant and every integer backend against Σ x̂·ŵ in double; returns the fake-quant output. */
    static void check(QuantizedLinear q, float[] x, int rows, String what) {
        int in = q.inFeatures(), out = q.outFeatures();
        assertTrue(q.execution().startsWith("int:"), what + ": runs on the integer path, got " + q.execution());
        // reference: activations transformed and fake-quantized as the float path does, dequantized weights, double sums
        float[] xh = x.clone();
        if (q.transform() != null) q.transform().apply(xh, 0, rows);
        q.activations().apply(xh, 0, rows, in);
        float[] w = q.dequantizedWeight(), b = q.bias();
        float[] fake = run(q, x, rows, ExecutionContext.QuantExec.FAKEQUANT, JavaIntBackend.INSTANCE);
        float[] first = null;
        for (IntBackend be : backends()) {
            float[] y = run(q, x, rows, ExecutionContext.QuantExec.INT, be);
            if (first == null) first = y;
            else assertArrayEquals(first, y, what + ": " + be.name() + " equals the Java integer reference bit for bit");
            for (int t = 0; t < rows; t++)
                for (int o = 0; o < out; o++) {
                    double s = b == null ? 0 : b[o], mag = b == null ? 0 : Math.abs(b[o]);
                    for (int j = 0; j < in; j++) {
                        double p = (double) xh[t * in + j] * w[o * in + j];
                        s += p;
                        mag += Math.abs(p);
                    }
                    // float32 sums of `in` terms: a few ulps of the magnitude sum is the meaningful bound
                    double tol = 4e-7 * Math.sqrt(in) * mag + 1e-30;
                    int i = t * out + o;
                    assertEquals(s, y[i], tol, what + " int(" + be.name() + ") [" + t + "," + o + "]");
                    assertEquals(s, fake[i], tol, what + " fakequant [" + t + "," + o + "]");
                }
        }
    }

    static FloatLinear layer(long seed, int out, int in) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[out * in], b = new float[out];
        for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextGaussian() * 0.05);
        for (int i = 0; i < out; i++) b[i] = (float) r.nextGaussian();
        return new FloatLinear(w, b, out, in);
    }

    @Test
    void perChannelSymmetricWeightsMatchFakeQuantForEveryBitPair() {
        int out = 37, in = 96, rows = 11;
        float[] x = TestData.outlierChannels(3, rows, in, 17, 20f);
        for (int[] wa : new int[][]{{8, 8}, {4, 8}, {4, 4}, {6, 6}, {3, 5}, {2, 8}}) {
            ActivationBits bits = new ActivationBits(wa[1]);
            QuantizedLinear q = QuantizedLinear.roundToNearest(layer(wa[0] * 10L + wa[1], out, in), wa[0], true,
                    Granularity.PER_CHANNEL, 0, null, ActivationQuantizer.perToken(bits, true));
            check(q, x, rows, "W" + wa[0] + "A" + wa[1] + " per channel symmetric");
        }
    }

    @Test
    void perGroupAndAsymmetricWeightsMatchFakeQuant() {
        int out = 20, in = 128, rows = 9;
        float[] x = TestData.outlierChannels(4, rows, in, 13, 10f);
        for (int bitsW : new int[]{4, 8, 5})
            for (boolean sym : new boolean[]{true, false})
                for (int gs : new int[]{32, 64}) {
                    QuantizedLinear q = QuantizedLinear.roundToNearest(layer(gs + bitsW, out, in), bitsW, sym, Granularity.PER_GROUP,
                            gs, null, ActivationQuantizer.perToken(new ActivationBits(8), true));
                    check(q, x, rows, "W" + bitsW + " " + (sym ? "sym" : "asym") + " group " + gs);
                }
        QuantizedLinear pt = QuantizedLinear.roundToNearest(layer(9, out, in), 4, false, Granularity.PER_TENSOR, 0, null,
                ActivationQuantizer.perToken(new ActivationBits(4), true));
        check(pt, x, rows, "W4 asym per tensor, A4");
    }

    @Test
    void rotatedAndSmoothedLayersMatchFakeQuant() {
        int out = 24, in = 64, rows = 7;
        float[] x = TestData.outlierChannels(5, rows, in, 11, 30f);
        QuantizedLinear rot = QuantizedLinear.roundToNearest(layer(1, out, in), 4, true, Granularity.PER_CHANNEL, 0,
                InputTransform.hadamard(new Hadamard(in, 64, 77)), ActivationQuantizer.perToken(new ActivationBits(4), true));
        check(rot, x, rows, "QuaRot-style W4A4");
        float[] s = new float[in];
        for (int j = 0; j < in; j++) s[j] = 0.5f + (j % 11 == 3 ? 5f : 0.1f * (j % 5));
        QuantizedLinear sm = QuantizedLinear.roundToNearest(layer(2, out, in), 8, true, Granularity.PER_CHANNEL, 0,
                InputTransform.divideChannels(s), ActivationQuantizer.perToken(new ActivationBits(8), true));
        check(sm, x, rows, "SmoothQuant-style W8A8");
    }

    @Test
    void eightBitCodesOutsideTheSignTrickRangeRunAsNibblePlanes() {
        int out = 16, in = 64, rows = 5;
        float[] x = TestData.outlierChannels(6, rows, in, 9, 8f);
        QuantizedLinear asym = QuantizedLinear.roundToNearest(layer(11, out, in), 8, false, Granularity.PER_CHANNEL, 0, null,
                ActivationQuantizer.perToken(new ActivationBits(8), true));
        assertEquals("W8 as 2×W4 nibble planes",
                QuantizedLinear.integerPlan(out, in, null, asym.codes(), asym.weightParams(), asym.activations()).kernel());
        check(asym, x, rows, "W8 asymmetric (codes 0..255)");
        // symmetric 8-bit codes that reach −128 (as GPTQ's clamping can produce)
        QuantizedLinear sym = QuantizedLinear.roundToNearest(layer(12, out, in), 8, true, Granularity.PER_CHANNEL, 0, null,
                ActivationQuantizer.perToken(new ActivationBits(8), true));
        int[] codes = sym.codes().clone();
        codes[3] = -128;
        float[] deq = sym.dequantizedWeight().clone();
        deq[3] = sym.weightParams().scale()[0] * -128;
        QuantizedLinear withMin = new QuantizedLinear(out, in, deq, sym.bias(), codes, sym.weightParams(), null, sym.activations());
        assertEquals("W8 as 2×W4 nibble planes",
                QuantizedLinear.integerPlan(out, in, null, codes, sym.weightParams(), sym.activations()).kernel());
        check(withMin, x, rows, "W8 symmetric with a −128 code");
    }

    @Test
    void powerOfTwoScalesGiveBitIdenticalOutputs() {
        // weights 2^-3·q, activations whose per-token max is 127·2^-2 (scale exactly 2^-2): every product and partial
        // sum is a small multiple of 2^-5, exact in float, so both paths must produce the same bits
        int out = 19, in = 40, rows = 6;
        SplittableRandom r = new SplittableRandom(8);
        float[] w = new float[out * in], b = new float[out];
        for (int o = 0; o < out; o++) {
            for (int j = 0; j < in; j++) w[o * in + j] = (r.nextInt(255) - 127) * 0.125f;
            w[o * in] = 127 * 0.125f; // per-channel max 127·2^-3: scale exactly 2^-3
            b[o] = r.nextInt(64) * 0.03125f;
        }
        float[] x = new float[rows * in];
        for (int t = 0; t < rows; t++) {
            for (int j = 0; j < in; j++) x[t * in + j] = (r.nextInt(255) - 127) * 0.25f;
            x[t * in + 5] = -127 * 0.25f;
        }
        QuantizedLinear q = QuantizedLinear.roundToNearest(new FloatLinear(w, b, out, in), 8, true, Granularity.PER_CHANNEL, 0,
                null, ActivationQuantizer.perToken(new ActivationBits(8), true));
        assertArrayEquals(w, q.dequantizedWeight(), "the weights are exactly on the grid");
        float[] fake = run(q, x, rows, ExecutionContext.QuantExec.FAKEQUANT, JavaIntBackend.INSTANCE);
        for (IntBackend be : backends())
            assertArrayEquals(fake, run(q, x, rows, ExecutionContext.QuantExec.INT, be), "exact W8A8 on " + be.name());
        for (int t = 0; t < rows; t++) { // and both equal the exact product
            double s = b[0];
            for (int j = 0; j < in; j++) s += (double) x[t * in + j] * w[j];
            assertEquals(s, fake[t * out], 0.0);
        }
    }

    @Test
    void unsupportedConfigurationsStayOnFakeQuantAndSayWhy() {
        int out = 8, in = 32;
        ActivationBits a8 = new ActivationBits(8);
        QuantizedLinear asymAct = QuantizedLinear.roundToNearest(layer(1, out, in), 4, true, Granularity.PER_CHANNEL, 0, null,
                ActivationQuantizer.perToken(a8, false));
        assertEquals("fakequant (asymmetric activations)", asymAct.execution());
        QuantizedLinear oddGroup = QuantizedLinear.roundToNearest(layer(1, out, in), 4, true, Granularity.PER_GROUP, 6, null,
                ActivationQuantizer.perToken(a8, true));
        assertTrue(oddGroup.execution().contains("multiple of 4"), oddGroup.execution());
        QuantizedLinear w16 = QuantizedLinear.roundToNearest(layer(1, out, in), 16, true, Granularity.PER_CHANNEL, 0, null,
                ActivationQuantizer.perToken(a8, true));
        assertEquals("fakequant (float weights)", w16.execution());
        // an unsupported layer still computes its fake-quant output in mode int
        float[] x = TestData.outlierChannels(1, 3, in, 7, 5f);
        assertArrayEquals(run(asymAct, x, 3, ExecutionContext.QuantExec.FAKEQUANT, JavaIntBackend.INSTANCE),
                run(asymAct, x, 3, ExecutionContext.QuantExec.INT, JavaIntBackend.INSTANCE));
    }

    @Test
    void floatStepsAndFakeQuantModeBypassTheKernels() {
        int out = 8, in = 32, rows = 4;
        ActivationBits bits = new ActivationBits(4);
        QuantizedLinear q = QuantizedLinear.roundToNearest(layer(3, out, in), 4, true, Granularity.PER_CHANNEL, 0, null,
                ActivationQuantizer.perToken(bits, true));
        ExecutionContext.setQuantExec(ExecutionContext.QuantExec.FAKEQUANT);
        assertEquals("fakequant", q.execution());
        float[] x = TestData.outlierChannels(2, rows, in, 7, 5f);
        bits.set(16);
        float[] y = run(q, x, rows, ExecutionContext.QuantExec.INT, JavaIntBackend.INSTANCE);
        for (int t = 0; t < rows; t++)
            for (int o = 0; o < out; o++) {
                double s = q.bias()[o];
                for (int j = 0; j < in; j++) s += (double) x[t * in + j] * q.dequantizedWeight()[o * in + j];
                assertEquals(s, y[t * out + o], 1e-4, "float activations: plain float GEMM with the dequantized weights");
            }
    }
}
