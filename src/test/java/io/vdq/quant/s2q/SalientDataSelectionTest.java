package io.vdq.quant.s2q;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.quant.s2q.SalientDataSelection.Norm;
import io.vdq.quant.s2q.SalientDataSelection.Selector;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SalientDataSelectionTest {
    /** X (n×d) with orthogonal columns of norms c: XᵀX = diag(c²). Columns are Walsh functions of length n. */
    private static float[] orthogonalColumns(int n, double[] c) {
        int d = c.length;
        float[] x = new float[n * d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
                x[i * d + j] = (float) (c[j] / Math.sqrt(n) * (Integer.bitCount(i & (j + 1)) % 2 == 0 ? 1 : -1));
        return x;
    }

    @Test
    void gramNormsMatchKnownSpectrum() {
        double[] c = {1.0, 3.0, 2.0, 0.5};
        float[] x = orthogonalColumns(16, c);
        assertEquals(9.0, SalientDataSelection.gramNorm(x, 16, 4, Norm.SPECTRAL), 1e-4);
        assertEquals(Math.sqrt(1 + 81 + 16 + 0.0625), SalientDataSelection.gramNorm(x, 16, 4, Norm.FROBENIUS), 1e-4);
    }

    @Test
    void diffusionSalienceIsRelativeSquaredChange() {
        assertEquals((1 + 4) / (9.0 + 16.0), SalientDataSelection.diffusionSalience(new float[]{3, 4}, new float[]{2, 6}), 1e-12);
    }

    private static List<Candidate> pool(int prompts, int steps) {
        List<Candidate> p = new ArrayList<>();
        for (int pr = 0; pr < prompts; pr++)
            for (int s = 0; s < steps; s++)
                p.add(new Candidate(pr, s, 1000.0 * (steps - s) / steps, 1.0 / (1 + s) + 0.01 * pr, 10.0 - s + pr));
        return p;
    }

    @Test
    void sdsKeepsTheTopProductsOfNormalisedScores() {
        List<Candidate> pool = pool(3, 5);
        double[] s = SalientDataSelection.scores(pool);
        // prompt 2, step 0 has the largest of both raw scores → normalised product exactly 1
        assertEquals(1.0, s[2 * 5], 1e-12);
        // prompt 0, last step has the smallest of both → 0
        assertEquals(0.0, s[4], 1e-12);
        List<Candidate> top = SalientDataSelection.select(pool, Selector.SDS, 3, 0);
        assertEquals(3, top.size());
        for (Candidate c : top) assertEquals(0, c.step(), "high-noise first steps win here: " + c);
    }

    @Test
    void ablationSelectorsRespectTheirPromptSets() {
        List<Candidate> pool = pool(10, 20);
        assertTrue(SalientDataSelection.select(pool, Selector.ATOP, 8, 0).stream().allMatch(c -> c.prompt() == 0));
        List<Candidate> atfp = SalientDataSelection.select(pool, Selector.ATFP, 10, 0);
        assertEquals(10, atfp.size());
        assertEquals(5, atfp.stream().mapToInt(Candidate::prompt).distinct().count());
        List<Candidate> rtfp = SalientDataSelection.select(pool, Selector.RTFP, 12, 7);
        assertTrue(rtfp.stream().allMatch(c -> c.prompt() < 5));
        assertEquals(rtfp, SalientDataSelection.select(pool, Selector.RTFP, 12, 7), "seeded");
        List<Candidate> uni = SalientDataSelection.select(pool, Selector.UNIFORM, 20, 0);
        assertEquals(20, uni.size());
        assertEquals(10, uni.stream().mapToInt(Candidate::prompt).distinct().count());
        assertTrue(uni.stream().anyMatch(c -> c.step() == 0) && uni.stream().anyMatch(c -> c.step() == 19));
    }
}
