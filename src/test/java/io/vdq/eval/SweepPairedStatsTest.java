package io.vdq.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.VdqException.ShapeException;
import org.junit.jupiter.api.Test;

/**
 * {@link PairedStats} against values worked by hand and checked with Python's {@code statistics} module
 * ({@code src/test/python/paired_stats_expected.py}), not with the code under test. Named Sweep* so the sweep's
 * tests run together.
 */
class SweepPairedStatsTest {
    @Test
    void meanAndSampleSdOfAKnownSample() {
        // Σx = 40 over 8 values → mean 5; Σ(x − 5)² = 9+1+1+1+0+0+4+16 = 32; sample sd = √(32/7)
        double[] v = {2, 4, 4, 4, 5, 5, 7, 9};
        assertEquals(5.0, PairedStats.mean(v), 1e-15);
        assertEquals(Math.sqrt(32.0 / 7), PairedStats.sd(v), 1e-15);
        assertEquals(2.138089935299395, PairedStats.sd(v), 1e-12); // statistics.stdev
    }

    @Test
    void pairedDifferenceSignsAndT() {
        // differences 1.2, −0.3, 1.0, 1.2, 0.5: mean 0.72; squared deviations 0.2304 + 1.0404 + 0.0784 + 0.2304 + 0.0484
        // = 1.628, sd = √(1.628/4) = 0.63797; t = 0.72 / (0.63797/√5) = 2.5236
        double[] cand = {31.2, 29.8, 30.5, 32.0, 30.1}, base = {30.0, 30.1, 29.5, 30.8, 29.6};
        PairedStats.Paired p = PairedStats.paired(cand, base, true);
        assertEquals(5, p.n());
        assertEquals(0.72, p.mean(), 1e-12);
        assertEquals(Math.sqrt(1.628 / 4), p.sd(), 1e-12);
        assertEquals(0.6379655163094633, p.sd(), 1e-12);
        assertEquals(2.5235986940380117, p.t(), 1e-9);
        assertEquals(4, p.ahead());
        assertEquals(1, p.behind());
        // lower is better (e.g. VBench-lite |Δ|): the same differences put the candidate ahead once
        PairedStats.Paired q = PairedStats.paired(cand, base, false);
        assertEquals(1, q.ahead());
        assertEquals(4, q.behind());
        assertEquals(p.t(), q.t(), 0);
    }

    @Test
    void tiesAndDegenerateCases() {
        PairedStats.Paired same = PairedStats.paired(new double[]{1, 2}, new double[]{1, 2}, true);
        assertEquals(0, same.ahead());
        assertEquals(0, same.behind());
        assertTrue(Double.isNaN(same.t()), "no difference at all: t undefined");
        PairedStats.Paired shifted = PairedStats.paired(new double[]{2, 3}, new double[]{1, 2}, true);
        assertEquals(Double.POSITIVE_INFINITY, shifted.t());
        PairedStats.Paired one = PairedStats.paired(new double[]{2}, new double[]{1}, true);
        assertEquals(1.0, one.mean());
        assertTrue(Double.isNaN(one.sd()) && Double.isNaN(one.t()), "one pair has no spread");
        assertTrue(Double.isNaN(PairedStats.mean(new double[0])));
        assertThrows(ShapeException.class, () -> PairedStats.paired(new double[]{1}, new double[]{1, 2}, true));
    }
}
