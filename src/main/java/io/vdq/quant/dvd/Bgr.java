package io.vdq.quant.dvd;

import io.vdq.VdqException.ConfigException;
import io.vdq.VdqException.ShapeException;
import io.vdq.tensor.Parallel;

/**
 * Bounded-init Grid Refinement (DVD-Quant §2): data-free asymmetric weight quantization that minimises the plain
 * reconstruction error {@code ‖W − Δ·(W_q − z)‖²} of each row (output channel) or group of a weight matrix.
 * It is meant to run on Hadamard-rotated weights W·R (see {@link Arq#rotateWeights}); it does not rotate.
 *
 * <p>Per row/group, with q_max = 2^b − 1 and the range [lo, hi] always widened to contain 0 (so that the grid
 * represents 0 and an integer zero point in [0, q_max] exists):
 * <ol>
 * <li><b>MinMax</b> (reported baseline): Δ = (max − min)/q_max, z = rint(−min/Δ).</li>
 * <li><b>Bounded initialisation</b> (decision 2): the paper clamps the row to [min + δ_l, max − δ_u] with a
 *     lower and an upper shrink of their own; here lo = α_l·min, hi = α_u·max (δ_l = (1 − α_l)·|min|,
 *     δ_u = (1 − α_u)·max). {@link Init#SEARCH} (default) tries every pair of α_l, α_u on the grid 1.00, 0.95, …,
 *     {@code alphaMin} (0.50): 11 × 11 grids, and keeps the pair with the lowest reconstruction error (ties keep the
 *     pair met first: larger α_l, then larger α_u). With {@code separateBounds = false} (option
 *     {@code bgr_bounds: tied}, the default before issue #25) one α shrinks both ends: 11 grids. The grid contains
 *     α = 1 (MinMax) and the tied pairs, so bounded ≤ tied ≤ MinMax always holds. {@link Init#FIXED} uses one α
 *     ({@code fixedAlpha}, 0.9) for both ends, the mild shrink that reproduces the paper's figure; then
 *     bounded ≤ MinMax is likely but not guaranteed.</li>
 * <li><b>Refinement</b> (decision 3), closed-form alternation: codes q = clamp(rint(w/Δ + z), 0, q_max)
 *     (exact minimiser for a fixed grid); step Δ = ⟨q − z, w⟩ / ⟨q − z, q − z⟩ (least squares for fixed codes
 *     and z); zero point z = mean(q − w/Δ) (least squares with z relaxed to a real), then rounded and clamped
 *     (decision 4: integer z by default for kernel compatibility; {@code realZeroPoint} keeps the real value,
 *     clamped to [0, q_max]). The best (Δ, z) seen is kept (rounding z can make a step slightly worse); the loop
 *     stops when the relative improvement falls below {@code tolerance} (1e-4) or after {@code maxIterations} (50).</li>
 * </ol>
 * Errors are measured against the values actually stored: Δ and z are float32 and the dequantized weight is
 * {@code (float)(Δ·(q − z))}; inner products and errors accumulate in double. Rows run in parallel on
 * {@link Parallel}; every row is independent, so the result does not depend on the thread count.
 * Decision 1 (granularity): {@code groupSize = 0} means one (Δ, z) per output channel (default); a positive group
 * size (e.g. 128) splits each row along K into groups that are each treated as a row; it must divide K, and a
 * group at least as wide as K is one group per row (as per_group granularity reads it elsewhere).
 */
public final class Bgr {
    private Bgr() {}

    /** How the clipping factor α of the bounded initialisation is chosen. */
    public enum Init { SEARCH, FIXED }

    /**
     * BGR settings; {@link #DEFAULTS} holds the recommended values (docs/DVD.md).
     *
     * @param bits          weight bits, 2–8 (default 4)
     * @param groupSize     0 = per output channel (default); otherwise values per group along K (must divide K)
     * @param init          α search (default) or one fixed α
     * @param fixedAlpha    α for {@link Init#FIXED} (default 0.9)
     * @param alphaMin      smallest α of the search grid (default 0.50)
     * @param alphaStep     step of the descending α grid starting at 1.00 (default 0.05)
     * @param maxIterations refinement iteration cap (default 50; 0 = bounded init only)
     * @param tolerance     stop when (e_prev − e)/e_prev falls below this (default 1e-4)
     * @param realZeroPoint keep z real instead of rounding it (default false)
     * @param separateBounds search the lower and upper shrink separately (default true, the paper's δ_l and δ_u);
     *                       false = one α for both ends
     */
    public record Options(int bits, int groupSize, Init init, double fixedAlpha, double alphaMin, double alphaStep,
                          int maxIterations, double tolerance, boolean realZeroPoint, boolean separateBounds) {
        public static final Options DEFAULTS = new Options(4, 0, Init.SEARCH, 0.9, 0.5, 0.05, 50, 1e-4, false, true);

        public Options {
            if (bits < 2 || bits > 8) throw new ConfigException("BGR bits must be in 2..8, got " + bits);
            if (groupSize < 0) throw new ConfigException("BGR groupSize must be >= 0 (0 = per channel), got " + groupSize);
            if (init == null) throw new ConfigException("BGR init must be SEARCH or FIXED");
            if (!(fixedAlpha > 0 && fixedAlpha <= 1)) throw new ConfigException("BGR fixedAlpha must be in (0, 1], got " + fixedAlpha);
            if (!(alphaMin > 0 && alphaMin <= 1)) throw new ConfigException("BGR alphaMin must be in (0, 1], got " + alphaMin);
            if (!(alphaStep > 0)) throw new ConfigException("BGR alphaStep must be > 0, got " + alphaStep);
            if (maxIterations < 0) throw new ConfigException("BGR maxIterations must be >= 0, got " + maxIterations);
            if (!(tolerance >= 0)) throw new ConfigException("BGR tolerance must be >= 0, got " + tolerance);
        }

        public Options withBits(int b) { return new Options(b, groupSize, init, fixedAlpha, alphaMin, alphaStep, maxIterations, tolerance, realZeroPoint, separateBounds); }
        public Options withGroupSize(int g) { return new Options(bits, g, init, fixedAlpha, alphaMin, alphaStep, maxIterations, tolerance, realZeroPoint, separateBounds); }
        public Options withFixedAlpha(double a) { return new Options(bits, groupSize, Init.FIXED, a, alphaMin, alphaStep, maxIterations, tolerance, realZeroPoint, separateBounds); }
        public Options withMaxIterations(int n) { return new Options(bits, groupSize, init, fixedAlpha, alphaMin, alphaStep, n, tolerance, realZeroPoint, separateBounds); }
        public Options withRealZeroPoint(boolean r) { return new Options(bits, groupSize, init, fixedAlpha, alphaMin, alphaStep, maxIterations, tolerance, r, separateBounds); }
        public Options withSeparateBounds(boolean b) { return new Options(bits, groupSize, init, fixedAlpha, alphaMin, alphaStep, maxIterations, tolerance, realZeroPoint, b); }
    }

    /**
     * Squared reconstruction errors of one layer (sums over all its values) at the three stages.
     *
     * @param minMax        error of plain MinMax quantization with the same bits and granularity
     * @param boundedInit   error after the bounded initialisation
     * @param refined       error of the stored result
     * @param weightSquares ‖W‖² (to turn errors into relative ones)
     * @param meanIterations mean number of refinement iterations per row/group
     */
    public record LayerError(double minMax, double boundedInit, double refined, double weightSquares, double meanIterations) {
        /** 1 − refined/minMax: the fraction of the MinMax error removed (0 when MinMax is exact). */
        public double reductionVsMinMax() { return minMax > 0 ? 1 - refined / minMax : 0; }

        /** 1 − boundedInit/minMax. */
        public double initReductionVsMinMax() { return minMax > 0 ? 1 - boundedInit / minMax : 0; }
    }

    /**
     * A quantized weight matrix.
     *
     * @param codes       unsigned integer codes, rows×cols, each in [0, 2^bits − 1] (read with {@code & 0xFF})
     * @param scales      Δ per row/group, rows × (cols/groupSize)
     * @param zeros       z per row/group (integers unless realZeroPoint)
     * @param dequantized Δ·(q − z), rows×cols, the fake-quant weight
     */
    public record Result(int rows, int cols, int groupSize, int bits, byte[] codes, float[] scales, float[] zeros,
                         float[] dequantized, LayerError error) {
        public int groupsPerRow() { return cols / groupSize; }
    }

    /** Quantizes the rows×cols matrix at {@code w[off..]} (row-major, out×in); the input is not modified. */
    public static Result quantize(float[] w, int off, int rows, int cols, Options o) {
        if (rows <= 0 || cols <= 0 || off < 0 || (long) off + (long) rows * cols > w.length)
            throw new ShapeException("BGR weight " + rows + "×" + cols + " at offset " + off + " does not fit an array of " + w.length);
        int g = o.groupSize() == 0 || o.groupSize() >= cols ? cols : o.groupSize(); // a group as wide as K is a row
        if (cols % g != 0)
            throw new ConfigException("BGR groupSize " + g + " must divide the input width K = " + cols);
        int gpr = cols / g, groups = rows * gpr;
        byte[] codes = new byte[rows * cols];
        float[] deq = new float[rows * cols];
        float[] scales = new float[groups], zeros = new float[groups];
        double[] eMM = new double[groups], eInit = new double[groups], eRef = new double[groups], wsq = new double[groups];
        int[] iters = new int[groups];
        Parallel.range(rows, (from, to) -> {
            double[] st = new double[STATS];
            for (int r = from; r < to; r++) {
                for (int j = 0; j < gpr; j++) {
                    int gi = r * gpr + j, src = off + r * cols + j * g, dst = r * cols + j * g;
                    Fit f = fitGroup(w, src, g, o, st);
                    scales[gi] = f.scale;
                    zeros[gi] = f.zero;
                    eMM[gi] = f.minMax;
                    eInit[gi] = f.init;
                    eRef[gi] = f.refined;
                    iters[gi] = f.iterations;
                    double s2 = 0;
                    for (int i = 0; i < g; i++) {
                        float x = w[src + i];
                        s2 += (double) x * x;
                        int q = code(x, f.scale, f.zero, (1 << o.bits()) - 1);
                        codes[dst + i] = (byte) q;
                        deq[dst + i] = dequant(f.scale, f.zero, q);
                    }
                    wsq[gi] = s2;
                }
            }
        });
        double mm = 0, in = 0, rf = 0, sq = 0, it = 0;
        for (int i = 0; i < groups; i++) { mm += eMM[i]; in += eInit[i]; rf += eRef[i]; sq += wsq[i]; it += iters[i]; }
        return new Result(rows, cols, g, o.bits(), codes, scales, zeros, deq, new LayerError(mm, in, rf, sq, it / groups));
    }

    /** The result of fitting one row or group. */
    record Fit(float scale, float zero, double minMax, double init, double refined, int iterations) {}

    private static final int STATS = 4; // Σq, Σq², Σq·w, Σw of the codes of the last pass

    /** Fits one row/group of n values; {@code st} is scratch for the pass statistics. */
    static Fit fitGroup(float[] w, int off, int n, Options o, double[] st) {
        int qmax = (1 << o.bits()) - 1;
        double min = 0, max = 0;
        for (int i = 0; i < n; i++) { min = Math.min(min, w[off + i]); max = Math.max(max, w[off + i]); }
        if (max - min == 0) return new Fit(1f, 0f, 0, 0, 0, 0); // all zeros: exact with any grid
        // MinMax and bounded initialisation.
        float[] mmP = initParams(min, max, 1.0, qmax, o.realZeroPoint());
        double eMinMax = pass(w, off, n, mmP[0], mmP[1], qmax, st);
        float bestD = mmP[0], bestZ = mmP[1];
        double bestE = eMinMax;
        double[] bestSt = st.clone();
        if (o.init() == Init.FIXED) {
            float[] p = initParams(min, max, o.fixedAlpha(), qmax, o.realZeroPoint());
            bestD = p[0]; bestZ = p[1];
            bestE = pass(w, off, n, bestD, bestZ, qmax, st);
            bestSt = st.clone();
        } else {
            boolean moved = false;
            int grid = 0; // grid points below 1.00: α = 1 − k·step for k = 1..grid
            while (1.0 - (grid + 1) * o.alphaStep() >= o.alphaMin() - 1e-9 && 1.0 - (grid + 1) * o.alphaStep() > 0) grid++;
            for (int kl = 0; kl <= grid; kl++)
                for (int ku = o.separateBounds() ? 0 : kl; ku <= (o.separateBounds() ? grid : kl); ku++) {
                    if (kl == 0 && ku == 0) continue; // MinMax, already the starting point
                    float[] p = initParams(min, max, 1.0 - kl * o.alphaStep(), 1.0 - ku * o.alphaStep(), qmax, o.realZeroPoint());
                    double e = error(w, off, n, p[0], p[1], qmax);
                    if (e < bestE) { bestE = e; bestD = p[0]; bestZ = p[1]; moved = true; }
                }
            if (moved) pass(w, off, n, bestD, bestZ, qmax, bestSt); // statistics of the chosen grid
        }
        double eInit = bestE;
        // Closed-form alternating refinement, keep-best.
        float d = bestD, z = bestZ;
        System.arraycopy(bestSt, 0, st, 0, STATS);
        double ePrev = eInit;
        int it = 0;
        while (it < o.maxIterations() && ePrev > 0) {
            double nd = stepFromStats(st, z, n);
            if (!(nd > 0) || Double.isInfinite(nd)) break;
            float d2 = (float) nd;
            if (!(d2 > 0)) break;
            float z2 = zeroFromStats(st, d2, n, qmax, o.realZeroPoint());
            it++;
            double e = pass(w, off, n, d2, z2, qmax, st);
            d = d2; z = z2;
            if (e < bestE) { bestE = e; bestD = d; bestZ = z; }
            double rel = (ePrev - e) / ePrev;
            ePrev = e;
            if (rel < o.tolerance()) break;
        }
        return new Fit(bestD, bestZ, eMinMax, eInit, bestE, it);
    }

    /** {Δ, z} for the range [α·min, α·max] (min ≤ 0 ≤ max), as stored (float32; z rounded unless real). */
    private static float[] initParams(double min, double max, double alpha, int qmax, boolean realZ) {
        return initParams(min, max, alpha, alpha, qmax, realZ);
    }

    /** {Δ, z} for the range [α_l·min, α_u·max] (min ≤ 0 ≤ max): the lower and upper bounds shrink separately. */
    static float[] initParams(double min, double max, double alphaLower, double alphaUpper, int qmax, boolean realZ) {
        double lo = alphaLower * min, hi = alphaUpper * max;
        float d = (float) ((hi - lo) / qmax);
        double z = clamp(-lo / d, qmax);
        return new float[]{d, (float) (realZ ? z : Math.rint(z))};
    }

    /**
     * One pass over the values with grid (Δ, z): rounds each to its code, returns the squared error of the stored
     * dequantized values and leaves Σq, Σq², Σq·w, Σw in {@code st}.
     */
    private static double pass(float[] w, int off, int n, float d, float z, int qmax, double[] st) {
        // Σq and Σq² are sums of small integers (exact in double); the others use two chains like error().
        double e0 = 0, e1 = 0, sq = 0, sqq = 0, sqw0 = 0, sqw1 = 0, sw0 = 0, sw1 = 0;
        double inv = 1.0 / d;
        int i = 0;
        for (; i + 1 < n; i += 2) {
            double x0 = w[off + i], x1 = w[off + i + 1];
            double q0 = Math.rint(x0 * inv + z), q1 = Math.rint(x1 * inv + z);
            q0 = q0 < 0 ? 0 : (q0 > qmax ? qmax : q0);
            q1 = q1 < 0 ? 0 : (q1 > qmax ? qmax : q1);
            double r0 = x0 - (float) (d * (q0 - z)), r1 = x1 - (float) (d * (q1 - z));
            e0 += r0 * r0; e1 += r1 * r1;
            sq += q0 + q1; sqq += q0 * q0 + q1 * q1;
            sqw0 += q0 * x0; sqw1 += q1 * x1;
            sw0 += x0; sw1 += x1;
        }
        if (i < n) {
            double x = w[off + i];
            double q = Math.rint(x * inv + z);
            q = q < 0 ? 0 : (q > qmax ? qmax : q);
            double r = x - (float) (d * (q - z));
            e0 += r * r;
            sq += q; sqq += q * q; sqw0 += q * x; sw0 += x;
        }
        st[0] = sq; st[1] = sqq; st[2] = sqw0 + sqw1; st[3] = sw0 + sw1;
        return e0 + e1;
    }

    /** The squared error of grid (Δ, z) alone (the α search needs no statistics); same arithmetic as {@link #pass}. */
    private static double error(float[] w, int off, int n, float d, float z, int qmax) {
        double e0 = 0, e1 = 0; // two chains (even, odd index) for instruction-level parallelism; fixed order
        double inv = 1.0 / d;
        int i = 0;
        for (; i + 1 < n; i += 2) {
            double x0 = w[off + i], x1 = w[off + i + 1];
            double q0 = Math.rint(x0 * inv + z), q1 = Math.rint(x1 * inv + z);
            q0 = q0 < 0 ? 0 : (q0 > qmax ? qmax : q0);
            q1 = q1 < 0 ? 0 : (q1 > qmax ? qmax : q1);
            double r0 = x0 - (float) (d * (q0 - z)), r1 = x1 - (float) (d * (q1 - z));
            e0 += r0 * r0;
            e1 += r1 * r1;
        }
        if (i < n) {
            double x = w[off + i];
            double q = Math.rint(x * inv + z);
            q = q < 0 ? 0 : (q > qmax ? qmax : q);
            double r = x - (float) (d * (q - z));
            e0 += r * r;
        }
        return e0 + e1;
    }

    /** Least-squares step for fixed codes and z: ⟨A, w⟩/⟨A, A⟩ with A = q − z, from the pass statistics. */
    private static double stepFromStats(double[] st, double z, int n) {
        double aw = st[2] - z * st[3];
        double aa = st[1] - 2 * z * st[0] + (double) n * z * z;
        return aa > 0 ? aw / aa : Double.NaN;
    }

    /** Least-squares zero point for fixed codes and Δ: mean(q − w/Δ), rounded unless real, clamped to [0, q_max]. */
    private static float zeroFromStats(double[] st, double d, int n, int qmax, boolean realZ) {
        double z = (st[0] - st[3] / d) / n;
        return (float) clamp(realZ ? z : Math.rint(z), qmax);
    }

    private static double clamp(double v, int qmax) { return v < 0 ? 0 : (v > qmax ? qmax : v); }

    /** The code of one value: clamp(rint(x/Δ + z), 0, q_max), computed exactly as the fitting passes do. */
    static int code(float x, float d, float z, int qmax) {
        double q = Math.rint(x * (1.0 / d) + z);
        return (int) (q < 0 ? 0 : (q > qmax ? qmax : q));
    }

    /** The stored dequantized value Δ·(q − z) in float32. */
    static float dequant(float d, float z, int q) { return (float) (d * (q - (double) z)); }

    /**
     * A result rebuilt from stored codes, scales and zero points (a checkpoint): the dequantized weights are
     * recomputed exactly as {@link #quantize} stores them; the error statistics are unknown (null).
     */
    public static Result fromCodes(int rows, int cols, int groupSize, int bits, byte[] codes, float[] scales, float[] zeros) {
        if (rows <= 0 || cols <= 0 || groupSize <= 0 || cols % groupSize != 0 || codes.length != rows * cols
                || scales.length != rows * (cols / groupSize) || zeros.length != scales.length)
            throw new ShapeException("BGR weight " + rows + "×" + cols + " group " + groupSize + ": got " + codes.length
                    + " codes, " + scales.length + " scales, " + zeros.length + " zero points, expected " + rows * cols
                    + " codes and " + (groupSize > 0 ? rows * (cols / groupSize) : -1) + " scales and zero points");
        int gpr = cols / groupSize;
        float[] deq = new float[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++) {
                int gi = r * gpr + j / groupSize;
                deq[r * cols + j] = dequant(scales[gi], zeros[gi], codes[r * cols + j] & 0xFF);
            }
        return new Result(rows, cols, groupSize, bits, codes, scales, zeros, deq, null);
    }

    /**
     * The closed-form step-size update on its own: the Δ minimising Σ(w_i − Δ·(q_i − z))² for the given codes and
     * zero point (NaN when all q_i = z). Uses the same formula as the refinement loop.
     */
    public static double leastSquaresStep(float[] w, int off, int n, int[] codes, double z) {
        double[] st = new double[STATS];
        for (int i = 0; i < n; i++) {
            double x = w[off + i], q = codes[i];
            st[0] += q; st[1] += q * q; st[2] += q * x; st[3] += x;
        }
        return stepFromStats(st, z, n);
    }

    /** MinMax squared error of the matrix (same bits and granularity as {@code o}), for reports and tests. */
    public static double minMaxError(float[] w, int off, int rows, int cols, Options o) {
        int g = o.groupSize() == 0 || o.groupSize() >= cols ? cols : o.groupSize();
        int qmax = (1 << o.bits()) - 1;
        double[] st = new double[STATS];
        double e = 0;
        for (int s = off; s < off + rows * cols; s += g) {
            double min = 0, max = 0;
            for (int i = 0; i < g; i++) { min = Math.min(min, w[s + i]); max = Math.max(max, w[s + i]); }
            if (max - min == 0) continue;
            float[] p = initParams(min, max, 1.0, qmax, o.realZeroPoint());
            e += pass(w, s, g, p[0], p[1], qmax, st);
        }
        return e;
    }
}
