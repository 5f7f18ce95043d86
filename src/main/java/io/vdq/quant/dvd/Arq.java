package io.vdq.quant.dvd;

import io.vdq.VdqException.ConfigException;
import io.vdq.VdqException.ShapeException;
import io.vdq.quant.Hadamard;
import io.vdq.tensor.Parallel;
import java.util.Arrays;

/**
 * Auto-scaling Rotated Quantization (DVD-Quant §3) of the input of one linear layer with K input channels.
 *
 * <p>Offline the weights are rotated once, W ← W·R ({@link #rotateWeights}), and BGR quantizes W·R. Online, per
 * forward call on X [tokens × K]:
 * <ol>
 * <li>X̃ = X·R, R = D·H a block-diagonal normalised Hadamard with random ±1 signs D (decision 5: block = the
 *     largest power of two dividing K, capped at {@code rotationCap} = 1024; signs on by default with a fixed seed
 *     per layer). {@code rotate = false} skips it (then the weights are not rotated either).</li>
 * <li>Λ = diag(s): s_j = max over <em>all tokens of the call</em> of |X̃_{t,j}| (decision 6). {@link Scaling#BLOCK}
 *     (default, the paper's deployed variant) shares one scale per K-block of {@code scaleBlock} = 128 channels:
 *     s_g = max over tokens and the block's channels; {@link Scaling#CHANNEL} is the exact per-channel Λ of the
 *     paper's equation; {@link Scaling#OFF} sets Λ = I. Scales are floored at {@code eps} = 1e-8.</li>
 * <li>X̂ = Q_b(X̃·Λ⁻¹) with a symmetric quantizer (decision 7), q = clamp(rint(v/a), −(2^(b−1)−1), 2^(b−1)−1),
 *     a = max|v|/(2^(b−1)−1) per token ({@link Granularity#PER_TOKEN}, default) or per call
 *     ({@link Granularity#PER_TENSOR}); b is the bit width of the current step (δ-GBS).</li>
 * <li>Y = (X̂·Λ)·Ŵᵀ + b: Λ is not folded into the stored weights. The fake-quant path ({@link #fakeQuantize})
 *     multiplies Λ back into the activation before a float GEMM — the same as scaling the weights' columns by Λ.
 *     The integer path ({@link #integerForward}) keeps the codes integer and applies the block scales s_g to the
 *     block partial sums: Y_{t,o} = a_t Σ_g s_g Σ_{k∈g} Δ_o (xq_{t,k}·wq_{o,k} − z_o·xq_{t,k}) + b_o, with the
 *     zero-point correction computed from the per-token block sums Σ_{k∈g} xq_{t,k} (§3.5).</li>
 * </ol>
 * With Λ a single block covering all of K, block scaling is a no-op: the scalar cancels under per-token
 * quantization. Activation bits ≤ 0 or ≥ 16 mean "float": rotation and scaling cancel exactly up to rounding.
 */
public final class Arq {
    /** How Λ is shared along K. */
    public enum Scaling { CHANNEL, BLOCK, OFF }

    /** Granularity of the activation quantizer applied after Λ⁻¹. */
    public enum Granularity { PER_TOKEN, PER_TENSOR }

    /**
     * @param rotate      apply the online Hadamard rotation (and rotate the weights offline)
     * @param randomSigns random ±1 signs before the Hadamard (seeded per layer)
     * @param rotationCap largest Hadamard block (1024)
     * @param scaling     Λ granularity (BLOCK)
     * @param scaleBlock  channels per Λ block for BLOCK (128; must divide K, else the block is clipped to K's
     *                    largest dividing power of two — see {@link #scaleBlockFor})
     * @param granularity activation quantizer granularity (PER_TOKEN)
     * @param eps         floor of the scales (1e-8)
     */
    public record Options(boolean rotate, boolean randomSigns, int rotationCap, Scaling scaling, int scaleBlock,
                          Granularity granularity, double eps, boolean center) {
        public static final Options DEFAULTS = new Options(true, true, 1024, Scaling.BLOCK, 128, Granularity.PER_TOKEN, 1e-8, false);

        /** Without centring (the paper's ARQ). */
        public Options(boolean rotate, boolean randomSigns, int rotationCap, Scaling scaling, int scaleBlock, Granularity granularity, double eps) {
            this(rotate, randomSigns, rotationCap, scaling, scaleBlock, granularity, eps, false);
        }

        public Options {
            if (rotationCap < 1) throw new ConfigException("ARQ rotationCap must be >= 1, got " + rotationCap);
            if (scaling == null || granularity == null) throw new ConfigException("ARQ scaling and granularity must be set");
            if (scaleBlock < 1) throw new ConfigException("ARQ scaleBlock must be >= 1, got " + scaleBlock);
            if (!(eps > 0)) throw new ConfigException("ARQ eps must be > 0, got " + eps);
        }

        public Options withRotate(boolean r) { return new Options(r, randomSigns, rotationCap, scaling, scaleBlock, granularity, eps, center); }
        public Options withScaling(Scaling s) { return new Options(rotate, randomSigns, rotationCap, s, scaleBlock, granularity, eps, center); }
        public Options withScaleBlock(int b) { return new Options(rotate, randomSigns, rotationCap, scaling, b, granularity, eps, center); }
        public Options withGranularity(Granularity g) { return new Options(rotate, randomSigns, rotationCap, scaling, scaleBlock, g, eps, center); }
        public Options withCenter(boolean c) { return new Options(rotate, randomSigns, rotationCap, scaling, scaleBlock, granularity, eps, c); }
        public Options withRandomSigns(boolean r) { return new Options(rotate, r, rotationCap, scaling, scaleBlock, granularity, eps, center); }
    }

    /**
     * The quantized activation of one call.
     *
     * @param codes       rows×K signed codes
     * @param tokenScale  a_t per row (all equal for PER_TENSOR)
     * @param scales      Λ per scale block, K/block values
     * @param block       channels per scale block (1 for CHANNEL, K for OFF)
     */
    public record QuantizedActivation(int rows, int k, int[] codes, float[] tokenScale, float[] scales, int block) {}

    private final int k;
    private final Options opt;
    private final Hadamard rot;
    private final int block;
    private final long seed;

    /** @param seed seed of this layer's random signs (non-zero; ignored without random signs) */
    public Arq(int k, Options opt, long seed) {
        if (k < 1) throw new ShapeException("ARQ input width must be >= 1, got " + k);
        this.k = k;
        this.opt = opt;
        this.seed = seed;
        this.rot = opt.rotate() ? new Hadamard(k, Hadamard.defaultBlock(k, opt.rotationCap()), opt.randomSigns() ? (seed == 0 ? 1 : seed) : 0) : null;
        this.block = switch (opt.scaling()) {
            case CHANNEL -> 1;
            case OFF -> k;
            case BLOCK -> scaleBlockFor(k, opt.scaleBlock());
        };
    }

    /** The Λ block actually used for width k: {@code want} if it divides k, else the largest power of two dividing k not above it. */
    public static int scaleBlockFor(int k, int want) {
        if (k % want == 0) return want;
        return Hadamard.defaultBlock(k, want);
    }

    public int k() { return k; }
    public Options options() { return opt; }
    /** The seed this layer was built with (with K and the options it rebuilds the same ARQ; checkpoints). */
    public long seed() { return seed; }
    /** The Hadamard block, or 0 without rotation. */
    public int rotationBlock() { return rot == null ? 0 : rot.block(); }
    public int scaleBlock() { return block; }
    /** The rotation R, or null without rotation. */
    public Hadamard rotation() { return rot; }

    /** W ← W·R for an out×K weight (no-op without rotation). */
    public void rotateWeights(float[] w, int off, int rows) {
        checkWidth(w, off, rows);
        if (rot != null) rot.rotateRows(w, off, rows);
    }

    /** X ← X·R in place (no-op without rotation). */
    public void rotateActivations(float[] x, int off, int rows) {
        checkWidth(x, off, rows);
        if (rot != null) rot.rotateRows(x, off, rows);
    }

    /** Λ of rotated activations: max-abs over all tokens per block (floored at eps); K/block values. */
    public float[] scales(float[] xr, int off, int rows) {
        int nb = k / block;
        float[] s = new float[nb];
        if (opt.scaling() == Scaling.OFF) { Arrays.fill(s, 1f); return s; }
        Object lock = new Object();
        Parallel.range(rows, (from, to) -> {
            float[] m = new float[nb];
            for (int t = from; t < to; t++) {
                int base = off + t * k;
                for (int g = 0, j = 0; g < nb; g++) {
                    float mx = m[g];
                    for (int e = j + block; j < e; j++) mx = Math.max(mx, Math.abs(xr[base + j]));
                    m[g] = mx;
                }
            }
            synchronized (lock) { for (int g = 0; g < nb; g++) s[g] = Math.max(s[g], m[g]); } // max: order-free
        });
        float eps = (float) opt.eps();
        for (int g = 0; g < nb; g++) s[g] = Math.max(s[g], eps);
        return s;
    }

    /**
     * The per-channel shift μ of a call (option {@code center}): the mean over all its tokens of each input channel,
     * before rotation, accumulated in double row by row (deterministic for any thread count). ARQ quantizes
     * X − 1·μ and the layer adds μ·Wᵀ back in float ({@link ArqLinear}): a token-independent offset (a residual
     * channel's bias, an adaLN shift) then costs no quantization range. Null without centring.
     */
    public float[] shift(float[] x, int off, int rows) {
        if (!opt.center()) return null;
        checkWidth(x, off, rows);
        double[] acc = new double[k];
        Parallel.range(k, (from, to) -> { // split by channel: each channel still sums its rows in order
            for (int t = 0; t < rows; t++) for (int j = from, b = off + t * k; j < to; j++) acc[j] += x[b + j];
        });
        float[] mu = new float[k];
        if (rows > 0) for (int j = 0; j < k; j++) mu[j] = (float) (acc[j] / rows);
        return mu;
    }

    /** x[rows × K] − μ in place, row by row (no-op for a null μ). */
    public static void subtractShift(float[] x, int off, int rows, float[] mu) {
        if (mu == null) return;
        int k = mu.length;
        for (int t = 0; t < rows; t++) for (int j = 0, b = off + t * k; j < k; j++) x[b + j] -= mu[j];
    }

    /** True when {@code bits} means "no activation quantization". */
    public static boolean isFloat(int bits) { return bits <= 0 || bits >= 16; }

    /**
     * Rotates, scales and quantizes rows×K activations (the input is left unchanged).
     * Requires 2 ≤ bits ≤ 15.
     */
    public QuantizedActivation quantize(float[] x, int off, int rows, int bits) {
        checkWidth(x, off, rows);
        checkBits(bits);
        float[] xr = Arrays.copyOfRange(x, off, off + rows * k);
        int[] codes = new int[rows * k];
        Prepared p = prepare(xr, 0, rows, bits, null, Float.NaN);
        Parallel.range(rows, (from, to) -> {
            for (int t = from; t < to; t++) {
                double ia = 1.0 / p.a[t];
                for (int j = 0; j < k; j++) codes[t * k + j] = code(xr[t * k + j], ia, p.qmax);
            }
        });
        return new QuantizedActivation(rows, k, codes, p.a, p.s, block);
    }

    /**
     * Fake quantization in place: x ← Q_b(x·R·Λ⁻¹)·Λ, the activation that a float GEMM with the rotated,
     * dequantized weights turns into ARQ's output (the same codes as {@link #quantize}, without materialising
     * them). Float bits ({@link #isFloat}) only rotate.
     */
    public void fakeQuantize(float[] x, int off, int rows, int bits) { fakeQuantize(x, off, rows, bits, null, Float.NaN); }

    /**
     * Fake quantization of part of a call whose Λ ({@code callScales}, from {@link #callScales}) and, for
     * PER_TENSOR, maximum |x̃/Λ| ({@code callMax}, from {@link #callMaxScaled}) were computed over all its tokens;
     * null / NaN compute them from these rows. Lets a long call be processed in chunks of rows.
     */
    public void fakeQuantize(float[] x, int off, int rows, int bits, float[] callScales, float callMax) {
        checkWidth(x, off, rows);
        if (isFloat(bits)) { rotateActivations(x, off, rows); return; }
        checkBits(bits);
        Prepared p = prepare(x, off, rows, bits, callScales, callMax);
        Parallel.range(rows, (from, to) -> {
            for (int t = from; t < to; t++) {
                float at = p.a[t];
                double ia = 1.0 / at;
                for (int j = 0, b = off + t * k; j < k; j++) x[b + j] = code(x[b + j], ia, p.qmax) * at * p.s[j / block];
            }
        });
    }

    /** Λ, per-token scales a_t and q_max of a call; the activations are left rotated and divided by Λ. */
    private record Prepared(float[] s, float[] a, int qmax) {}

    /** Λ of a call computed {@code chunk} rows at a time on rotated copies (the input is not modified). */
    public float[] callScales(float[] x, int off, int rows, int chunk) { return callScales(x, off, rows, chunk, null); }

    /** {@link #callScales} of the call minus the shift {@code mu} (null: none). */
    public float[] callScales(float[] x, int off, int rows, int chunk, float[] mu) {
        checkWidth(x, off, rows);
        float[] s = null, buf = new float[Math.min(rows, chunk) * k];
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            int n = Math.min(chunk, rows - r0);
            System.arraycopy(x, off + r0 * k, buf, 0, n * k);
            subtractShift(buf, 0, n, mu);
            if (rot != null) rot.rotateRows(buf, 0, n);
            float[] c = scales(buf, 0, n); // eps-floored; max of floored maxima = floored maximum
            if (s == null) s = c;
            else for (int g = 0; g < s.length; g++) s[g] = Math.max(s[g], c[g]);
        }
        return s == null ? scales(buf, 0, 0) : s;
    }

    /** max over a call of |x̃·Λ⁻¹| (PER_TENSOR granularity), computed chunk by chunk like {@link #callScales}. */
    public float callMaxScaled(float[] x, int off, int rows, float[] callScales, int chunk) {
        return callMaxScaled(x, off, rows, callScales, chunk, null);
    }

    /** {@link #callMaxScaled} of the call minus the shift {@code mu} (null: none). */
    public float callMaxScaled(float[] x, int off, int rows, float[] callScales, int chunk, float[] mu) {
        checkWidth(x, off, rows);
        float[] inv = new float[callScales.length];
        for (int g = 0; g < inv.length; g++) inv[g] = 1f / callScales[g];
        float[] buf = new float[Math.min(rows, chunk) * k];
        float mx = 0;
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            int n = Math.min(chunk, rows - r0);
            System.arraycopy(x, off + r0 * k, buf, 0, n * k);
            subtractShift(buf, 0, n, mu);
            if (rot != null) rot.rotateRows(buf, 0, n);
            for (int i = 0; i < n * k; i++) mx = Math.max(mx, Math.abs(buf[i] * inv[(i % k) / block]));
        }
        return mx;
    }

    private Prepared prepare(float[] x, int off, int rows, int bits, float[] callScales, float callMax) {
        if (rot != null) rot.rotateRows(x, off, rows);
        float[] s = callScales != null ? callScales : scales(x, off, rows);
        float[] inv = new float[s.length];
        for (int g = 0; g < s.length; g++) inv[g] = 1f / s[g];
        int qmax = (1 << (bits - 1)) - 1;
        float[] a = new float[rows];
        Parallel.range(rows, (from, to) -> {
            for (int t = from; t < to; t++) {
                float mx = 0;
                for (int j = 0, b = off + t * k; j < k; j++) { float v = x[b + j] * inv[j / block]; x[b + j] = v; mx = Math.max(mx, Math.abs(v)); }
                a[t] = mx;
            }
        });
        if (opt.granularity() == Granularity.PER_TENSOR) {
            float mx = 0;
            for (float v : a) mx = Math.max(mx, v);
            Arrays.fill(a, Float.isNaN(callMax) ? mx : callMax);
        }
        float eps = (float) opt.eps();
        for (int t = 0; t < rows; t++) a[t] = Math.max(a[t], eps) / qmax;
        return new Prepared(s, a, qmax);
    }

    private static int code(float v, double invA, int qmax) {
        double q = Math.rint(v * invA);
        return (int) (q < -qmax ? -qmax : (q > qmax ? qmax : q));
    }

    private static void checkBits(int bits) {
        if (bits < 2 || bits > 15) throw new ConfigException("ARQ integer activations need 2..15 bits, got " + bits);
    }

    /**
     * The integer formulation (§3.5), a reference path: y[rows×out] from integer activation codes and the integer
     * BGR weight codes; int partial sums per segment where the Λ block and the weight group are both constant,
     * block scales s_g and weight scales Δ applied to the partial sums, zero points corrected with the per-token
     * segment sums of the activation codes. Accumulates in double; bias may be null.
     */
    public static void integerForward(QuantizedActivation xq, Bgr.Result w, float[] bias, float[] y, int yOff) {
        int k = xq.k(), out = w.rows();
        if (w.cols() != k) throw new ShapeException("ARQ integer path: weight is " + w.rows() + "×" + w.cols() + ", activations have K = " + k);
        int wg = w.groupSize(), gpr = w.groupsPerRow(), sb = xq.block();
        Parallel.range(xq.rows(), (from, to) -> {
            for (int t = from; t < to; t++) {
                int xo = t * k;
                for (int o = 0; o < out; o++) {
                    int wo = o * k;
                    double acc = 0;
                    long dot = 0, xs = 0;
                    for (int j = 0; j < k; j++) {
                        int xv = xq.codes()[xo + j];
                        dot += (long) xv * (w.codes()[wo + j] & 0xFF);
                        xs += xv;
                        if ((j + 1) % sb == 0 || (j + 1) % wg == 0) { // segment end: Λ block or weight group
                            int gi = o * gpr + j / wg;
                            acc += (double) xq.scales()[j / sb] * w.scales()[gi] * (dot - (double) w.zeros()[gi] * xs);
                            dot = 0;
                            xs = 0;
                        }
                    }
                    y[yOff + t * out + o] = (float) (xq.tokenScale()[t] * acc + (bias == null ? 0 : bias[o]));
                }
            }
        });
    }

    private void checkWidth(float[] x, int off, int rows) {
        if (rows < 0 || off < 0 || (long) off + (long) rows * k > x.length)
            throw new ShapeException("ARQ input of " + rows + " rows × K = " + k + " at offset " + off + " exceeds an array of " + x.length);
    }
}
