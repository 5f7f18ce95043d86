package io.vdq.quant.quarot;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.quant.Calibration;
import io.vdq.quant.FakeRegistry;
import io.vdq.quant.QuantReport;
import io.vdq.quant.QuantizedLinear;
import io.vdq.quant.Recipe;
import io.vdq.quant.TestData;
import io.vdq.quant.minmax.MinMaxMethod;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QuaRotTest {
    static final String NAME = "blocks.1.attn1.to_v";
    static final int K = 128, OUT = 48, ROWS = 64;

    static Recipe recipe(String method, int w, int a) {
        return Recipe.of("t", method, w, a, Map.of("random_signs", true, "seed", 99)).withPatterns(List.of("blocks.**"), List.of());
    }

    @Test
    void rotationIsExactInFloat() {
        FakeRegistry m = new FakeRegistry().put(NAME, FakeRegistry.linear(1, OUT, K));
        float[] x = TestData.outlierChannels(2, ROWS, K, 16, 30f);
        float[] ref = TestData.forward(m.linears().get(NAME), x, ROWS);
        QuantReport rep = new QuaRotMethod().apply(m, recipe("quarot", 16, 16), Calibration.none());
        assertTrue(rep.layers().getFirst().note().contains("block=128"));
        assertTrue(TestData.relErr(TestData.forward(m.linears().get(NAME), x, ROWS), ref) < 1e-12);
        assertNotNull(((QuantizedLinear) m.linears().get(NAME)).transform());
    }

    /**
     * Moderate outlier channels (×10) that carry signal: at A4 per-token ranges waste levels on them and the rotation
     * spreads them over all channels. At A8 the activations are fine either way, so the weights get sparse outliers
     * (two entries per row ×10), which dominate the per-channel W4 ranges until rotated.
     */
    @Test
    void lowersW4A4AndW4A8ErrorAgainstMinMaxOnOutlierChannels() {
        for (int a : new int[]{4, 8}) {
            float[] x = TestData.outlierChannels(3, ROWS, K, 16, 10f);
            double[] err = new double[2];
            for (int v = 0; v < 2; v++) {
                var f = FakeRegistry.linear(4, OUT, K);
                if (a == 8) for (int o = 0; o < OUT; o++) { f.weight()[o * K + (o * 37) % K] *= 10; f.weight()[o * K + (o * 91 + 5) % K] *= 10; }
                FakeRegistry m = new FakeRegistry().put(NAME, f);
                float[] ref = TestData.forward(f, x, ROWS);
                if (v == 0) new QuaRotMethod().apply(m, recipe("quarot", 4, a), Calibration.none());
                else new MinMaxMethod().apply(m, recipe("minmax", 4, a), Calibration.none());
                err[v] = TestData.relErr(TestData.forward(m.linears().get(NAME), x, ROWS), ref);
            }
            assertTrue(err[0] < 0.5 * err[1], "W4A" + a + ": quarot " + err[0] + " vs minmax " + err[1]);
        }
    }
}
