package io.vdq.eval;

import io.vdq.VdqException.ConfigException;
import io.vdq.VdqException.ShapeException;

/**
 * Teacher-forced fidelity of a denoiser: at every sampling step the candidate model is given the full-precision
 * model's own latents (not its own trajectory) and its guided prediction is compared with the full-precision one.
 * Accumulated in double over prompts, per step:
 * {@code SNR_i = 10·log10(Σ‖ref‖² / Σ‖cand − ref‖²)} dB, sums over every prompt's values at step i; the overall
 * figure is the same ratio over all steps and prompts.
 *
 * <p>Why next to video PSNR: a sampler feeds each step's error into the next step's input, so two quantized models
 * whose per-step errors differ by a few percent can end up with final videos a dB apart in either order (BENCHMARKS.md,
 * the S²Q seed sweeps). The teacher-forced figure measures what the quantization did to one model evaluation,
 * without that amplification.
 */
public final class StepFidelity {
    private final double[] err, ref;
    private final long[] count;
    private int values = -1;

    public StepFidelity(int steps) {
        if (steps < 1) throw new ConfigException("step fidelity needs at least one step, got " + steps);
        err = new double[steps];
        ref = new double[steps];
        count = new long[steps];
    }

    public int steps() { return err.length; }

    /** Adds one prompt's step-{@code step} predictions (full precision {@code reference}, quantized {@code candidate}). */
    public void add(int step, float[] reference, float[] candidate) {
        if (step < 0 || step >= err.length) throw new ShapeException("step fidelity: step " + step + " outside [0, " + err.length + ")");
        if (reference.length != candidate.length)
            throw new ShapeException("step fidelity, step " + step + ": reference has " + reference.length + " values, candidate " + candidate.length);
        if (values >= 0 && reference.length != values)
            throw new ShapeException("step fidelity, step " + step + ": " + reference.length + " values, earlier predictions had " + values);
        values = reference.length;
        double e = 0, r = 0;
        for (int j = 0; j < reference.length; j++) {
            double d = (double) candidate[j] - reference[j];
            e += d * d;
            r += (double) reference[j] * reference[j];
        }
        err[step] += e;
        ref[step] += r;
        count[step]++;
    }

    /** Prompts added at {@code step}. */
    public long count(int step) { return count[step]; }

    /** SNR of step {@code step} in dB; +∞ when the predictions are identical, NaN when nothing was added. */
    public double snrDb(int step) { return snr(ref[step], err[step], count[step]); }

    /** SNR over all steps and prompts in dB. */
    public double snrDb() {
        double e = 0, r = 0;
        long c = 0;
        for (int i = 0; i < err.length; i++) { e += err[i]; r += ref[i]; c += count[i]; }
        return snr(r, e, c);
    }

    /** Per-step SNRs in dB. */
    public double[] perStepDb() {
        double[] out = new double[err.length];
        for (int i = 0; i < out.length; i++) out[i] = snrDb(i);
        return out;
    }

    private static double snr(double r, double e, long c) {
        if (c == 0) return Double.NaN;
        if (e == 0) return Double.POSITIVE_INFINITY;
        return 10 * Math.log10(r / e);
    }
}
