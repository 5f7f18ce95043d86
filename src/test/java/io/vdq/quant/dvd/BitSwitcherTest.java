package io.vdq.quant.dvd;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ConfigException;
import io.vdq.VdqException.ShapeException;
import java.util.List;
import org.junit.jupiter.api.Test;

class BitSwitcherTest {
    /**
     * Runs a switcher over synthetic outputs F_t = c_t·v with c_t = c_{t−1}·(1 + l[t]), so that
     * ‖F_t − F_{t−1}‖₁/‖F_{t−1}‖₁ = l[t] (l[0] is unused: step 0 has no predecessor).
     */
    static int[] run(BitSwitcher s, double[] l) {
        float[] v = {1f, -2f, 0.5f, 3f};
        s.reset(l.length);
        double c = 1;
        float[] f = new float[v.length];
        for (int t = 0; t < l.length; t++) {
            s.nextBits();
            if (t > 0) c *= 1 + l[t];
            for (int i = 0; i < v.length; i++) f[i] = (float) (c * v[i]);
            s.observe(f, 0, f.length);
        }
        return s.schedule();
    }

    static int[] parse(String s) { return s.chars().map(ch -> ch - '0').toArray(); }

    @Test
    void reproducesThePapersFiftyStepPatternFromASyntheticTrace() {
        // the paper's schedule figure: 0–3 high; 4, 6, 8 low singly; pairs 10–11 … 34–35; 37, 39, 41, 43 single; 44–49 high.
        String expected = "8888" + "484848" + "448".repeat(9) + "4848484" + "888888";
        assertEquals(50, expected.length());
        // δ = 0.1. Step i sees the sum of l[t] from the last reset step t_p to i − 1.
        double[] l = new double[50];
        for (int t = 1; t < 50; t++) {
            if (t <= 2) l[t] = 0.3;          // steps 2 and 3 high
            else if (t <= 8) l[t] = 0.06;    // one low step then the sum 0.12 ≥ δ: L H L H …
            else if (t <= 35) l[t] = 0.04;   // 0.04, 0.08 low, 0.12 high: L L H …
            else if (t <= 42) l[t] = 0.06;
            else l[t] = 0.3;                 // steps 44–49 high
        }
        int[] got = run(new BitSwitcher(BitSwitcher.Options.of(0.1)), l);
        assertEquals(expected, BitSwitcher.format(got));
        assertEquals(6.0, BitSwitcher.meanBits(got), 0.0);
    }

    @Test
    void deltaZeroRunsEveryStepHighAndInfinityEveryStepLowAfterWarmUp() {
        double[] l = new double[20];
        java.util.Arrays.fill(l, 0.01);
        assertEquals("8".repeat(20), BitSwitcher.format(run(new BitSwitcher(BitSwitcher.Options.of(0)), l)));
        // 20 steps: the paper's ends scale to round(4·20/50) = 2 first and round(6·20/50) = 2 last steps high
        assertEquals("88" + "4".repeat(16) + "88",
                BitSwitcher.format(run(new BitSwitcher(BitSwitcher.Options.of(Double.POSITIVE_INFINITY)), l)));
        assertEquals("88" + "4".repeat(18), // the pre-#25 knobs: first 2, last 0
                BitSwitcher.format(run(new BitSwitcher(new BitSwitcher.Options(Double.POSITIVE_INFINITY, 4, 8, 2, 0)), l)));
    }

    @Test
    void warmUpLastsUntilTwoOutputsExistEvenWithoutForcedSteps() {
        double[] l = {0, 0.01, 0.01, 0.01, 0.01, 0.01};
        BitSwitcher s = new BitSwitcher(new BitSwitcher.Options(1.0, 4, 8, 0, 0));
        assertEquals("884444", BitSwitcher.format(run(s, l)));
    }

    @Test
    void forcedFirstAndLastStepsRunHighAndResetTheAccumulator() {
        // δ = 0.1, constant l = 0.04: free-running pattern after a reset is L L H.
        double[] l = new double[16];
        java.util.Arrays.fill(l, 0.04);
        BitSwitcher s = new BitSwitcher(new BitSwitcher.Options(0.1, 4, 8, 4, 3));
        // steps 0–3 forced; 4, 5 low (0.04, 0.08); 6 high; 7, 8 low; 9 high; 10, 11 low; 12 high; 13–15 forced.
        assertEquals("8888" + "448448448" + "888", BitSwitcher.format(run(s, l)));
    }

    @Test
    void stateResetsBetweenRunsAndTheTraceIsRecorded() {
        double[] l = {0, 0.5, 0.01, 0.01};
        BitSwitcher s = new BitSwitcher(BitSwitcher.Options.of(0.1));
        int[] first = run(s, l);
        assertArrayEquals(first, run(s, l));
        double[] trace = s.l1Trace();
        assertTrue(Double.isNaN(trace[0]));
        for (int t = 1; t < l.length; t++) assertEquals(l[t], trace[t], 1e-6, "L1 at step " + t);
    }

    @Test
    void misuseIsRejectedWithAMessage() {
        BitSwitcher s = new BitSwitcher(BitSwitcher.Options.of(0.1));
        s.reset(3);
        assertThrows(IllegalStateException.class, () -> s.observe(new float[2], 0, 2));
        s.nextBits();
        assertThrows(IllegalStateException.class, s::nextBits);
        s.observe(new float[2], 0, 2);
        s.nextBits();
        assertThrows(ShapeException.class, () -> s.observe(new float[3], 0, 3));
        assertThrows(ConfigException.class, () -> BitSwitcher.Options.of(-1));
        assertThrows(ConfigException.class, () -> new BitSwitcher.Options(0.1, 8, 4, 2, 0));
    }

    @Test
    void autoDeltaFindsTheThresholdOfAnAnalyticSchedule() {
        // mean(δ) = 4 + 4·exp(−δ/0.1): 6 bits at δ = 0.1·ln 2.
        AutoDelta.Result r = AutoDelta.find(6.0, d -> {
            int n = 1000, high = (int) Math.round(n * Math.exp(-d / 0.1));
            int[] s = new int[n];
            for (int i = 0; i < n; i++) s[i] = i < high ? 8 : 4;
            return List.of(s);
        });
        assertTrue(r.withinTolerance());
        assertEquals(6.0, r.meanBits(), 0.25);
        assertEquals(0.1 * Math.log(2), r.delta(), 0.1 * (Math.log(4 / 1.75) - Math.log(2)) + 1e-12);
        assertEquals(r.probes().get(r.probes().size() - 1).delta(), r.delta(), 0.0);
    }

    @Test
    void autoDeltaHitsItsTargetOnSyntheticTraces() {
        // Two "prompts": L1 large at both ends, small in the middle, as in the paper's figure.
        double[][] traces = new double[2][50];
        for (int p = 0; p < 2; p++) for (int t = 1; t < 50; t++) {
            double x = t / 49.0;
            traces[p][t] = (p == 0 ? 0.03 : 0.045) + 0.4 * Math.pow(2 * x - 1, 8);
        }
        BitSwitcher sw = new BitSwitcher(BitSwitcher.Options.of(0.1));
        for (double target : new double[]{5.0, 6.0, 7.0}) {
            AutoDelta.Result r = AutoDelta.find(target, d -> {
                BitSwitcher s = new BitSwitcher(sw.options().withDelta(d));
                return List.of(run(s, traces[0]), run(s, traces[1]));
            });
            assertTrue(r.withinTolerance(), "target " + target + ": " + r);
            // Independent check: rerun both prompts at the chosen δ.
            BitSwitcher s = new BitSwitcher(sw.options().withDelta(r.delta()));
            double mean = (BitSwitcher.meanBits(run(s, traces[0])) + BitSwitcher.meanBits(run(s, traces[1]))) / 2;
            assertEquals(target, mean, 0.25, "target " + target);
        }
    }

    @Test
    void autoDeltaRejectsUnreachableTargets() {
        double[] l = new double[10];
        java.util.Arrays.fill(l, 0.01);
        // paper ends at 10 steps: steps 0, 1 (warm-up) and 9 (round(6·10/50) = 1) high: (3·8 + 7·4)/10 = 5.2
        ConfigException e = assertThrows(ConfigException.class, () -> AutoDelta.find(4.0, d ->
                List.of(run(new BitSwitcher(BitSwitcher.Options.of(d)), l))));
        assertTrue(e.getMessage().contains("5.2"), e.getMessage());
        // first 2, last 0: (2·8 + 8·4)/10 = 4.8
        e = assertThrows(ConfigException.class, () -> AutoDelta.find(4.0, d ->
                List.of(run(new BitSwitcher(new BitSwitcher.Options(d, 4, 8, 2, 0)), l))));
        assertTrue(e.getMessage().contains("4.8"), e.getMessage());
    }

    @Test
    void thePapersForcedEndsScaleWithTheStepCount() {
        // round(4N/50) first and round(6N/50) last, half up, worked by hand
        int[][] expected = {{6, 0, 1}, {10, 1, 1}, {20, 2, 2}, {25, 2, 3}, {50, 4, 6}, {100, 8, 12}};
        BitSwitcher.Options o = BitSwitcher.Options.of(0.1);
        for (int[] e : expected) {
            assertEquals(e[1], o.firstForced(e[0]), "first of " + e[0]);
            assertEquals(e[2], o.lastForced(e[0]), "last of " + e[0]);
        }
        assertEquals(3, new BitSwitcher.Options(0.1, 4, 8, 3, 5).firstForced(50));
        assertEquals(5, new BitSwitcher.Options(0.1, 4, 8, 3, 5).lastForced(10));
    }

    @Test
    void tenStepScheduleWithThePapersEndsWorkedByHand() {
        // δ = 0.1, l = 0.04 each step. Steps 0, 1 warm-up (acc reset at 1); acc 0.04, 0.08 → steps 2, 3 low;
        // 0.12 → step 4 high (reset); 5, 6 low; 7 high; 8 low; step 9 forced (round(6·10/50) = 1): 8844844848.
        double[] l = new double[10];
        java.util.Arrays.fill(l, 0.04);
        int[] paper = run(new BitSwitcher(BitSwitcher.Options.of(0.1)), l);
        assertEquals("8844844848", BitSwitcher.format(paper));
        assertEquals(6.0, BitSwitcher.meanBits(paper), 0.0);
        // the pre-#25 knobs (2, 0) leave the last step to the rule: 8844844844, 5.6 bits
        int[] old = run(new BitSwitcher(new BitSwitcher.Options(0.1, 4, 8, 2, 0)), l);
        assertEquals("8844844844", BitSwitcher.format(old));
        assertEquals(5.6, BitSwitcher.meanBits(old), 1e-12);
    }

    @Test
    void autoDeltaMeetsTheMeanWithThePapersEndsHigh() {
        // two 10-step "prompts" with flat L1 traces; every run keeps steps 0, 1, 9 high; auto-δ still lands on 6 ± 0.25
        double[][] traces = {new double[10], new double[10]};
        java.util.Arrays.fill(traces[0], 0.03);
        java.util.Arrays.fill(traces[1], 0.05);
        for (double target : new double[]{5.5, 6.0, 7.0}) {
            AutoDelta.Result r = AutoDelta.find(target, d -> List.of(run(new BitSwitcher(BitSwitcher.Options.of(d)), traces[0]),
                    run(new BitSwitcher(BitSwitcher.Options.of(d)), traces[1])));
            assertTrue(r.withinTolerance(), "target " + target + ": " + r);
            double mean = 0;
            for (double[] t : traces) {
                int[] s = run(new BitSwitcher(BitSwitcher.Options.of(r.delta())), t);
                assertEquals(8, s[0]);
                assertEquals(8, s[1]);
                assertEquals(8, s[9], "the last step of 10 is forced high");
                mean += BitSwitcher.meanBits(s) / 2;
            }
            assertEquals(target, mean, 0.25, "target " + target);
        }
    }
}
