package io.vdq.quant.calib;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.model.Linear;
import io.vdq.quant.Calibration;
import io.vdq.quant.FakeRegistry;
import io.vdq.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecorderTest {
    @Test
    void statisticsEqualDirectlyComputedOnesAndLayersAreRestored() {
        int in = 12, steps = 3, rows = 7;
        FakeRegistry m = new FakeRegistry().put("a", FakeRegistry.linear(1, 5, in)).put("b", FakeRegistry.linear(2, 4, in));
        Linear origA = m.linears().get("a");
        float[][] xs = new float[steps * 2][];
        for (int i = 0; i < xs.length; i++) xs[i] = Tensor.randn(100 + i, rows, in).data();
        Calibration cal = Calibration.of(steps, tag -> {
            for (int s = 0; s < steps; s++) {
                tag.set(s, steps, 1000f - s);
                for (int c = 0; c < 2; c++) m.linears().get("a").forward(xs[2 * s + c], 0, rows, new float[rows * 5], 0);
            }
        });
        var stats = Recorder.record(m, List.of("a"), cal, new StatsRequest(true, true, true, 10, 9)).get("a");
        assertSame(origA, m.linears().get("a"), "layer restored");
        assertEquals(steps * 2L * rows, stats.tokens());
        assertEquals(6, stats.calls());
        double[] h = stats.xtx();
        for (int i = 0; i < in; i++)
            for (int j = 0; j < in; j++) {
                double s = 0;
                for (float[] x : xs) for (int r = 0; r < rows; r++) s += (double) x[r * in + i] * x[r * in + j];
                assertEquals(s, h[i * in + j], 1e-9 * Math.max(1, Math.abs(s)));
            }
        float[] am = stats.absMax();
        float[] am1 = stats.absMaxOverSteps(1, 2);
        for (int j = 0; j < in; j++) {
            float all = 0, s1 = 0;
            for (int i = 0; i < xs.length; i++)
                for (int r = 0; r < rows; r++) {
                    float v = Math.abs(xs[i][r * in + j]);
                    all = Math.max(all, v);
                    if (i / 2 == 1) s1 = Math.max(s1, v);
                }
            assertEquals(all, am[j]);
            assertEquals(s1, am1[j]);
        }
        assertEquals(10, stats.sampleCount());
        float[] smp = stats.samples();
        for (int t = 0; t < 10; t++) { // every sample is one of the recorded tokens
            boolean found = false;
            for (float[] x : xs) for (int r = 0; r < rows && !found; r++)
                found = java.util.Arrays.equals(x, r * in, r * in + in, smp, t * in, t * in + in);
            assertTrue(found, "sample " + t);
        }
    }

    @Test
    void tokenStrideKeepsEveryNthTokenAcrossCalls() {
        int in = 5, rows = 7, calls = 3, stride = 3;
        FakeRegistry m = new FakeRegistry().put("a", FakeRegistry.linear(1, 2, in));
        float[][] xs = new float[calls][];
        for (int i = 0; i < calls; i++) xs[i] = Tensor.randn(200 + i, rows, in).data();
        Calibration cal = Calibration.of(0, tag -> {
            for (float[] x : xs) m.linears().get("a").forward(x, 0, rows, new float[rows * 2], 0);
        });
        var st = Recorder.record(m, List.of("a"), cal, StatsRequest.hessian(stride)).get("a");
        assertEquals(7, st.xtxTokens()); // global token indices 0, 3, …, 18 of 21
        double[] h = st.xtx();
        for (int i = 0; i < in; i++)
            for (int j = 0; j < in; j++) {
                double s = 0;
                for (int g = 0; g < calls * rows; g += stride) s += (double) xs[g / rows][(g % rows) * in + i] * xs[g / rows][(g % rows) * in + j];
                assertEquals(s, h[i * in + j], 1e-9 * Math.max(1, Math.abs(s)));
            }
    }

    @Test
    void layersAreRestoredWhenCalibrationFails() {
        FakeRegistry m = new FakeRegistry().put("a", FakeRegistry.linear(1, 5, 4));
        Linear orig = m.linears().get("a");
        assertThrows(IllegalStateException.class, () -> Recorder.record(m, List.of("a"),
                Calibration.of(1, tag -> { throw new IllegalStateException("boom"); }), StatsRequest.absMaxOnly()));
        assertSame(orig, m.linears().get("a"));
    }

    @Test
    void emptyCalibrationIsAnError() {
        FakeRegistry m = new FakeRegistry().put("a", FakeRegistry.linear(1, 5, 4));
        var e = assertThrows(io.vdq.VdqException.ConfigException.class,
                () -> Recorder.record(m, List.of("a"), Calibration.none(), StatsRequest.absMaxOnly()));
        assertTrue(e.getMessage().contains("'a'"));
    }
}
