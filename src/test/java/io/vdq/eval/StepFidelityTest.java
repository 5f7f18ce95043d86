package io.vdq.eval;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ConfigException;
import io.vdq.VdqException.ShapeException;
import org.junit.jupiter.api.Test;

class StepFidelityTest {
    @Test
    void perStepAndOverallSnrAreRatiosOfSummedEnergies() {
        StepFidelity f = new StepFidelity(3);
        // step 0, two prompts: ‖ref‖² = 9 + 16 = 25 and 4, ‖err‖² = 1 and 1 → 10·log10(29 / 2)
        f.add(0, new float[]{3, 4}, new float[]{3, 5});
        f.add(0, new float[]{2, 0}, new float[]{1, 0});
        // step 1: ‖ref‖² = 100, ‖err‖² = 0.25 + 0.25 → 10·log10(200)
        f.add(1, new float[]{10, 0}, new float[]{9.5f, 0.5f});
        assertEquals(10 * Math.log10(29.0 / 2), f.snrDb(0), 1e-12);
        assertEquals(10 * Math.log10(200), f.snrDb(1), 1e-12);
        assertTrue(Double.isNaN(f.snrDb(2)), "nothing added at step 2");
        assertEquals(2, f.count(0));
        assertEquals(10 * Math.log10(129 / 2.5), f.snrDb(), 1e-12, "overall: (25 + 4 + 100) / (1 + 1 + 0.5)");
        assertArrayEquals(new double[]{f.snrDb(0), f.snrDb(1), Double.NaN}, f.perStepDb());
    }

    @Test
    void identicalPredictionsGiveInfinityAndBadInputIsNamed() {
        StepFidelity f = new StepFidelity(1);
        f.add(0, new float[]{1, -2}, new float[]{1, -2});
        assertEquals(Double.POSITIVE_INFINITY, f.snrDb());
        var e = assertThrows(ShapeException.class, () -> f.add(0, new float[]{1, 2}, new float[]{1}));
        assertTrue(e.getMessage().contains("step 0") && e.getMessage().contains("candidate 1"), e.getMessage());
        assertThrows(ShapeException.class, () -> f.add(1, new float[]{1, 2}, new float[]{1, 2}));
        assertThrows(ShapeException.class, () -> f.add(0, new float[]{1, 2, 3}, new float[]{1, 2, 3}), "size differs from earlier ones");
        assertThrows(ConfigException.class, () -> new StepFidelity(0));
    }
}
