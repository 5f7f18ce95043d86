package io.vdq.scale;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ConfigException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HeavyTailedTest {
    /** P(|T| > t) for Student-t(ν) by Simpson integration of the density Γ((ν+1)/2)/(√(νπ)Γ(ν/2))·(1 + x²/ν)^(−(ν+1)/2). */
    static double tTail(double nu, double t) {
        double c = Math.exp(lgamma((nu + 1) / 2) - lgamma(nu / 2)) / Math.sqrt(nu * Math.PI);
        int n = 200_000;
        double h = t / n, s = 0;
        for (int i = 0; i <= n; i++) {
            double x = i * h, f = c * Math.pow(1 + x * x / nu, -(nu + 1) / 2);
            s += (i == 0 || i == n) ? f : (i % 2 == 1 ? 4 * f : 2 * f);
        }
        return 1 - 2 * s * h / 3;
    }

    /** Lanczos log-gamma (g = 7, 9 terms). */
    static double lgamma(double x) {
        double[] g = {0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
                12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};
        x -= 1;
        double a = g[0], t = x + 7.5;
        for (int i = 1; i < 9; i++) a += g[i] / (x + i);
        return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
    }

    @Test
    void studentTTailsMatchTheDensityAndVarianceIsOne() {
        int n = 400_000;
        double nu = 4;
        float[] v = new float[n];
        new HeavyTailed(HeavyTailed.Kind.STUDENT_T, nu).fill(new SplittableRandom(3), v, 0, n, 1.0);
        double norm = Math.sqrt(nu / (nu - 2)); // the draws are divided by the t's standard deviation
        for (double t : new double[]{1, 3, 6}) {
            long count = 0;
            for (float x : v) if (Math.abs(x) * norm > t) count++;
            double p = tTail(nu, t), se = Math.sqrt(p * (1 - p) / n);
            assertEquals(p, (double) count / n, 5 * se, "P(|T| > " + t + ")");
        }
        double gs = 0;
        float[] g = new float[n];
        new HeavyTailed(HeavyTailed.Kind.GAUSSIAN, 0).fill(new SplittableRandom(4), g, 0, n, 2.0);
        for (float x : g) gs += (double) x * x;
        assertEquals(4.0, gs / n, 4.0 * 5 * Math.sqrt(2.0 / n), "Gaussian variance scale²");
        long beyond2 = 0;
        for (float x : g) if (Math.abs(x) > 2 * 1.959964) beyond2++;
        assertEquals(0.05, (double) beyond2 / n, 5 * Math.sqrt(0.05 * 0.95 / n), "Gaussian two-sided 5 % quantile");
    }

    @Test
    void tailFormulaAgreesWithKnownValues() {
        // t(1) is Cauchy: P(|T| > 1) = 1/2; t(2): P(|T| > t) = 1 − t/√(2 + t²)
        assertEquals(0.5, tTail(1, 1), 1e-9);
        assertEquals(1 - 3 / Math.sqrt(11), tTail(2, 3), 1e-9);
    }

    @Test
    void parsesNamesAndRejectsBadOnes() {
        assertEquals(HeavyTailed.Kind.STUDENT_T, HeavyTailed.parse("student-t", 3).kind());
        assertEquals("student-t(3)", HeavyTailed.parse("student-t", 3).toString());
        assertEquals(HeavyTailed.Kind.GAUSSIAN, HeavyTailed.parse("Gaussian", 3).kind());
        assertThrows(ConfigException.class, () -> HeavyTailed.parse("cauchy", 1));
        assertThrows(ConfigException.class, () -> HeavyTailed.parse("student-t", 0));
    }
}
