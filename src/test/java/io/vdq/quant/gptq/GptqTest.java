package io.vdq.quant.gptq;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.model.FloatLinear;
import io.vdq.quant.Calibration;
import io.vdq.quant.Gptq;
import io.vdq.quant.FakeRegistry;
import io.vdq.quant.Granularity;
import io.vdq.quant.QuantParams;
import io.vdq.quant.QuantReport;
import io.vdq.quant.QuantizedLinear;
import io.vdq.quant.Recipe;
import io.vdq.quant.UniformQuantizer;
import io.vdq.quant.minmax.MinMaxMethod;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GptqTest {
    static final int K = 64, OUT = 24, N = 512;

    /** Strongly correlated inputs: a shared factor plus small independent noise, with channel-dependent gains. */
    static float[] correlatedInputs(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[N * K];
        for (int t = 0; t < N; t++) {
            double z0 = r.nextGaussian(), z1 = r.nextGaussian();
            for (int j = 0; j < K; j++)
                x[t * K + j] = (float) ((1 + j % 5) * (z0 + (j % 2 == 0 ? 0.5 : -0.5) * z1) + 0.2 * r.nextGaussian());
        }
        return x;
    }

    static double[] hessian(float[] x) {
        double[] h = new double[K * K];
        for (int t = 0; t < N; t++) for (int i = 0; i < K; i++) for (int j = 0; j < K; j++) h[i * K + j] += (double) x[t * K + i] * x[t * K + j];
        for (int i = 0; i < h.length; i++) h[i] /= N;
        return h;
    }

    /** ‖X·(Ŵ − W)ᵀ‖², in double. */
    static double outputError(float[] x, float[] w, float[] wq) {
        double e = 0;
        for (int t = 0; t < N; t++)
            for (int o = 0; o < OUT; o++) {
                double s = 0;
                for (int j = 0; j < K; j++) s += (double) x[t * K + j] * ((double) wq[o * K + j] - w[o * K + j]);
                e += s * s;
            }
        return e;
    }

    static float[] rtn(float[] w, int bits, boolean sym, Granularity g, int group) {
        QuantParams p = UniformQuantizer.fit(w, 0, OUT, K, bits, sym, g, group);
        float[] y = new float[w.length];
        UniformQuantizer.fakeQuant(w, 0, OUT, K, p, y, 0);
        return y;
    }

    @Test
    void reducesOutputErrorAgainstRoundToNearestOnCorrelatedInputs() {
        float[] x = correlatedInputs(3);
        float[] w = FakeRegistry.linear(11, OUT, K).weight();
        double[] h = hessian(x);
        for (boolean actOrder : new boolean[]{false, true}) {
            for (Granularity g : new Granularity[]{Granularity.PER_CHANNEL, Granularity.PER_GROUP}) {
                Gptq.Result res = Gptq.quantize("t", w, OUT, K, h, 3, false, g, 16, 0.01, actOrder);
                double eg = outputError(x, w, res.dequantized()), er = outputError(x, w, rtn(w, 3, false, g, 16));
                assertTrue(eg < 0.5 * er, "act_order " + actOrder + " " + g + ": gptq " + eg + " vs rtn " + er);
                for (float v : res.dequantized()) assertTrue(Float.isFinite(v));
            }
        }
    }

    @Test
    void equalsRoundToNearestWhenTheHessianIsIdentityScaled() {
        float[] w = FakeRegistry.linear(12, OUT, K).weight();
        double[] h = new double[K * K];
        for (int i = 0; i < K; i++) h[i * K + i] = 3.7;
        for (Granularity g : new Granularity[]{Granularity.PER_TENSOR, Granularity.PER_CHANNEL, Granularity.PER_GROUP})
            for (boolean sym : new boolean[]{true, false}) {
                Gptq.Result res = Gptq.quantize("t", w, OUT, K, h, 4, sym, g, 16, 0.01, false);
                assertArrayEquals(rtn(w, 4, sym, g, 16), res.dequantized(), 1e-7f, g + " sym " + sym);
            }
    }

    @Test
    void methodQuantizesFromCalibrationAndBeatsMinMax() {
        float[] x = correlatedInputs(5);
        String name = "blocks.0.attn1.to_q";
        Recipe r = new Recipe("t", "gptq", 3, 16, Granularity.PER_CHANNEL, 128, false, true, Granularity.PER_TOKEN,
                List.of("blocks.*.attn1.to_q"), List.of(), Map.of("damp", 0.01));
        double[] err = new double[2];
        for (int v = 0; v < 2; v++) {
            FakeRegistry m = new FakeRegistry().put(name, new FloatLinear(FakeRegistry.linear(13, OUT, K).weight(), null, OUT, K));
            float[] w = ((FloatLinear) m.linears().get(name)).weight();
            Calibration cal = Calibration.of(1, tag -> {
                tag.set(0, 1, 500f);
                for (int c = 0; c < 4; c++) m.linears().get(name).forward(x, c * (N / 4) * K, N / 4, new float[N / 4 * OUT], 0);
            });
            QuantReport rep = v == 0 ? new GptqMethod().apply(m, r, cal) : new MinMaxMethod().apply(m, r.withName("rtn").withOptions(Map.of()), cal);
            assertEquals(1, rep.layers().size());
            err[v] = outputError(x, w, ((QuantizedLinear) m.linears().get(name)).dequantizedWeight());
        }
        assertTrue(err[0] < 0.5 * err[1], "gptq " + err[0] + " vs minmax " + err[1]);
    }

    @Test
    void bitIdenticalForAnyThreadCount() {
        float[] w = FakeRegistry.linear(14, OUT, K).weight();
        double[] h = hessian(correlatedInputs(8));
        int before = io.vdq.tensor.Parallel.threads();
        try {
            int[] ref = null;
            for (int t : new int[]{1, 2, 3}) {
                io.vdq.tensor.Parallel.setThreads(t);
                int[] codes = Gptq.quantize("t", w, OUT, K, h, 4, true, Granularity.PER_GROUP, 16, 0.01, true).codes();
                if (ref == null) ref = codes; else assertArrayEquals(ref, codes, "threads " + t);
            }
        } finally {
            io.vdq.tensor.Parallel.setThreads(before);
        }
    }

    @Test
    void upperCholeskyFactorInvertsTheMatrix() {
        double[] a = hessian(correlatedInputs(7));
        for (int i = 0; i < K; i++) a[i * K + i] += 0.01;
        double[] u = io.vdq.quant.HessianFactor.upperCholeskyOfInverse(a, K, "t");
        // (UᵀU)·A = I
        for (int i = 0; i < K; i++)
            for (int j = 0; j < K; j++) {
                double s = 0;
                for (int m = 0; m < K; m++) {
                    double inv = 0;
                    for (int q = 0; q <= Math.min(i, m); q++) inv += u[q * K + i] * u[q * K + m];
                    s += inv * a[m * K + j];
                }
                assertEquals(i == j ? 1 : 0, s, 1e-6, i + "," + j);
            }
    }
}
