package io.vdq.quant.dvd;

import io.vdq.VdqException.ConfigException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleFunction;

/**
 * Automatic choice of the δ-GBS threshold (answers the reviewers' complaint that δ must be hand-tuned): given a
 * target mean activation bit width (e.g. 6.0 for "W4A6") and a function that runs sampling on a few calibration
 * prompts with a given δ and returns the bit schedules, finds δ by bisection so the mean lands within
 * {@code tolerance} (±0.25 bits) of the target.
 *
 * <p>The mean bit width falls (not always strictly) as δ grows: δ = 0 runs every step high. The search first
 * multiplies an upper bracket by 4 from {@code start} (0.1, the doc's suggested start; beyond 1000 it tries +∞) until the mean is at or below the
 * target, then bisects between the last δ above the target and the first at or below it. It stops at the first δ
 * within tolerance, or after {@code maxEvaluations} runs with the closest δ seen. A target below what δ = +∞
 * reaches (warm-up and forced steps stay high) is a {@code ConfigException} naming the reachable range.
 */
public final class AutoDelta {
    private static final Logger LOG = System.getLogger(AutoDelta.class.getName());

    private AutoDelta() {}

    /** One evaluated δ. */
    public record Probe(double delta, double meanBits) {}

    /** The chosen δ, its mean bit width, and every probe in evaluation order. */
    public record Result(double delta, double meanBits, boolean withinTolerance, List<Probe> probes) {}

    /**
     * @param targetBits     target mean activation bits
     * @param tolerance      accepted |mean − target| (0.25)
     * @param start          first upper bracket (0.1)
     * @param maxEvaluations cap on sampling runs (e.g. 16)
     * @param run            δ → the bit schedules of the calibration runs (one int[] per prompt/run)
     */
    public static Result find(double targetBits, double tolerance, double start, int maxEvaluations,
                              DoubleFunction<List<int[]>> run) {
        if (!(tolerance > 0)) throw new ConfigException("auto-δ tolerance must be > 0, got " + tolerance);
        if (!(start > 0)) throw new ConfigException("auto-δ start must be > 0, got " + start);
        if (maxEvaluations < 2) throw new ConfigException("auto-δ maxEvaluations must be >= 2, got " + maxEvaluations);
        List<Probe> probes = new ArrayList<>();
        double lo = 0, hi = start;          // invariant once bracketed: mean(lo) > target >= mean(hi)
        Probe best = null;
        Probe p = probe(hi, run, probes);
        best = closer(best, p, targetBits);
        while (p.meanBits() > targetBits + tolerance && probes.size() < maxEvaluations) {
            if (hi > 1e3) { // an accumulated relative change of 1000× is beyond any real run: try δ = +∞
                Probe inf = probe(Double.POSITIVE_INFINITY, run, probes);
                if (inf.meanBits() > targetBits + tolerance)
                    throw new ConfigException("auto-δ target " + targetBits + " bits is below the reachable minimum "
                            + inf.meanBits() + " (warm-up and forced steps run high); choose a target >= " + inf.meanBits());
                best = closer(best, inf, targetBits);
                break;
            }
            lo = hi;
            hi *= 4;
            p = probe(hi, run, probes);
            best = closer(best, p, targetBits);
        }
        if (p.meanBits() > targetBits) lo = hi; // bracketing stopped early inside tolerance
        while (Math.abs(best.meanBits() - targetBits) > tolerance && probes.size() < maxEvaluations) {
            double mid = 0.5 * (lo + hi);
            Probe m = probe(mid, run, probes);
            best = closer(best, m, targetBits);
            if (m.meanBits() > targetBits) lo = mid; else hi = mid;
        }
        boolean ok = Math.abs(best.meanBits() - targetBits) <= tolerance;
        LOG.log(ok ? Level.INFO : Level.WARNING, "auto-δ: δ = {0} gives mean {1} bits (target {2} ± {3}) after {4} runs",
                best.delta(), best.meanBits(), targetBits, tolerance, probes.size());
        return new Result(best.delta(), best.meanBits(), ok, List.copyOf(probes));
    }

    /** The defaults: tolerance 0.25 bits, start 0.1, at most 16 runs. */
    public static Result find(double targetBits, DoubleFunction<List<int[]>> run) {
        return find(targetBits, 0.25, 0.1, 16, run);
    }

    private static Probe probe(double delta, DoubleFunction<List<int[]>> run, List<Probe> probes) {
        List<int[]> schedules = run.apply(delta);
        if (schedules == null || schedules.isEmpty())
            throw new ConfigException("auto-δ: the calibration run for δ = " + delta + " returned no bit schedule");
        long sum = 0, n = 0;
        for (int[] s : schedules) { for (int b : s) sum += b; n += s.length; }
        if (n == 0) throw new ConfigException("auto-δ: the calibration run for δ = " + delta + " had no steps");
        Probe p = new Probe(delta, (double) sum / n);
        probes.add(p);
        return p;
    }

    private static Probe closer(Probe a, Probe b, double target) {
        if (a == null) return b;
        return Math.abs(b.meanBits() - target) < Math.abs(a.meanBits() - target) ? b : a;
    }
}
