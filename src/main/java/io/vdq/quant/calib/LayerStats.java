package io.vdq.quant.calib;

import io.vdq.tensor.Parallel;
import java.util.SplittableRandom;

/**
 * Input statistics of one linear layer, accumulated call by call (thread-safe: calls are serialised). Abs maxima
 * are floats; XᵀX is accumulated in double, each entry summed over tokens in call order, so the result does not
 * depend on the thread count.
 */
public final class LayerStats {
    private final String name;
    private final int in, steps;
    private final StatsRequest req;
    private final float[] absMax;
    private final float[][] absMaxPerStep; // [steps][in], rows of untouched steps stay null
    private final double[] xtx;             // in × in, full symmetric
    private final float[] samples;          // maxSamples × in
    private final SplittableRandom rng;
    private long tokens, calls;
    private int kept;

    public LayerStats(String name, int in, int steps, StatsRequest req) {
        this.name = name;
        this.in = in;
        this.steps = steps;
        this.req = req;
        this.absMax = req.absMax() || req.perStep() ? new float[in] : null;
        this.absMaxPerStep = req.perStep() && steps > 0 ? new float[steps][] : null;
        this.xtx = req.xtx() ? new double[(long) in * in > Integer.MAX_VALUE ? tooBig(name, in) : in * in] : null;
        this.samples = req.maxSamples() > 0 ? new float[req.maxSamples() * in] : null;
        this.rng = new SplittableRandom(req.seed());
    }

    private static int tooBig(String name, int in) {
        throw new io.vdq.VdqException.ShapeException("layer " + name + ": XᵀX of " + in + "² entries does not fit one array");
    }

    /** Adds rows × in inputs seen at step index {@code step} (−1 = unknown). */
    public synchronized void add(float[] x, int off, int rows, int step) {
        calls++;
        if (absMax != null) {
            float[] ps = null;
            if (absMaxPerStep != null && step >= 0 && step < steps) {
                if (absMaxPerStep[step] == null) absMaxPerStep[step] = new float[in];
                ps = absMaxPerStep[step];
            }
            for (int r = 0; r < rows; r++)
                for (int j = 0, b = off + r * in; j < in; j++) {
                    float a = Math.abs(x[b + j]);
                    if (a > absMax[j]) absMax[j] = a;
                    if (ps != null && a > ps[j]) ps[j] = a;
                }
        }
        if (xtx != null) accumulateXtx(x, off, rows);
        if (samples != null) sample(x, off, rows);
        tokens += rows;
    }

    private void accumulateXtx(float[] x, int off, int rows) {
        // column-major copy so each (i, j) dot product reads contiguous memory; rows of XᵀX are split over threads
        double[] xt = new double[in * rows];
        for (int r = 0; r < rows; r++) for (int j = 0; j < in; j++) xt[j * rows + r] = x[off + r * in + j];
        Parallel.range(in, (from, to) -> {
            for (int i = from; i < to; i++) {
                int bi = i * rows;
                for (int j = i; j < in; j++) {
                    int bj = j * rows;
                    double s = 0;
                    for (int r = 0; r < rows; r++) s += xt[bi + r] * xt[bj + r];
                    xtx[i * in + j] += s;
                }
            }
        });
    }

    private void sample(float[] x, int off, int rows) {
        int cap = req.maxSamples();
        for (int r = 0; r < rows; r++) {
            long seen = tokens + r;
            int slot;
            if (kept < cap) slot = kept++;
            else { long k = rng.nextLong(seen + 1); if (k >= cap) continue; slot = (int) k; }
            System.arraycopy(x, off + r * in, samples, slot * in, in);
        }
    }

    public String name() { return name; }
    public int inFeatures() { return in; }
    public synchronized long tokens() { return tokens; }
    public synchronized long calls() { return calls; }

    /** Per-channel max |x| over everything recorded (copy), or null if not requested. */
    public synchronized float[] absMax() { return absMax == null ? null : absMax.clone(); }

    /** Per-channel max |x| over the given step indices [from, to) (copy; zeros if none of them was seen). */
    public synchronized float[] absMaxOverSteps(int from, int to) {
        if (absMaxPerStep == null) throw new io.vdq.VdqException.ConfigException("layer " + name + ": per-step statistics were not recorded");
        float[] m = new float[in];
        for (int s = Math.max(0, from); s < Math.min(steps, to); s++)
            if (absMaxPerStep[s] != null) for (int j = 0; j < in; j++) m[j] = Math.max(m[j], absMaxPerStep[s][j]);
        return m;
    }

    /** The full symmetric Σ xᵀx (K×K, row-major, a new array), or null if not requested. */
    public synchronized double[] xtx() {
        if (xtx == null) return null;
        double[] h = xtx.clone();
        for (int i = 0; i < in; i++) for (int j = 0; j < i; j++) h[i * in + j] = h[j * in + i];
        return h;
    }

    /** The sampled tokens, kept × in (a new array; fewer than maxSamples when fewer tokens were seen). */
    public synchronized float[] samples() {
        return samples == null ? new float[0] : java.util.Arrays.copyOf(samples, kept * in);
    }

    public synchronized int sampleCount() { return kept; }
}
