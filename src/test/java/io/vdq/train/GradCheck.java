package io.vdq.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Finite-difference gradient checks. The scalar loss is L = Σ R_i·y_i (R fixed Gaussian, summed in double),
 * so the backward is seeded with dL/dy = R. Numerical gradients use the fourth-order central stencil
 * (8(f(+h) − f(−h)) − (f(+2h) − f(−2h))) / 12h, evaluated in double, with h a power of two so that the
 * float perturbations are exact; the layers themselves compute in float32. The error per tensor is
 * ‖g_analytic − g_numeric‖ / max(‖g_analytic‖, ‖g_numeric‖) over the checked elements.
 */
final class GradCheck {
    private GradCheck() {}

    /** A tensor to check: its values (perturbed in place) and, after the backward, its analytic gradient. */
    record Target(String name, float[] values, Supplier<float[]> analytic) {
        static Target of(Param p) { return new Target(p.name(), p.v(), p::g); }
    }

    static List<Target> targets(ParamSet ps) {
        List<Target> t = new ArrayList<>();
        for (Param p : ps.all()) t.add(Target.of(p));
        return t;
    }

    /**
     * Runs forward, then backward with a random dL/dy, then compares every target; returns the worst
     * relative error and asserts it is below {@code tol}. At most {@code maxSamples} elements per target.
     */
    static double check(String what, Supplier<float[]> forward, Consumer<float[]> backward, List<Target> targets,
                        ParamSet zero, int maxSamples, double tol, long seed) {
        float[] y0 = forward.get();
        SplittableRandom rng = new SplittableRandom(seed);
        float[] r = new float[y0.length];
        for (int i = 0; i < r.length; i++) r[i] = (float) (rng.nextDouble() * 2 - 1);
        if (zero != null) zero.zeroGrad();
        backward.accept(r.clone());
        List<float[]> analytic = new ArrayList<>();
        for (Target t : targets) analytic.add(t.analytic().get().clone());
        double worst = 0;
        StringBuilder report = new StringBuilder();
        for (int ti = 0; ti < targets.size(); ti++) {
            Target t = targets.get(ti);
            float[] v = t.values(), ga = analytic.get(ti);
            int[] idx = sample(v.length, maxSamples, rng);
            double num = 0, sa = 0, sn = 0;
            for (int i : idx) {
                float orig = v[i];
                double h = step(orig);
                double fp1 = loss(forward, r, v, i, orig, h), fm1 = loss(forward, r, v, i, orig, -h);
                double fp2 = loss(forward, r, v, i, orig, 2 * h), fm2 = loss(forward, r, v, i, orig, -2 * h);
                v[i] = orig;
                double gn = (8 * (fp1 - fm1) - (fp2 - fm2)) / (12 * h);
                num += (ga[i] - gn) * (ga[i] - gn);
                sa += (double) ga[i] * ga[i];
                sn += gn * gn;
            }
            double denom = Math.max(Math.sqrt(Math.max(sa, sn)), 1e-30);
            double rel = Math.sqrt(num) / denom;
            report.append(String.format("  %-50s rel %.2e  |g| %.3e  (%d of %d)%n", t.name(), rel, Math.sqrt(sa), idx.length, v.length));
            assertTrue(sa > 0, what + ": analytic gradient of " + t.name() + " is all zero; the check would be vacuous");
            worst = Math.max(worst, rel);
        }
        if (Boolean.getBoolean("gradcheck.verbose") || worst >= tol) System.out.print(what + "\n" + report);
        assertTrue(worst < tol, what + ": worst relative gradient error " + worst + " >= " + tol + "\n" + report);
        return worst;
    }

    private static double loss(Supplier<float[]> forward, float[] r, float[] v, int i, float orig, double h) {
        v[i] = (float) (orig + h);
        float[] y = forward.get();
        double s = 0;
        for (int j = 0; j < y.length; j++) s += (double) r[j] * y[j];
        return s;
    }

    /** A power of two near 2^-5·max(1, |v|): exact perturbations of a float value. */
    static double step(float v) {
        double a = Math.max(1.0, Math.abs(v));
        return Math.scalb(1.0, Math.getExponent(a) - Integer.getInteger("gradcheck.exp", 5));
    }

    private static int[] sample(int n, int max, SplittableRandom rng) {
        if (n <= max) { int[] a = new int[n]; for (int i = 0; i < n; i++) a[i] = i; return a; }
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        for (int i = 0; i < max; i++) { int j = i + rng.nextInt(n - i); int t = perm[i]; perm[i] = perm[j]; perm[j] = t; }
        return java.util.Arrays.copyOf(perm, max);
    }

    static float[] randn(long seed, int n, double scale) {
        float[] a = new float[n];
        io.vdq.tensor.Tensor.fillGaussian(new SplittableRandom(seed), a, 0, n);
        for (int i = 0; i < n; i++) a[i] *= (float) scale;
        return a;
    }

    /**
     * Gaussian values of the given scale; norm gains ({@code *norm*.weight}) around 1 instead, so that
     * q and k keep their size and attention is not flat (flat attention leaves q/k gradients so small
     * that float32 rounding of the loss dominates the finite differences).
     */
    static void randomize(ParamSet ps, long seed, double scale) {
        SplittableRandom rng = new SplittableRandom(seed);
        for (Param p : ps.all()) {
            float[] v = p.v();
            io.vdq.tensor.Tensor.fillGaussian(rng.split(), v, 0, v.length);
            boolean gain = p.name().contains("norm") && p.name().endsWith(".weight");
            for (int i = 0; i < v.length; i++) v[i] = gain ? 1f + 0.3f * v[i] : v[i] * (float) scale;
        }
    }
}
