package io.vdq.quant.dvd;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ConfigException;
import io.vdq.tensor.Parallel;
import io.vdq.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BgrTest {
    static float[] gaussian(long seed, int n) { return Tensor.randn(seed, n).data(); }

    /** Student-t(ν) samples: Z / sqrt(χ²_ν / ν). */
    static float[] studentT(long seed, int n, int nu) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] z = new float[nu + 1];
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            Tensor.fillGaussian(r, z, 0, nu + 1);
            double chi = 0;
            for (int j = 1; j <= nu; j++) chi += z[j] * z[j];
            out[i] = (float) (z[0] / Math.sqrt(chi / nu));
        }
        return out;
    }

    /** Independent MinMax: range widened to contain 0, Δ = (max − min)/q_max as float, z = rint(−min/Δ). */
    static double minMaxReference(float[] w, int off, int n, int bits) {
        float mn = 0, mx = 0;
        for (int i = 0; i < n; i++) { mn = Math.min(mn, w[off + i]); mx = Math.max(mx, w[off + i]); }
        return mx == mn ? 0 : boundedReference(w, off, n, bits, 1, 1);   // the bounded grid with no shrink
    }

    @Test
    void stagesNeverGetWorseAndRefinementHelpsOnGaussianRows() {
        int rows = 24, cols = 3072; // the doc's §2.6 simulation: 256×3072, about 37 %
        float[] w = gaussian(5, rows * cols);
        assertStageOrdering(w, rows, cols, 0.30, 0.45);
    }

    @Test
    void stagesNeverGetWorseAndRefinementHelpsMoreOnHeavyTailedRows() {
        int rows = 24, cols = 3072; // the doc's §2.6 simulation: Student-t(6), about 52 %
        float[] w = studentT(6, rows * cols, 6);
        assertStageOrdering(w, rows, cols, 0.44, 0.60);
    }

    /** refined ≤ bounded ≤ MinMax on every row; mean reduction vs MinMax within [lo, hi] (doc §2.6: 37 % / 52 %). */
    private static void assertStageOrdering(float[] w, int rows, int cols, double lo, double hi) {
        Bgr.Options o = Bgr.Options.DEFAULTS;
        double[] st = new double[4];
        double sumRed = 0;
        for (int r = 0; r < rows; r++) {
            Bgr.Fit f = Bgr.fitGroup(w, r * cols, cols, o, st);
            assertEquals(minMaxReference(w, r * cols, cols, 4), f.minMax(), 1e-9 * f.minMax(), "MinMax row " + r);
            assertTrue(f.init() <= f.minMax(), "bounded > MinMax on row " + r);
            assertTrue(f.refined() <= f.init(), "refined > bounded on row " + r);
            sumRed += 1 - f.refined() / f.minMax();
        }
        double meanRed = sumRed / rows;
        assertTrue(meanRed > lo && meanRed < hi, "mean reduction vs MinMax " + meanRed + " outside [" + lo + ", " + hi + "]");
        Bgr.LayerError e = Bgr.quantize(w, 0, rows, cols, o).error();
        assertTrue(e.refined() < e.boundedInit() && e.boundedInit() < e.minMax(), e.toString());
    }

    @Test
    void closedFormStepEqualsBruteForceLeastSquares() {
        int n = 300;
        float[] w = gaussian(9, n);
        SplittableRandom r = new SplittableRandom(3);
        int[] q = new int[n];
        double z = 7;  // codes correlated with w (a perturbed rounding), so the optimum is an interior positive step
        for (int i = 0; i < n; i++) q[i] = (int) Math.min(15, Math.max(0, Math.rint(w[i] / 0.4 + z) + r.nextInt(3) - 1));
        double step = Bgr.leastSquaresStep(w, 0, n, q, z);
        // Independent: ternary search of the convex 1-D objective on [−10, 10].
        double a = -10, b = 10;
        for (int it = 0; it < 200; it++) {
            double m1 = a + (b - a) / 3, m2 = b - (b - a) / 3;
            if (sse(w, q, z, m1) < sse(w, q, z, m2)) b = m2; else a = m1;
        }
        double brute = 0.5 * (a + b);
        assertEquals(brute, step, 1e-9 + 1e-6 * Math.abs(brute));
        assertTrue(sse(w, q, z, step) <= sse(w, q, z, step * 1.001) && sse(w, q, z, step) <= sse(w, q, z, step * 0.999));
    }

    private static double sse(float[] w, int[] q, double z, double d) {
        double s = 0;
        for (int i = 0; i < w.length; i++) { double e = w[i] - d * (q[i] - z); s += e * e; }
        return s;
    }

    @Test
    void codesStayInRangeAndDequantizedValuesMatchTheReportedError() {
        for (int bits : new int[]{2, 3, 4, 8}) {
            int rows = 6, cols = 256;
            float[] w = studentT(bits, rows * cols, 3);
            Bgr.Result res = Bgr.quantize(w, 0, rows, cols, Bgr.Options.DEFAULTS.withBits(bits));
            int qmax = (1 << bits) - 1;
            double e = 0;
            for (int r = 0; r < rows; r++) {
                float d = res.scales()[r], z = res.zeros()[r];
                assertTrue(d > 0, "scale row " + r);
                assertEquals(Math.rint(z), z, 0.0, "integer zero point");
                assertTrue(z >= 0 && z <= qmax);
                for (int c = 0; c < cols; c++) {
                    int q = res.codes()[r * cols + c] & 0xFF;
                    assertTrue(q >= 0 && q <= qmax, "code " + q + " at bits " + bits);
                    assertEquals((float) (d * (q - (double) z)), res.dequantized()[r * cols + c], 0f);
                    double diff = (double) w[r * cols + c] - res.dequantized()[r * cols + c];
                    e += diff * diff;
                }
            }
            assertEquals(e, res.error().refined(), 1e-9 * e, "bits " + bits);
        }
    }

    @Test
    void groupsAreQuantizedExactlyLikeSeparateRows() {
        int rows = 4, cols = 512, g = 128;
        float[] w = studentT(11, rows * cols, 5);
        Bgr.Result grouped = Bgr.quantize(w, 0, rows, cols, Bgr.Options.DEFAULTS.withGroupSize(g));
        assertEquals(rows * cols / g, grouped.scales().length);
        double sum = 0;
        for (int r = 0; r < rows; r++) for (int j = 0; j < cols / g; j++) {
            float[] part = java.util.Arrays.copyOfRange(w, r * cols + j * g, r * cols + (j + 1) * g);
            Bgr.Result single = Bgr.quantize(part, 0, 1, g, Bgr.Options.DEFAULTS);
            assertEquals(single.scales()[0], grouped.scales()[r * cols / g + j], 0f);
            assertEquals(single.zeros()[0], grouped.zeros()[r * cols / g + j], 0f);
            sum += single.error().refined();
        }
        assertEquals(sum, grouped.error().refined(), 1e-9 * sum);
        assertThrows(ConfigException.class, () -> Bgr.quantize(w, 0, rows, cols, Bgr.Options.DEFAULTS.withGroupSize(100)));
    }

    @Test
    void fixedAlphaInitialisationIsTheClippedMinMax() {
        int n = 2048;
        float[] w = gaussian(21, n);
        Bgr.Fit f = Bgr.fitGroup(w, 0, n, Bgr.Options.DEFAULTS.withFixedAlpha(0.9), new double[4]);
        float mn = 0, mx = 0;
        for (float v : w) { mn = Math.min(mn, v); mx = Math.max(mx, v); }
        float d = (float) ((0.9 * mx - 0.9 * mn) / 15);
        double z = Math.rint(-0.9 * mn / d), e = 0;
        for (float v : w) {
            double q = Math.min(15, Math.max(0, Math.rint(v / (double) d + z)));
            double r = v - (float) (d * (q - z));
            e += r * r;
        }
        assertEquals(e, f.init(), 1e-9 * e);
        assertTrue(f.refined() <= f.init());
    }

    @Test
    void realZeroPointIsNoWorseOnAverage() {
        int rows = 32, cols = 512;
        float[] w = studentT(13, rows * cols, 6);
        double integer = Bgr.quantize(w, 0, rows, cols, Bgr.Options.DEFAULTS).error().refined();
        Bgr.Result real = Bgr.quantize(w, 0, rows, cols, Bgr.Options.DEFAULTS.withRealZeroPoint(true));
        assertTrue(real.error().refined() <= integer * 1.001, real.error().refined() + " vs " + integer);
        boolean fractional = false;
        for (float z : real.zeros()) fractional |= z != Math.rint(z);
        assertTrue(fractional, "real zero points should not all be integers");
    }

    @Test
    void degenerateRowsGiveFiniteExactResults() {
        int cols = 64;
        float[] w = new float[3 * cols];
        for (int c = 0; c < cols; c++) { w[cols + c] = 0.37f; w[2 * cols + c] = c == 5 ? 1e4f : 1e-3f; }
        Bgr.Result res = Bgr.quantize(w, 0, 3, cols, Bgr.Options.DEFAULTS);
        for (int c = 0; c < cols; c++) assertEquals(0f, res.dequantized()[c], 0f, "zero row");
        for (int c = 0; c < cols; c++) assertEquals(0.37f, res.dequantized()[cols + c], 1e-6f, "constant row");
        assertEquals(1e4f, res.dequantized()[2 * cols + 5], 1e4f * 1e-3f, "outlier kept");
        for (float v : res.dequantized()) assertTrue(Float.isFinite(v));
        for (float s : res.scales()) assertTrue(Float.isFinite(s) && s > 0);
    }

    @Test
    void resultDoesNotDependOnThreadCount() {
        int rows = 16, cols = 256;
        float[] w = studentT(17, rows * cols, 4);
        int t = Parallel.threads();
        try {
            Parallel.setThreads(1);
            Bgr.Result one = Bgr.quantize(w, 0, rows, cols, Bgr.Options.DEFAULTS);
            Parallel.setThreads(3);
            Bgr.Result three = Bgr.quantize(w, 0, rows, cols, Bgr.Options.DEFAULTS);
            assertArrayEquals(one.codes(), three.codes());
            assertArrayEquals(one.scales(), three.scales());
            assertEquals(one.error(), three.error());
        } finally {
            Parallel.setThreads(t);
        }
    }

    /** Independent bounded init: range [α_l·min, α_u·max] (widened to contain 0), Δ as float, z = rint(−lo/Δ) clamped. */
    static double boundedReference(float[] w, int off, int n, int bits, double al, double au) {
        int qmax = (1 << bits) - 1;
        double mn = 0, mx = 0;
        for (int i = 0; i < n; i++) { mn = Math.min(mn, w[off + i]); mx = Math.max(mx, w[off + i]); }
        double lo = al * mn, hi = au * mx;
        float d = (float) ((hi - lo) / qmax);
        double z = Math.rint(Math.min(qmax, Math.max(0, -lo / d)));
        double e = 0;
        for (int i = 0; i < n; i++) {
            double q = Math.min(qmax, Math.max(0, Math.rint(w[off + i] / (double) d + z)));
            double r = w[off + i] - (float) (d * (q - z));
            e += r * r;
        }
        return e;
    }

    @Test
    void boundedInitSearchesTheLowerAndUpperShrinkSeparately() {
        // An asymmetric row: a uniform negative half and an exponential (long-tailed) positive half, interleaved.
        int n = 512;
        float[] w = new float[n];
        for (int j = 0; j < 256; j++) {
            w[2 * j] = (float) (-(j + 0.5) / 256);
            w[2 * j + 1] = (float) (-Math.log(1 - (j + 0.5) / 256) / 2);
        }
        double bestSep = Double.MAX_VALUE, bestTied = Double.MAX_VALUE;
        for (int kl = 0; kl <= 10; kl++)
            for (int ku = 0; ku <= 10; ku++) {
                double e = boundedReference(w, 0, n, 4, 1 - 0.05 * kl, 1 - 0.05 * ku);
                bestSep = Math.min(bestSep, e);
                if (kl == ku) bestTied = Math.min(bestTied, e);
            }
        Bgr.Fit sep = Bgr.fitGroup(w, 0, n, Bgr.Options.DEFAULTS, new double[4]);
        Bgr.Fit tied = Bgr.fitGroup(w, 0, n, Bgr.Options.DEFAULTS.withSeparateBounds(false), new double[4]);
        assertEquals(bestSep, sep.init(), 1e-9 * bestSep, "separate: the minimum over the 11 × 11 grid");
        assertEquals(bestTied, tied.init(), 1e-9 * bestTied, "tied (the pre-#25 default): the minimum over the diagonal");
        // src/test/python/bgr_bounds_expected.py: separate 2.53850 at (α_l, α_u) = (0.95, 0.80), tied 2.55266 at 0.85,
        // MinMax 3.29170
        assertEquals(2.538503835545418, sep.init(), 1e-6);
        assertEquals(2.552663695391617, tied.init(), 1e-6);
        assertEquals(3.291697689798408, sep.minMax(), 1e-6);
        assertTrue(sep.refined() <= sep.init() && tied.refined() <= tied.init());
    }

    @Test
    void separateBoundsAreNeverWorseThanTiedOnEveryRow() {
        int rows = 16, cols = 1024;
        float[] w = studentT(8, rows * cols, 4);
        double[] st = new double[4];
        for (int r = 0; r < rows; r++) {
            Bgr.Fit sep = Bgr.fitGroup(w, r * cols, cols, Bgr.Options.DEFAULTS, st);
            Bgr.Fit tied = Bgr.fitGroup(w, r * cols, cols, Bgr.Options.DEFAULTS.withSeparateBounds(false), st);
            assertTrue(sep.init() <= tied.init(), "row " + r);
            assertTrue(tied.init() <= tied.minMax(), "row " + r);
        }
    }
}
