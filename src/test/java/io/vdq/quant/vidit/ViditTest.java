package io.vdq.quant.vidit;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.model.FloatLinear;
import io.vdq.quant.ActivationQuantizer;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.FakeRegistry;
import io.vdq.quant.Granularity;
import io.vdq.quant.InputTransform;
import io.vdq.quant.QuantReport;
import io.vdq.quant.QuantizedLinear;
import io.vdq.quant.Recipe;
import io.vdq.quant.Smoothing;
import io.vdq.quant.TestData;
import io.vdq.quant.minmax.MinMaxMethod;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ViditTest {
    static final String NAME = "blocks.0.attn2.to_k";
    static final int K = 64, OUT = 16, ROWS = 48;

    /** Early steps: outliers on channels 3, 11, …; late steps: on channels 5, 13, … */
    static float[][] steps() {
        float[] early = TestData.outlierChannels(1, ROWS, K, 8, 40f);
        float[] base = TestData.outlierChannels(2, ROWS, K, 8, 40f);
        float[] late = new float[base.length];
        for (int t = 0; t < ROWS; t++) for (int j = 0; j < K; j++) late[t * K + j] = base[t * K + (j + K - 2) % K];
        return new float[][]{early, early.clone(), late, late.clone()};
    }

    static FloatLinear layer() {
        FloatLinear f = FakeRegistry.linear(3, OUT, K);
        for (int o = 0; o < OUT; o++) for (int j = 0; j < K; j++) if (j % 8 == 3 || j % 8 == 5) f.weight()[o * K + j] /= 40;
        return f;
    }

    static Recipe recipe(String method) {
        return Recipe.of("t", method, 4, 6, Map.of("alphas", List.of(0.6, 0.5))).withPatterns(List.of("blocks.**"), List.of());
    }

    static float[] absMax(float[][] xs, int from, int to) {
        float[] m = new float[K];
        for (int s = from; s < to; s++) for (int t = 0; t < ROWS; t++) for (int j = 0; j < K; j++) m[j] = Math.max(m[j], Math.abs(xs[s][t * K + j]));
        return m;
    }

    @Test
    void eachTimestepRangeUsesItsOwnBalancingAndTheHookSelectsIt() {
        float[][] xs = steps();
        FloatLinear f = layer();
        FakeRegistry m = new FakeRegistry().put(NAME, f);
        QuantReport rep = new ViditMethod().apply(m, recipe("vidit"), TestData.feed(m, NAME, xs, ROWS));
        TimestepSwitchedLinear sw = (TimestepSwitchedLinear) m.linears().get(NAME);
        assertEquals(2, sw.variants().size());
        assertEquals(2, rep.layers().size());
        double[] alphas = {0.6, 0.5};
        for (int k = 0; k < 2; k++) {
            float[] s = Smoothing.factors(absMax(xs, 2 * k, 2 * k + 2), f.weight(), OUT, K, alphas[k]);
            QuantizedLinear manual = QuantizedLinear.roundToNearest(f, 4, true, Granularity.PER_CHANNEL, 0,
                    InputTransform.divideChannels(s), ActivationQuantizer.perToken(new ActivationBits(6), true));
            rep.hook().beforeStep(2 * k + 1, 4, 0f);
            assertArrayEquals(TestData.forward(manual, xs[2 * k], ROWS), TestData.forward(sw, xs[2 * k], ROWS), "range " + k);
        }
        assertEquals(0, TimestepSwitchedLinear.range(1, 4, 2));
        assertEquals(1, TimestepSwitchedLinear.range(2, 4, 2));
        assertEquals(2, TimestepSwitchedLinear.range(49, 50, 3));
    }

    @Test
    void beatsMinMaxOnTimestepDependentOutliers() {
        float[][] xs = steps();
        FakeRegistry mv = new FakeRegistry().put(NAME, layer()), mm = new FakeRegistry().put(NAME, layer());
        QuantReport rep = new ViditMethod().apply(mv, recipe("vidit"), TestData.feed(mv, NAME, xs, ROWS));
        new MinMaxMethod().apply(mm, recipe("minmax").withOptions(Map.of()), null);
        FloatLinear f = layer();
        for (int s : new int[]{0, 3}) {
            rep.hook().beforeStep(s, 4, 0f);
            float[] ref = TestData.forward(f, xs[s], ROWS);
            double ev = TestData.relErr(TestData.forward(mv.linears().get(NAME), xs[s], ROWS), ref);
            double em = TestData.relErr(TestData.forward(mm.linears().get(NAME), xs[s], ROWS), ref);
            assertTrue(ev < 0.5 * em, "step " + s + ": vidit " + ev + " vs minmax " + em);
        }
    }

    @Test
    void moreRangesThanCalibrationStepsIsAConfigError() {
        FakeRegistry m = new FakeRegistry().put(NAME, layer());
        var e = assertThrows(io.vdq.VdqException.ConfigException.class,
                () -> new ViditMethod().apply(m, recipe("vidit"), TestData.feed(m, NAME, new float[][]{steps()[0]}, ROWS)));
        assertTrue(e.getMessage().contains("alphas"));
    }
}
