package io.vdq.quant.smoothquant;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.model.Linear;
import io.vdq.quant.FakeRegistry;
import io.vdq.quant.QuantizedLinear;
import io.vdq.quant.Recipe;
import io.vdq.quant.Smoothing;
import io.vdq.quant.TestData;
import io.vdq.quant.minmax.MinMaxMethod;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SmoothQuantTest {
    static final String NAME = "blocks.0.ffn.net.0.proj";
    static final int K = 64, OUT = 32, ROWS = 96;

    static Recipe recipe(String method, int w, int a) {
        return Recipe.of("t", method, w, a, Map.of("alpha", 0.5)).withPatterns(List.of("blocks.**"), List.of());
    }

    @Test
    void foldingLeavesTheFloatOutputUnchanged() {
        FakeRegistry m = new FakeRegistry().put(NAME, FakeRegistry.linear(3, OUT, K));
        Linear f = m.linears().get(NAME);
        float[] x = TestData.outlierChannels(4, ROWS, K, 8, 40f);
        float[] ref = TestData.forward(f, x, ROWS);
        new SmoothQuantMethod().apply(m, recipe("smoothquant", 16, 16), TestData.feed(m, NAME, new float[][]{x}, ROWS));
        QuantizedLinear q = (QuantizedLinear) m.linears().get(NAME);
        assertNotNull(q.transform());
        assertTrue(TestData.relErr(TestData.forward(q, x, ROWS), ref) < 1e-12, "x/s · (W·s)ᵀ = x·Wᵀ up to float rounding");
    }

    @Test
    void factorsFollowTheFormula() {
        float[] amax = {4f, 0f, 1f};
        float[] w = {0.5f, 2f, -1f,
                     -0.25f, 1f, 0.5f};
        float[] s = Smoothing.factors(amax, w, 2, 3, 0.5);
        assertEquals(Math.sqrt(4) / Math.sqrt(0.5), s[0], 1e-6);
        assertEquals(1f, s[1]); // dead activation channel
        assertEquals(1 / Math.sqrt(1), s[2], 1e-6);
    }

    @Test
    void lowersW8A8AndW4A8ErrorOnOutlierChannels() {
        float[] x = TestData.outlierChannels(5, ROWS, K, 8, 60f);
        for (int wb : new int[]{8, 4}) {
            double[] err = new double[2];
            for (int v = 0; v < 2; v++) {
                FakeRegistry m = new FakeRegistry().put(NAME, TestData.dampenOutlierColumns(FakeRegistry.linear(6, OUT, K), 8, 60f));
                float[] ref = TestData.forward(m.linears().get(NAME), x, ROWS);
                if (v == 0) new SmoothQuantMethod().apply(m, recipe("smoothquant", wb, 8), TestData.feed(m, NAME, new float[][]{x}, ROWS));
                else new MinMaxMethod().apply(m, recipe("minmax", wb, 8).withOptions(Map.of()), null);
                err[v] = TestData.relErr(TestData.forward(m.linears().get(NAME), x, ROWS), ref);
            }
            assertTrue(err[0] < 0.5 * err[1], "W" + wb + "A8: smoothquant " + err[0] + " vs minmax " + err[1]);
        }
    }

    @Test
    void staticActivationsUseOneCalibratedScaleFromTheSmoothedMaxima() {
        float[] x = TestData.outlierChannels(7, ROWS, K, 8, 60f);
        var f = TestData.dampenOutlierColumns(FakeRegistry.linear(8, OUT, K), 8, 60f);
        FakeRegistry m = new FakeRegistry().put(NAME, f);
        Recipe r = recipe("smoothquant", 8, 8).withOption("static_activations", true);
        new SmoothQuantMethod().apply(m, r, TestData.feed(m, NAME, new float[][]{x}, ROWS));
        QuantizedLinear q = (QuantizedLinear) m.linears().get(NAME);
        var p = q.activations().staticParams();
        assertNotNull(p);
        float[] amax = new float[K];
        for (int t = 0; t < ROWS; t++) for (int j = 0; j < K; j++) amax[j] = Math.max(amax[j], Math.abs(x[t * K + j]));
        float[] s = Smoothing.factors(amax, f.weight(), OUT, K, 0.5);
        double m1 = 0;
        for (int j = 0; j < K; j++) m1 = Math.max(m1, amax[j] / s[j]);
        assertEquals(m1 / 127, p.scale()[0], 1e-6 * m1 / 127);
        float[] ref = TestData.forward(f, x, ROWS);
        assertTrue(TestData.relErr(TestData.forward(q, x, ROWS), ref) < 1e-3);
    }
}
