package io.vdq.quant.calib;

import io.vdq.tensor.Parallel;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Input statistics of one linear layer, accumulated call by call (thread-safe: calls are serialised). Abs maxima
 * are floats; XᵀX is accumulated in double, in chunks of tokens taken in call order, each entry by one thread,
 * so the result does not depend on the thread count.
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
    private long tokens, calls, xtxTokens;
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

    /** Tokens per transposed chunk (bounds the scratch copy to 256·K doubles). */
    static final int XTX_CHUNK = 256;

    private void accumulateXtx(float[] x, int off, int allRows) {
        int stride = req.xtxStride();
        if (stride > 1) { // the kept tokens of this call: (tokens seen before + r) divisible by stride
            int first = (int) Math.floorMod(-tokens, (long) stride);
            int kept = first >= allRows ? 0 : (allRows - first + stride - 1) / stride;
            float[] sub = new float[kept * in];
            for (int t = 0; t < kept; t++) System.arraycopy(x, off + (first + t * stride) * in, sub, t * in, in);
            x = sub;
            off = 0;
            allRows = kept;
            xtxTokens += kept;
        } else xtxTokens += allRows;
        int rows = allRows;
        float[] xs = x;
        int xo = off;
        // per chunk of tokens: a column-major double copy, then each upper-triangle entry (i, j) is a contiguous
        // dot product in double, four columns j at a time (independent sums); rows i are split over threads
        double[] xt = new double[in * Math.max(1, Math.min(rows, XTX_CHUNK))];
        for (int r0 = 0; r0 < rows; r0 += XTX_CHUNK) {
            int n = Math.min(XTX_CHUNK, rows - r0), base = xo + r0 * in;
            for (int r = 0; r < n; r++) for (int j = 0; j < in; j++) xt[j * n + r] = xs[base + r * in + j];
            Parallel.range(in, (from, to) -> {
                for (int i = from; i < to; i++) {
                    int bi = i * n, j = i;
                    for (; j + 3 < in; j += 4) {
                        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                        int b0 = j * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
                        for (int r = 0; r < n; r++) {
                            double xi = xt[bi + r];
                            s0 += xi * xt[b0 + r]; s1 += xi * xt[b1 + r]; s2 += xi * xt[b2 + r]; s3 += xi * xt[b3 + r];
                        }
                        int c = i * in + j;
                        xtx[c] += s0; xtx[c + 1] += s1; xtx[c + 2] += s2; xtx[c + 3] += s3;
                    }
                    for (; j < in; j++) {
                        double s0 = 0;
                        for (int r = 0, bj = j * n; r < n; r++) s0 += xt[bi + r] * xt[bj + r];
                        xtx[i * in + j] += s0;
                    }
                }
            });
        }
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
    /** Tokens that went into XᵀX (fewer than {@link #tokens} when a stride was asked for). */
    public synchronized long xtxTokens() { return xtxTokens; }

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
        return samples == null ? new float[0] : Arrays.copyOf(samples, kept * in);
    }

    public synchronized int sampleCount() { return kept; }
}
