package io.vdq.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.VdqException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SsimTest {
    private static float[] random(long seed, int n) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = r.nextFloat();
        return a;
    }

    @Test
    void identicalPlanesGiveOne() {
        float[] a = random(1, 3 * 16 * 20);
        assertEquals(1.0, Ssim.mean(a, a.clone(), 3, 16, 20, Ssim.range(a)), 1e-12);
        float[] small = random(2, 8 * 8); // smaller than the 11×11 window
        assertEquals(1.0, Ssim.plane(small, 0, small, 0, 8, 8, 1.0), 1e-12);
    }

    @Test
    void constantShiftOfAConstantPlaneIsTheLuminanceTerm() {
        // x ≡ a, y ≡ a + c: every local variance and covariance is 0, so the contrast-structure factor is C2/C2 = 1
        // and SSIM = (2·a·(a+c) + C1) / (a² + (a+c)² + C1) with C1 = (0.01·L)².
        double a = 0.3, c = 0.2, L = 1.0, c1 = 1e-4;
        float[] x = new float[12 * 9], y = new float[12 * 9];
        java.util.Arrays.fill(x, (float) a);
        java.util.Arrays.fill(y, (float) (a + c));
        double expected = (2 * a * (a + c) + c1) / (a * a + (a + c) * (a + c) + c1); // 0.30010/0.34010 = 0.882388…
        assertEquals(0.8823875, expected, 1e-6);
        assertEquals(expected, Ssim.plane(x, 0, y, 0, 12, 9, L), 1e-6);
    }

    @Test
    void twoPixelPlaneMatchesAHandComputedWindow() {
        // 1×2 plane: each pixel's window is cut to the two pixels, weights 1 (itself) and g = exp(−1/(2·1.5²)),
        // renormalised. ref = [0, 1], cand = [0, 0.5], L = 1.
        double g = Math.exp(-1 / 4.5);
        float[] ref = {0f, 1f}, cand = {0f, 0.5f};
        double c1 = 1e-4, c2 = 9e-4, total = 0;
        for (int p = 0; p < 2; p++) {
            double w0 = p == 0 ? 1 : g, w1 = p == 0 ? g : 1, s = w0 + w1;
            double p0 = w0 / s, p1 = w1 / s; // weights of pixel 0 and pixel 1
            double mx = p1 * 1.0, my = p1 * 0.5;
            double vx = p1 * 1.0 - mx * mx, vy = p1 * 0.25 - my * my, cxy = p1 * 0.5 - mx * my;
            total += (2 * mx * my + c1) * (2 * cxy + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2));
            assertTrue(p0 > 0);
        }
        assertEquals(total / 2, Ssim.plane(ref, 0, cand, 0, 1, 2, 1.0), 1e-9);
    }

    @Test
    void shiftedTexturedPlaneLosesOnlyLuminanceAndIsSymmetric() {
        float[] x = random(3, 16 * 16), y = x.clone();
        for (int i = 0; i < y.length; i++) y[i] += 0.1f;
        double s = Ssim.plane(x, 0, y, 0, 16, 16, 1.0);
        // contrast-structure factor is 1; the luminance factor is at least its value at the darkest local mean (≥ 0)
        double lowest = (2 * 0.0 * 0.1 + 1e-4) / (0.0 + 0.01 + 1e-4);
        assertTrue(s < 1 && s > lowest, "ssim " + s);
        assertEquals(s, Ssim.plane(y, 0, x, 0, 16, 16, 1.0), 1e-12);
        float[] noise = random(4, 16 * 16);
        assertTrue(Ssim.plane(x, 0, noise, 0, 16, 16, 1.0) < 0.2, "independent noise is dissimilar");
    }

    @Test
    void badInputsAreRejected() {
        float[] a = new float[16];
        assertThrows(VdqException.ShapeException.class, () -> Ssim.plane(a, 0, a, 0, 4, 4, 0));
        assertThrows(VdqException.ShapeException.class, () -> Ssim.mean(a, new float[15], 1, 4, 4, 1));
        assertEquals(0.0, Ssim.range(a));
    }
}
