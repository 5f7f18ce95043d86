package io.vdq.quant;

import io.vdq.VdqException.ConfigException;
import io.vdq.tensor.Parallel;

/**
 * Uniform min/max quantizer on row-major {@code rows × cols} float matrices: parameter fitting
 * ({@link #fit}), integer codes ({@link #quantize}), dequantization and fake quantization (quantize then
 * dequantize, the accuracy reference). Rounding is half to even ({@link Math#rint}), as PyTorch's round.
 * Degenerate inputs stay finite: an all-zero unit gets scale 1 (codes 0), a constant unit is represented exactly
 * up to float rounding (asymmetric ranges always contain 0), and outliers only widen the scale. Work is split by
 * rows, so results do not depend on the thread count.
 */
public final class UniformQuantizer {
    private UniformQuantizer() {}

    /** Scales below this are treated as an all-zero unit (scale 1, every code 0). */
    static final double MIN_SCALE = Float.MIN_NORMAL;

    /** Min/max parameters for {@code x[off ..]} viewed as rows × cols. groupSize is used by PER_GROUP only. */
    public static QuantParams fit(float[] x, int off, int rows, int cols, int bits, boolean symmetric,
                                  Granularity g, int groupSize) {
        checkBits(bits);
        int gs = g == Granularity.PER_GROUP ? groupSize : cols;
        if (g == Granularity.PER_GROUP && groupSize < 1)
            throw new ConfigException("group size = " + groupSize + ": expected >= 1 for per_group");
        int n = g.count(rows, cols, gs);
        float[] scale = new float[n];
        int[] zero = new int[n];
        if (g == Granularity.PER_TENSOR) {
            double[] lo = new double[rows], hi = new double[rows];
            Parallel.range(rows, (from, to) -> {
                for (int r = from; r < to; r++) {
                    double[] mm = minMax(x, off + r * cols, cols);
                    lo[r] = mm[0]; hi[r] = mm[1];
                }
            });
            double mn = 0, mx = 0;
            for (int r = 0; r < rows; r++) { mn = Math.min(mn, lo[r]); mx = Math.max(mx, hi[r]); }
            setParams(mn, mx, bits, symmetric, scale, zero, 0);
        } else {
            int groups = Granularity.groupsPerRow(cols, gs);
            Parallel.range(rows, (from, to) -> {
                for (int r = from; r < to; r++) {
                    for (int gi = 0; gi < groups; gi++) {
                        int c0 = gi * gs, len = Math.min(gs, cols - c0);
                        double[] mm = minMax(x, off + r * cols + c0, len);
                        setParams(mm[0], mm[1], bits, symmetric, scale, zero, r * groups + gi);
                    }
                }
            });
        }
        return new QuantParams(bits, symmetric, g, g == Granularity.PER_GROUP ? groupSize : 0, rows, cols, scale, zero);
    }

    /** Parameters for one unit whose values lie in [lo, hi]; the range is widened to contain 0. */
    public static void setParams(double lo, double hi, int bits, boolean symmetric, float[] scale, int[] zero, int i) {
        lo = Math.min(lo, 0);
        hi = Math.max(hi, 0);
        if (symmetric) {
            double s = Math.max(-lo, hi) / ((1 << (bits - 1)) - 1);
            scale[i] = s < MIN_SCALE || !Double.isFinite(s) ? 1f : (float) s;
            zero[i] = 0;
        } else {
            int qmax = (1 << bits) - 1;
            double s = (hi - lo) / qmax;
            if (s < MIN_SCALE || !Double.isFinite(s)) { scale[i] = 1f; zero[i] = 0; return; }
            float sf = (float) s;
            scale[i] = sf;
            zero[i] = (int) Math.max(0, Math.min(qmax, Math.rint(-lo / sf)));
        }
    }

    /** Integer code of one value. */
    public static int code(float v, float scale, int zero, int qmin, int qmax) {
        double q = Math.rint(v / scale) + zero;
        return (int) Math.max(qmin, Math.min(qmax, q));
    }

    /** Integer codes of {@code x[off ..]} (rows × cols) into {@code q[qOff ..]}. */
    public static void quantize(float[] x, int off, int rows, int cols, QuantParams p, int[] q, int qOff) {
        p.requireFits(rows, cols, "quantize");
        int qmin = p.qmin(), qmax = p.qmax();
        Parallel.range(rows, (from, to) -> {
            for (int r = from; r < to; r++)
                for (int c = 0; c < cols; c++) {
                    int i = p.index(r, c);
                    q[qOff + r * cols + c] = code(x[off + r * cols + c], p.scale()[i], p.zero()[i], qmin, qmax);
                }
        });
    }

    /** Integer codes as a new array. */
    public static int[] quantize(float[] x, int off, int rows, int cols, QuantParams p) {
        int[] q = new int[rows * cols];
        quantize(x, off, rows, cols, p, q, 0);
        return q;
    }

    /** {@code y = scale·(q − zero)} for rows × cols codes. */
    public static void dequantize(int[] q, int qOff, int rows, int cols, QuantParams p, float[] y, int yOff) {
        p.requireFits(rows, cols, "dequantize");
        Parallel.range(rows, (from, to) -> {
            for (int r = from; r < to; r++)
                for (int c = 0; c < cols; c++) {
                    int i = p.index(r, c);
                    y[yOff + r * cols + c] = p.scale()[i] * (q[qOff + r * cols + c] - p.zero()[i]);
                }
        });
    }

    /** Fake quantization with given (static) parameters: {@code y = dequantize(quantize(x))}; y may alias x. */
    public static void fakeQuant(float[] x, int off, int rows, int cols, QuantParams p, float[] y, int yOff) {
        p.requireFits(rows, cols, "fake quant");
        int qmin = p.qmin(), qmax = p.qmax();
        Parallel.range(rows, (from, to) -> {
            for (int r = from; r < to; r++)
                for (int c = 0; c < cols; c++) {
                    int i = p.index(r, c);
                    float s = p.scale()[i];
                    int z = p.zero()[i];
                    y[yOff + r * cols + c] = s * (code(x[off + r * cols + c], s, z, qmin, qmax) - z);
                }
        });
    }

    /** Dynamic fake quantization: parameters are fitted to this very input, then applied; y may alias x. */
    public static void fakeQuantDynamic(float[] x, int off, int rows, int cols, int bits, boolean symmetric,
                                        Granularity g, int groupSize, float[] y, int yOff) {
        fakeQuant(x, off, rows, cols, fit(x, off, rows, cols, bits, symmetric, g, groupSize), y, yOff);
    }

    /** Min and max of n values as doubles (both 0 for n = 0). */
    static double[] minMax(float[] x, int off, int n) {
        double mn = Double.POSITIVE_INFINITY, mx = Double.NEGATIVE_INFINITY;
        for (int i = off; i < off + n; i++) { float v = x[i]; if (v < mn) mn = v; if (v > mx) mx = v; }
        return n == 0 ? new double[]{0, 0} : new double[]{mn, mx};
    }

    static void checkBits(int bits) {
        if (bits < 2 || bits > 8) throw new ConfigException("quantizer bits = " + bits + ": expected 2..8");
    }
}
