package io.vdq.quant.dvd;

import io.vdq.VdqException.ConfigException;
import io.vdq.VdqException.ShapeException;
import java.util.Arrays;

/**
 * δ-Guided Bit Switching (DVD-Quant §4): picks the activation bit width of each denoising step of one sampling run
 * from how much the model output has changed since the last high-precision step.
 *
 * <p>With F_t the model output of step t (under classifier-free guidance: the guided, combined prediction; the
 * chosen width applies to both passes of the step — decision 9), L1(t) = ‖F_t − F_{t−1}‖₁ / ‖F_{t−1}‖₁ (double
 * accumulation; a zero ‖F_{t−1}‖₁ counts as +∞ unless F_t equals it). The accumulator holds Σ L1(t) since the
 * last reset step. Step i runs at {@code lowBits} (4) if the accumulator is below δ, otherwise at {@code highBits}
 * (8) and the accumulator resets (t_p ← i). Warm-up (decision 11): until two outputs exist there is no L1, so the
 * step runs high. The first {@code forceFirst} and last {@code forceLast} steps are forced high; by default
 * ({@link #PAPER}) in the proportion of the paper's 50-step schedule figure, which keeps the first 4 and the last 6
 * of 50 steps high: of N steps the first round(4N/50) and the last round(6N/50) (half up; 10 steps: 1 and 1,
 * 20 steps: 2 and 2, 50 steps: 4 and 6), the warm-up's first two being high anyway. Before issue #25 the defaults
 * were 2 and 0 (recipe {@code gbs_force_first: 2, gbs_force_last: 0}). A forced high step resets the accumulator
 * like any high step, since it ran at full activation precision. δ = 0 gives every step high; δ = +∞ gives every
 * step after warm-up low (and the forced ends high).
 *
 * <p>Use: {@link #reset} at the start of each run, then per step {@link #nextBits} before the model call and
 * {@link #observe} with the output after it. The schedule of the run is kept ({@link #schedule}).
 * Not thread-safe: one instance belongs to one sampling loop.
 */
public final class BitSwitcher {
    /**
     * @param delta      threshold δ ≥ 0 (may be +∞)
     * @param lowBits    activation bits of a low step (default 4)
     * @param highBits   activation bits of a high step (default 8)
     * @param forceFirst number of leading steps forced high, or {@link #PAPER} (default) for round(4N/50)
     * @param forceLast  number of trailing steps forced high, or {@link #PAPER} (default) for round(6N/50); needs
     *                   the step count
     */
    public record Options(double delta, int lowBits, int highBits, int forceFirst, int forceLast) {
        public Options {
            if (!(delta >= 0)) throw new ConfigException("δ-GBS delta must be >= 0, got " + delta);
            if (lowBits < 2 || highBits > 16 || lowBits > highBits)
                throw new ConfigException("δ-GBS bits must satisfy 2 <= lowBits <= highBits <= 16, got " + lowBits + "/" + highBits);
            if (forceFirst < PAPER || forceLast < PAPER)
                throw new ConfigException("δ-GBS forceFirst/forceLast must be >= 0 (or " + PAPER + " = the paper's proportion), got "
                        + forceFirst + "/" + forceLast);
        }

        /** The defaults (low 4, high 8, the paper's forced ends) with the given δ. */
        public static Options of(double delta) { return new Options(delta, 4, 8, PAPER, PAPER); }

        /** Leading steps forced high in a run of {@code steps} steps (−1 = unknown: the paper's 4). */
        public int firstForced(int steps) { return forceFirst != PAPER ? forceFirst : steps > 0 ? scaled(PAPER_FIRST, steps) : PAPER_FIRST; }

        /** Trailing steps forced high in a run of {@code steps} steps (0 when the step count is unknown). */
        public int lastForced(int steps) { return steps <= 0 ? 0 : forceLast != PAPER ? forceLast : scaled(PAPER_LAST, steps); }

        public Options withDelta(double d) { return new Options(d, lowBits, highBits, forceFirst, forceLast); }
    }

    /** {@link Options} value of forceFirst / forceLast meaning "in the paper's proportion". */
    public static final int PAPER = -1;
    /** The paper's schedule figure: of {@link #PAPER_STEPS} steps the first 4 and the last 6 run high. */
    static final int PAPER_FIRST = 4, PAPER_LAST = 6, PAPER_STEPS = 50;

    /** round(count·steps/50), half up, in integers: the paper's forced count scaled to {@code steps}. */
    static int scaled(int count, int steps) { return (int) ((2L * count * steps + PAPER_STEPS) / (2L * PAPER_STEPS)); }

    private final Options opt;
    private int totalSteps = -1;
    private int step;
    private double acc;
    private float[] prev;
    private int outputs;
    private boolean decided;
    private int[] schedule = new int[16];
    private double[] trace = new double[16];

    public BitSwitcher(Options opt) { this.opt = opt; }

    public Options options() { return opt; }

    /** Starts a new sampling run of {@code totalSteps} steps (−1 if unknown; then forceLast is ignored). */
    public void reset(int totalSteps) {
        this.totalSteps = totalSteps;
        step = 0;
        acc = 0;
        prev = null;
        outputs = 0;
        decided = false;
    }

    /** The activation bit width of the next step; call once per step, before the model runs. */
    public int nextBits() {
        if (decided) throw new IllegalStateException("δ-GBS: nextBits called twice for step " + step + " without observe");
        boolean forced = step < opt.firstForced(totalSteps) || outputs < 2
                || (totalSteps > 0 && step >= totalSteps - opt.lastForced(totalSteps));
        int bits;
        if (forced || acc >= opt.delta()) { bits = opt.highBits(); acc = 0; }
        else bits = opt.lowBits();
        if (step == schedule.length) schedule = Arrays.copyOf(schedule, step * 2);
        schedule[step] = bits;
        decided = true;
        return bits;
    }

    /** Records the output of the step just run (the guided output under CFG) and accumulates its L1 change. */
    public void observe(float[] out, int off, int len) {
        if (!decided) throw new IllegalStateException("δ-GBS: observe called for step " + step + " before nextBits");
        double l1 = Double.NaN;
        if (prev != null) {
            if (prev.length != len)
                throw new ShapeException("δ-GBS: output of step " + step + " has " + len + " values, previous had " + prev.length);
            double num = 0, den = 0;
            for (int i = 0; i < len; i++) {
                num += Math.abs((double) out[off + i] - prev[i]);
                den += Math.abs((double) prev[i]);
            }
            l1 = den > 0 ? num / den : (num > 0 ? Double.POSITIVE_INFINITY : 0);
            acc += l1;
            System.arraycopy(out, off, prev, 0, len);
        } else {
            prev = Arrays.copyOfRange(out, off, off + len);
        }
        if (step == trace.length) trace = Arrays.copyOf(trace, step * 2);
        trace[step] = l1;
        outputs++;
        step++;
        decided = false;
    }

    /** True between {@link #nextBits} and {@link #observe} (or {@link #skipOutput}). */
    public boolean awaitingOutput() { return decided; }

    /**
     * Ends the decided step without an output (the caller has none): the L1 history restarts, so the next two
     * steps run high again (warm-up). A run that never gets outputs therefore runs entirely at high bits.
     */
    public void skipOutput() {
        if (!decided) throw new IllegalStateException("δ-GBS: skipOutput called for step " + step + " before nextBits");
        prev = null;
        outputs = 0;
        if (step == trace.length) trace = Arrays.copyOf(trace, step * 2);
        trace[step] = Double.NaN;
        step++;
        decided = false;
    }

    /** Number of steps decided so far in this run. */
    public int steps() { return decided ? step + 1 : step; }

    /** The bit width of every step decided so far in this run. */
    public int[] schedule() { return Arrays.copyOf(schedule, steps()); }

    /** L1(t) of every observed step (NaN for the first, which has no predecessor). */
    public double[] l1Trace() { return Arrays.copyOf(trace, step); }

    /** Mean activation bit width of a schedule. */
    public static double meanBits(int[] schedule) {
        if (schedule.length == 0) return 0;
        long s = 0;
        for (int b : schedule) s += b;
        return (double) s / schedule.length;
    }

    /** A compact form of a schedule for logs and run metadata, e.g. {@code "8888484848..."} for single digits. */
    public static String format(int[] schedule) {
        StringBuilder sb = new StringBuilder();
        boolean single = Arrays.stream(schedule).allMatch(b -> b < 10);
        for (int i = 0; i < schedule.length; i++) {
            if (!single && i > 0) sb.append(',');
            sb.append(schedule[i]);
        }
        return sb.toString();
    }
}
