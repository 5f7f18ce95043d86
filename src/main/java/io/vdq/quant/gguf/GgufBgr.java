package io.vdq.quant.gguf;

import io.vdq.io.gguf.GgmlBlocks;
import io.vdq.io.gguf.GgmlRefQuant;
import io.vdq.io.gguf.GgmlType;
import io.vdq.io.gguf.QBlock;

/**
 * Grid refinement for ggml blocks, in the spirit of DVD-Quant's BGR ({@code quant.dvd.Bgr}): for a fixed grid the
 * best codes are the rounded ones, and for fixed codes the best scale (and minimum) is a least-squares solution
 * in closed form; alternating the two never increases the error. A ggml block has a two-level grid, so one
 * iteration runs three closed-form steps, each accepted only when the block's exact decoded error falls:
 * <ol>
 * <li><b>sub-block scales</b> (K-quants): with the fp16 super-block scales D (and Dm) fixed, each sub-block's
 *     real scale a (and minimum b) is fitted by least squares to its current codes, rounded to the format's
 *     integer grid (6-bit, 4-bit or int8), and the 3×3 (3 without minima) integer neighbourhood is tried with the
 *     codes re-rounded for each;</li>
 * <li><b>super-block scales</b>: with the integer sub-block scales and the codes fixed, D (and Dm, or Q4_1/Q5_1's
 *     m) is fitted by least squares over the whole block, rounded to fp16, and the neighbouring fp16 values
 *     (±1 ulp) are tried, codes re-rounded for each;</li>
 * <li><b>codes</b>: re-rounded to the nearest grid point (inside 1 and 2).</li>
 * </ol>
 * It starts from ggml's reference encoding ({@link GgmlRefQuant}) and optionally from shrunken copies of it (the
 * bounded initialisation: D·α for α in 0.85..0.97), and returns the ref result unless a refined one has strictly lower error,
 * so per block it is never worse than ggml's reference. Errors are sums of w_i·(x_i − y_i)² in double over the
 * values the decoder produces ({@link GgmlBlocks#dequantize}); w is 1, or a per-element importance (e.g. the
 * mean square of the calibration activations of each input column, as llama.cpp's imatrix).
 */
public final class GgufBgr {
    private GgufBgr() {}

    /** Refinement iterations per start. */
    public static final int ITERATIONS = 8;
    /** Starting points: ggml's reference result with its super-block scale shrunk by these factors. */
    private static final float[] ALPHAS = {1f, 0.94f, 0.88f, 0.97f, 0.91f, 0.85f};
    /** Starts used by default: the reference result alone (more starts gain 0.3–2 % of error for 3–6× the time). */
    public static final int DEFAULT_STARTS = 1;

    /** Encodes {@code n} values of {@code x[off..]} (a multiple of the block size); {@code w} is null or per value. */
    public static byte[] encode(GgmlType t, float[] x, int off, int n, float[] w, int wOff) {
        if (!t.quantized()) return GgmlRefQuant.encode(t, x, off, n);
        byte[] out = new byte[Math.toIntExact(t.rowBytes(n))];
        Encoder e = new Encoder(t, DEFAULT_STARTS);
        for (int b = 0; b < n / t.blockSize; b++) {
            e.encode(x, off + b * t.blockSize, w, w == null ? 0 : wOff + b * t.blockSize);
            GgmlBlocks.pack(e.best, out, b * t.typeSize);
        }
        return out;
    }

    public static byte[] encode(GgmlType t, float[] x, int off, int n) { return encode(t, x, off, n, null, 0); }

    /**
     * The weights used for one layer from its calibration inputs' per-column mean squares ({@code quant.calib.ColumnImportance}):
     * importance divided by its mean, plus a floor of 1e-3 so that columns never excited in calibration still count a
     * little (their weights would otherwise be free to take any value).
     */
    public static float[] weights(float[] meanSquare) {
        double mean = 0;
        for (float v : meanSquare) mean += v;
        mean /= Math.max(1, meanSquare.length);
        float[] w = new float[meanSquare.length];
        for (int i = 0; i < w.length; i++) w[i] = (float) (mean > 0 ? meanSquare[i] / mean + 1e-3 : 1);
        return w;
    }

    /** Per-block encoder with its scratch state; not thread-safe (use one per thread). */
    public static final class Encoder {
        final GgmlType t;
        final Grid g;
        /** The block chosen by the last {@link #encode}. */
        public final QBlock best;
        final QBlock ref, cur, trial;
        final float[] y;
        float[] x, w;
        int xo, wo;
        /** Errors of the last block: ggml's reference and the chosen result. */
        public double refError, bestError;

        final int starts;

        public Encoder(GgmlType t) { this(t, DEFAULT_STARTS); }

        /** @param starts 1 to 6 starting points (the reference result, then shrunken copies of it) */
        public Encoder(GgmlType t, int starts) {
            if (starts < 1 || starts > ALPHAS.length) throw new IllegalArgumentException("starts must be 1.." + ALPHAS.length);
            this.starts = starts;
            this.t = t;
            this.g = Grid.of(t);
            this.best = new QBlock(t);
            this.ref = new QBlock(t);
            this.cur = new QBlock(t);
            this.trial = new QBlock(t);
            this.y = new float[t.blockSize];
        }

        public void encode(float[] x, int xo, float[] w, int wo) {
            this.x = x;
            this.xo = xo;
            this.w = w;
            this.wo = wo;
            GgmlRefQuant.quantizeBlock(x, xo, ref);
            refError = error(ref);
            best.copyFrom(ref);
            bestError = refError;
            if (refError == 0) return;
            for (int a = 0; a < starts; a++) {
                float alpha = ALPHAS[a];
                cur.copyFrom(ref);
                if (alpha != 1f) {
                    cur.d = f2h(h2f(ref.d) * alpha);
                    recodeAll(cur);
                }
                double e = refine(cur, error(cur));
                if (e < bestError) {
                    bestError = e;
                    best.copyFrom(cur);
                }
            }
        }

        private double refine(QBlock k, double err) {
            for (int it = 0; it < ITERATIONS; it++) {
                double before = err;
                if (g.subScales) err = subBlockStep(k, err);
                err = superStep(k, err);
                if (!(err < before * (1 - 1e-9))) break;
            }
            return err;
        }

        /** The weighted squared error of the decoded block, through the decoder itself. */
        double error(QBlock k) {
            GgmlBlocks.dequantize(k, y, 0);
            double e = 0;
            for (int i = 0; i < y.length; i++) {
                double d = (double) x[xo + i] - y[i];
                e += weight(i) * d * d;
            }
            return e;
        }

        private double weight(int i) { return w == null ? 1 : w[wo + i]; }

        /** Step 1: least-squares sub-block scale (and min), rounded to the integer grid, ±1 neighbourhood. */
        private double subBlockStep(QBlock k, double total) {
            float D = h2f(k.d), M = h2f(k.dmin);
            if (D == 0 || !Float.isFinite(D) || !Float.isFinite(M)) return total;
            int n = g.subSize;
            double sum = 0;
            for (int j = 0; j < g.subs; j++) {
                int base = j * n;
                // least squares of x ≈ a·c − b over the sub-block (b = 0 without minima)
                double sw = 0, sc = 0, scc = 0, sx = 0, scx = 0;
                for (int i = 0; i < n; i++) {
                    double wi = weight(base + i), c = k.q[base + i] - g.qOff, xi = x[xo + base + i];
                    sw += wi; sc += wi * c; scc += wi * c * c; sx += wi * xi; scx += wi * c * xi;
                }
                double a = Double.NaN, b = 0;
                if (g.hasMin) {
                    double det = sw * scc - sc * sc;
                    if (det > 0) {
                        a = (sw * scx - sc * sx) / det;
                        b = (sc * scx - scc * sx) / det;   // x ≈ a·c − b
                    }
                } else if (scc > 0) {
                    a = scx / scc;
                }
                double bestSub = g.subError(this, k, j, D, M);
                if (Double.isNaN(a)) { sum += bestSub; continue; }
                int s0 = clampInt(Math.rint(a / D)) + g.scOff;
                int m0 = g.hasMin && M != 0 ? clampInt(Math.rint(b / M)) : k.mn[j];
                int bestS = k.sc[j], bestM = k.mn[j];
                System.arraycopy(k.q, base, qSave, 0, n);
                for (int ds = -1; ds <= 1; ds++) {
                    for (int dm = (g.hasMin ? -1 : 0); dm <= (g.hasMin ? 1 : 0); dm++) {
                        int s = s0 + ds, m = m0 + dm;
                        if (s < g.scMin || s > g.scMax || (g.hasMin && (m < 0 || m > g.mnMax))) continue;
                        if (s == bestS && m == bestM) continue;
                        k.sc[j] = s;
                        k.mn[j] = m;
                        g.recode(this, k, j, D, M);
                        double e = g.subError(this, k, j, D, M);
                        if (e < bestSub) {
                            bestSub = e;
                            bestS = s;
                            bestM = m;
                            System.arraycopy(k.q, base, qSave, 0, n);
                        }
                    }
                }
                k.sc[j] = bestS;
                k.mn[j] = bestM;
                System.arraycopy(qSave, 0, k.q, base, n);
                sum += bestSub;
            }
            return sum;
        }

        /** Step 2: least-squares fp16 super-block scale(s) for fixed integer sub-scales and codes, ±1 ulp each. */
        private double superStep(QBlock k, double err) {
            double suu = 0, suv = 0, svv = 0, sux = 0, svx = 0;
            for (int j = 0; j < g.subs; j++) {
                double sj = g.scaleOf(k, j), v = g.minCoef(k, j);
                for (int i = j * g.subSize; i < (j + 1) * g.subSize; i++) {
                    double wi = weight(i), xi = x[xo + i];
                    double u = sj * (k.q[i] - g.qOff);   // y = D·u + M·v
                    suu += wi * u * u; suv += wi * u * v; svv += wi * v * v; sux += wi * u * xi; svx += wi * v * xi;
                }
            }
            double dStar, mStar = h2f(k.dmin);
            boolean fitMin = g.hasMin && svv > 0;
            if (fitMin) {
                double det = suu * svv - suv * suv;
                if (!(det > 0)) return err;
                dStar = (sux * svv - suv * svx) / det;
                mStar = (suu * svx - suv * sux) / det;
            } else {
                if (!(suu > 0)) return err;
                dStar = (sux - (g.hasMin ? suv * h2f(k.dmin) : 0)) / suu;
            }
            short d0 = f2h((float) dStar), m0 = fitMin ? f2h((float) mStar) : k.dmin;
            double best = err;
            short bd = k.d, bm = k.dmin;
            System.arraycopy(k.q, 0, qBest, 0, k.q.length);
            int[][] moves = fitMin ? MOVES_2D : MOVES_1D;
            trial.copyFrom(k);
            for (int[] mv : moves) {
                short dc = (short) (d0 + mv[0]), mc = (short) (m0 + mv[1]);
                if (!finite(dc) || !finite(mc) || (dc == k.d && mc == k.dmin)) continue;
                trial.d = dc;
                trial.dmin = mc;
                float D = h2f(dc), M = h2f(mc);
                double e = 0;
                for (int j = 0; j < g.subs && e < best; j++) {
                    g.recode(this, trial, j, D, M);
                    e += g.subError(this, trial, j, D, M);
                }
                if (e < best) {
                    best = e;
                    bd = dc;
                    bm = mc;
                    System.arraycopy(trial.q, 0, qBest, 0, k.q.length);
                }
            }
            k.d = bd;
            k.dmin = bm;
            System.arraycopy(qBest, 0, k.q, 0, k.q.length);
            return best;
        }

        private void recodeAll(QBlock k) {
            float D = h2f(k.d), M = h2f(k.dmin);
            for (int j = 0; j < g.subs; j++) g.recode(this, k, j, D, M);
        }

        private final int[] qSave = new int[32];
        private final int[] qBest = new int[256];
    }

    private static final int[][] MOVES_1D = {{0, 0}, {-1, 0}, {1, 0}};
    private static final int[][] MOVES_2D = {{0, 0}, {-1, 0}, {1, 0}, {0, -1}, {0, 1}, {-1, -1}, {1, 1}, {-1, 1}, {1, -1}};

    private static int clampInt(double v) { return (int) Math.max(-1e6, Math.min(1e6, v)); }

    static float h2f(short h) { return Float.float16ToFloat(h); }

    static short f2h(float f) { return Float.floatToFloat16(f); }

    static boolean finite(short h) { return (h & 0x7c00) != 0x7c00; }

    /** The grid of one format: code range, sub-blocks and their integer scale/min ranges. */
    record Grid(GgmlType t, int subs, int subSize, boolean subScales, boolean hasMin, int scMin, int scMax, int scOff,
                int mnMax, int qMin, int qMax, int qOff) {
        static Grid of(GgmlType t) {
            int subs = QBlock.subBlocks(t), size = t.blockSize / subs;
            int qMin = QBlock.minCode(t), qMax = QBlock.maxCode(t), qOff = QBlock.zeroCode(t);
            return switch (t) {
                case Q8_0, Q4_0, Q5_0 -> new Grid(t, 1, 32, false, false, 0, 0, 0, 0, qMin, qMax, qOff);
                case Q4_1, Q5_1 -> new Grid(t, 1, 32, false, true, 0, 0, 0, 0, qMin, qMax, 0);
                case Q2_K -> new Grid(t, subs, size, true, true, 0, 15, 0, 15, qMin, qMax, 0);
                case Q4_K, Q5_K -> new Grid(t, subs, size, true, true, 0, 63, 0, 63, qMin, qMax, 0);
                case Q3_K -> new Grid(t, subs, size, true, false, 0, 63, 32, 0, qMin, qMax, qOff);
                case Q6_K -> new Grid(t, subs, size, true, false, -128, 127, 0, 0, qMin, qMax, qOff);
                default -> throw new IllegalArgumentException(t.name());
            };
        }

        /** The integer multiplier of D in sub-block j (1 for the legacy formats). */
        int scaleOf(QBlock k, int j) { return subScales ? k.sc[j] - scOff : 1; }

        /** The coefficient of M (the dmin / m field) in y: −mn for the K-quants, +1 for Q4_1/Q5_1, 0 otherwise. */
        double minCoef(QBlock k, int j) {
            if (!hasMin) return 0;
            return subScales ? -k.mn[j] : 1;
        }

        /** The decoder's per-sub-block step dl and offset ml: value = dl·(q − qOff) − ml, bit for bit. */
        float dl(QBlock k, float D, int j) {
            return switch (t) {
                case Q8_0, Q4_0, Q5_0, Q4_1, Q5_1 -> D;
                case Q3_K -> D * (k.sc[j] - 32);
                default -> D * k.sc[j];
            };
        }

        float ml(QBlock k, float M, int j) {
            if (!hasMin) return 0f;
            return subScales ? M * k.mn[j] : -M;
        }

        /** Nearest code of every element of sub-block j for the given scales. */
        void recode(Encoder e, QBlock k, int j, float D, float M) {
            float dl = dl(k, D, j), ml = ml(k, M, j);
            int cMin = qMin - qOff, cMax = qMax - qOff;
            for (int i = j * subSize; i < (j + 1) * subSize; i++) {
                int c = 0;
                if (dl != 0) {
                    double r = Math.rint(((double) e.x[e.xo + i] + ml) / dl);
                    c = (int) Math.max(cMin, Math.min(cMax, r));
                }
                k.q[i] = c + qOff;
            }
        }

        /** Weighted squared error of sub-block j, values computed as the decoder does. */
        double subError(Encoder e, QBlock k, int j, float D, float M) {
            float dl = dl(k, D, j), ml = ml(k, M, j);
            double s = 0;
            for (int i = j * subSize; i < (j + 1) * subSize; i++) {
                float v = dl * (k.q[i] - qOff) - ml;
                double d = (double) e.x[e.xo + i] - v;
                s += (e.w == null ? 1 : e.w[e.wo + i]) * d * d;
            }
            return s;
        }
    }
}
