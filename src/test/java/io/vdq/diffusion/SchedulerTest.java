package io.vdq.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vdq.VdqException.ConfigException;
import java.io.InputStream;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Sigma and timestep tables against {@code schedules.json} (written by {@code src/test/python/wan_reference.py}
 * from diffusers' formulas), and the solvers against exact solutions of linear flows.
 */
class SchedulerTest {

    @Test
    void tablesMatchTheNumpyReference() throws Exception {
        JsonNode all;
        try (InputStream in = getClass().getResourceAsStream("/wan/schedules.json")) {
            all = new ObjectMapper().readTree(in);
        }
        int checked = 0;
        for (JsonNode c : all) {
            String kind = c.get("sampler").asText();
            int steps = c.get("steps").asInt();
            double shift = c.get("shift").asDouble();
            Scheduler s = Scheduler.create(kind, steps, shift);
            String what = kind + " steps=" + steps + " shift=" + shift;
            assertEquals(steps, s.steps(), what);
            for (int i = 0; i <= steps; i++)
                assertEquals(c.get("sigmas").get(i).asDouble(), s.sigma(i), 1e-7, what + " sigma " + i);
            for (int i = 0; i < steps; i++) {
                double expected = c.get("timesteps").get(i).asDouble();
                // UniPC timesteps are whole numbers (diffusers' int64 cast): they must agree exactly
                assertEquals(expected, s.timestep(i), kind.equals("unipc") ? 0 : 1e-4, what + " timestep " + i);
            }
            checked++;
        }
        assertEquals(40, checked);
    }

    @Test
    void wanDefaultUniPCScheduleStartsAt999AndEndsAtZero() {
        Scheduler s = Scheduler.create("unipc", 50, 3.0);
        // unshifted flow sigmas are 1 − linspace(1, 1/1000, 51) read backwards without the σ = 0 end:
        // σ_i = (50 − i)·0.999/50, then shifted by 3σ/(1 + 2σ)
        for (int i = 0; i < 50; i++) {
            double u = (50 - i) * 0.999 / 50;
            assertEquals(3 * u / (1 + 2 * u), s.sigma(i), 1e-7, "sigma " + i);
            assertEquals(Math.floor(1000 * 3 * u / (1 + 2 * u)), s.timestep(i), 1e-9, "timestep " + i);
        }
        assertEquals(999f, s.timestep(0));
        assertEquals(0f, s.sigma(50));
    }

    /**
     * Along a straight flow x_σ = (1 − σ)·x0 + σ·ε the velocity ε − x0 is constant, so every step of a consistent
     * solver lands exactly on the path: the final sample is x0.
     */
    @Test
    void solversFollowAStraightFlowExactly() {
        SplittableRandom r = new SplittableRandom(4);
        int n = 64;
        float[] x0 = new float[n], eps = new float[n];
        for (int i = 0; i < n; i++) { x0[i] = (float) r.nextGaussian(); eps[i] = (float) r.nextGaussian(); }
        for (String kind : new String[]{"euler", "unipc"})
            for (int steps : new int[]{1, 3, 8}) {
                Scheduler s = Scheduler.create(kind, steps, 5.0);
                float[] x = new float[n], v = new float[n];
                for (int i = 0; i < n; i++) { x[i] = (1 - s.sigma(0)) * x0[i] + s.sigma(0) * eps[i]; v[i] = eps[i] - x0[i]; }
                for (int k = 0; k < steps; k++) {
                    s.step(k, v, x);
                    for (int i = 0; i < n; i++)
                        assertEquals((1 - s.sigma(k + 1)) * x0[i] + s.sigma(k + 1) * eps[i], x[i], 2e-5,
                                kind + " steps=" + steps + " after step " + k);
                }
            }
    }

    /**
     * Gaussian data x0 ~ N(μ, s²) gives the exact flow velocity in closed form and an exact ODE solution
     * (x0 = μ + s·(x − (1−σ)μ)/sd_σ, sd_σ² = (1−σ)²s² + σ²), so the solvers' convergence order can be measured:
     * Euler halves its error when the steps double; UniPC-2 (with corrector) shrinks it by far more.
     */
    @Test
    void uniPCConvergesWithHigherOrderThanEulerOnAGaussianFlow() {
        double mu = 2.0, sd = 0.5;
        float[] start = {-1.5f, -0.3f, 0f, 0.7f, 2f};
        double[] eu = new double[4], un = new double[4];
        int[] steps = {5, 10, 20, 40};
        for (int k = 0; k < steps.length; k++) {
            eu[k] = gaussianFlowError("euler", steps[k], start, mu, sd);
            un[k] = gaussianFlowError("unipc", steps[k], start, mu, sd);
        }
        for (int k = 1; k < steps.length; k++) {
            double ratio = eu[k - 1] / eu[k];
            assertEquals(2.0, ratio, 0.25, "Euler is first order: error ratio " + ratio + " at " + steps[k] + " steps");
        }
        assertTrue(un[2] / un[3] > 4, "UniPC error ratio 20→40 steps " + un[2] / un[3] + " shows order > 2");
        assertTrue(un[3] < 0.01 && un[3] < eu[3] / 10, "UniPC at 40 steps: " + un[3] + " vs Euler " + eu[3]);
    }

    private static double gaussianFlowError(String kind, int steps, float[] start, double mu, double sd) {
        Scheduler s = Scheduler.create(kind, steps, 3.0);
        float[] x = start.clone(), v = new float[x.length];
        for (int i = 0; i < steps; i++) {
            double sig = s.sigma(i), var = (1 - sig) * (1 - sig) * sd * sd + sig * sig;
            for (int j = 0; j < x.length; j++) {
                double r = x[j] - (1 - sig) * mu;
                double x0 = mu + (1 - sig) * sd * sd / var * r, eps = sig / var * r;
                v[j] = (float) (eps - x0);
            }
            s.step(i, v, x);
        }
        double sig0 = s.sigma(0), sd0 = Math.sqrt((1 - sig0) * (1 - sig0) * sd * sd + sig0 * sig0), err = 0;
        for (int j = 0; j < x.length; j++)
            err = Math.max(err, Math.abs(x[j] - (mu + sd * (start[j] - (1 - sig0) * mu) / sd0)));
        return err;
    }

    /** With one step (final σ = 0) UniPC returns its x0 prediction x − σ·v. */
    @Test
    void singleUniPCStepReturnsTheX0Prediction() {
        Scheduler s = Scheduler.create("unipc", 1, 3.0);
        float[] x = {1f, -2f, 0.5f}, v = {0.25f, 1f, -3f};
        float sig = s.sigma(0);
        float[] expected = new float[3];
        for (int i = 0; i < 3; i++) expected[i] = x[i] - sig * v[i];
        s.step(0, v, x);
        for (int i = 0; i < 3; i++) assertEquals(expected[i], x[i], 1e-6);
    }

    @Test
    void unknownSamplerAndBadArgumentsAreRefused() {
        assertThrows(ConfigException.class, () -> Scheduler.create("ddim", 10, 3));
        assertThrows(ConfigException.class, () -> Scheduler.create("euler", 0, 3));
        assertThrows(ConfigException.class, () -> Scheduler.create("unipc", 10, 0));
        Scheduler s = Scheduler.create("unipc", 3, 3);
        assertThrows(IllegalStateException.class, () -> s.step(1, new float[1], new float[1]));
    }
}
