package io.vdq.quant.dvd;

import io.vdq.quant.ActivationBits;
import io.vdq.quant.SamplerHook;
import java.lang.System.Logger.Level;
import java.lang.System.Logger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Connects δ-GBS to a sampler: before each step ({@link #beforeStep}, the framework's {@link SamplerHook}) it
 * sets the shared {@link ActivationBits} of every DVD layer to the width the {@link BitSwitcher} picks for that
 * step (both CFG passes of the step run at it); after the step the sampler must hand it the guided output with
 * {@link #afterStep(int, float[])} (the generate glue forwards the diffusion sampler's {@code Step.guided()} there
 * through the {@link SamplerHook}). Step 0 starts a new run. The schedule of the last
 * run is {@link #schedule()}; {@link #calibrate} chooses δ automatically. A step whose output never arrives is
 * logged once and makes the following steps run high (warm-up restarts), so a sampler that does not report
 * outputs gets W4A8 behaviour, never silently low bits.
 */
public final class GbsController implements SamplerHook {
    private static final Logger LOG = System.getLogger(GbsController.class.getName());
    private final ActivationBits bits;
    private volatile boolean warned;
    private volatile BitSwitcher switcher;
    private final List<int[]> finished = new ArrayList<>(); // schedules of the runs before the current one

    /** What the automatic δ aims for: a mean activation width within a tolerance. */
    public record Target(double meanBits, double tolerance) {}

    private volatile Target target;   // null: δ is the recipe's (or was chosen already)

    public GbsController(BitSwitcher.Options options, ActivationBits bits) { this(options, bits, null); }

    /** With {@code target} non-null, δ is still to be chosen ({@link #tune}). */
    public GbsController(BitSwitcher.Options options, ActivationBits bits, Target target) {
        this.bits = bits;
        this.switcher = new BitSwitcher(options);
        this.target = target;
    }

    @Override
    public String tuningGoal() {
        Target t = target;
        return t == null ? null : String.format(Locale.ROOT, "δ-GBS: choosing δ for %.1f mean activation bits", t.meanBits());
    }

    /** Chooses δ for the target ({@link #calibrate}); afterwards there is nothing left to tune. */
    @Override
    public String tune(Runnable sampleCalibration) {
        Target t = target;
        if (t == null) throw new UnsupportedOperationException("δ-GBS: δ is already set (" + delta() + ")");
        AutoDelta.Result r = calibrate(t.meanBits(), t.tolerance(), sampleCalibration);
        target = null;
        return String.format(Locale.ROOT, "δ = %.4f gives %.2f mean activation bits (%d probes%s)", r.delta(), r.meanBits(),
                r.probes().size(), r.withinTolerance() ? "" : ", outside tolerance");
    }

    @Override public String setting() { return "δ = " + delta(); }

    @Override public String stepBits() { return BitSwitcher.format(schedule()); }

    public BitSwitcher.Options options() { return switcher.options(); }
    public double delta() { return switcher.options().delta(); }
    public ActivationBits activationBits() { return bits; }

    /** Replaces δ (for calibration); the next run uses it. */
    public synchronized void setDelta(double delta) {
        switcher = new BitSwitcher(switcher.options().withDelta(delta));
        finished.clear();
    }

    @Override
    public void beforeStep(int step, int steps, float timestep) {
        BitSwitcher s = switcher;
        if (s.awaitingOutput()) { // the sampler did not report the previous step's output: stay at high bits
            if (!warned) LOG.log(Level.WARNING, "δ-GBS got no output for step {0}; running high activation bits until"
                    + " outputs arrive (the sampler must call GbsController.afterStep with the guided output)", s.steps() - 1);
            warned = true;
            s.skipOutput();
        }
        if (step == 0 || step != s.steps()) { // a new run (or a jump: then indices count from the jump)
            if (s.steps() > 0) synchronized (this) { finished.add(s.schedule()); }
            s.reset(steps);
        }
        bits.set(s.nextBits());
    }

    /** The guided model output (the prediction the scheduler uses) of the step that just ran. */
    public void afterStep(float[] guided, int off, int len) { switcher.observe(guided, off, len); }

    /**
     * {@link SamplerHook}'s after-step call: observes the guided output of {@code step}. A call for a step other
     * than the one just started (a late or repeated report) is ignored with a warning, so it cannot shift the
     * L1 trace by one step.
     */
    @Override
    public void afterStep(int step, float[] guidedOutput) {
        BitSwitcher s = switcher;
        if (!s.awaitingOutput() || step != s.steps() - 1) {
            LOG.log(Level.WARNING, "δ-GBS: output for step {0} ignored (awaiting {1})", step,
                    s.awaitingOutput() ? String.valueOf(s.steps() - 1) : "none");
            return;
        }
        s.observe(guidedOutput, 0, guidedOutput.length);
    }

    /** The bit width of every step of the current/last run. */
    public int[] schedule() { return switcher.schedule(); }

    /** The relative-L1 trace of the current/last run (NaN for step 0). */
    public double[] l1Trace() { return switcher.l1Trace(); }

    /** The schedules of every run since the last {@link #setDelta}, the current one last. */
    public synchronized List<int[]> runs() {
        List<int[]> all = new ArrayList<>(finished);
        if (switcher.steps() > 0) all.add(switcher.schedule());
        return all;
    }

    /**
     * Chooses δ by {@link AutoDelta} bisection (start 0.1, at most 16 evaluations): for each candidate δ,
     * {@code sampleCalibrationPrompts} must run the sampler with this controller as its hook over a few
     * calibration prompts; the schedules of those runs decide. Sets δ and returns the search result.
     */
    public AutoDelta.Result calibrate(double targetBits, double tolerance, Runnable sampleCalibrationPrompts) {
        AutoDelta.Result r = AutoDelta.find(targetBits, tolerance, 0.1, 16, d -> {
            setDelta(d);
            sampleCalibrationPrompts.run();
            return runs();
        });
        setDelta(r.delta());
        return r;
    }
}
