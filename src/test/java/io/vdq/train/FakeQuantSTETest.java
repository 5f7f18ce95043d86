package io.vdq.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Fake quantization: values by hand, and the straight-through gradient checked by finite differences of the
 * surrogate that PyTorch's {@code round_ste} differentiates: with the rounding residual c = rint(u₀) − u₀ and
 * the clamp pattern frozen at the evaluation point, y = x + Δ·c where in range and y = Δ·bound where clamped,
 * Δ = sigmoid(γ)·max|x_row|/qmax. The surrogate is written here in double, independently of the class.
 */
class FakeQuantSTETest {

    @Test
    void quantizesPerRowWithHalfToEvenAndClipping() {
        float[] x = {0.5f, -1.0f, 0.26f, 0.74f};
        float[] y = new float[4];
        // 3 bits: qmax 3, range [-4, 3]. γ = 30: sigmoid = 1 in float, Δ = 1/3, u = 1.5, −3, 0.78, 2.22
        FakeQuantSTE.perChannelWeight(3, FakeQuantSTE.clipParam("g", 1, 30f)).forward(x, 1, 4, y);
        float[] expected = {2 / 3f, -1f, 1 / 3f, 2 / 3f}; // rint(1.5) = 2 (half to even)
        for (int i = 0; i < 4; i++) assertEquals(expected[i], y[i], 1e-6, "element " + i);
        // γ = 0: α = 0.5, Δ = 1/6, u = 3, −6, 1.56, 4.44 → 3, −4 (clamped), 2, 3 (clamped)
        FakeQuantSTE.perChannelWeight(3, FakeQuantSTE.clipParam("g", 1, 0f)).forward(x, 1, 4, y);
        float[] clipped = {0.5f, -4 / 6f, 2 / 6f, 3 / 6f};
        for (int i = 0; i < 4; i++) assertEquals(clipped[i], y[i], 1e-6, "clipped element " + i);
    }

    @Test
    void perChannelWeightGradientMatchesStraightThroughSurrogate() {
        checkSurrogate(true, 4, 5, 12, 1.5f, 81);
    }

    @Test
    void perTokenActivationGradientMatchesStraightThroughSurrogate() {
        checkSurrogate(false, 6, 7, 10, 1.0f, 82);
    }

    private static void checkSurrogate(boolean perChannel, int bits, int rows, int cols, float gamma0, long seed) {
        int qmax = (1 << (bits - 1)) - 1;
        SplittableRandom rng = new SplittableRandom(seed);
        float[] x = GradCheck.randn(seed, rows * cols, 1);
        Param gamma = FakeQuantSTE.clipParam("clip", perChannel ? rows : 1, gamma0);
        for (int i = 0; i < gamma.size(); i++) gamma.v()[i] += (float) (0.5 * rng.nextDouble());
        FakeQuantSTE fq = perChannel ? FakeQuantSTE.perChannelWeight(bits, gamma) : FakeQuantSTE.perTokenActivation(bits, gamma);

        // base point: residuals, clamp pattern and bounds, computed here from the definition
        double[] c = new double[x.length], bound = new double[x.length];
        boolean[] in = new boolean[x.length];
        int clampedCount = 0;
        for (int r = 0; r < rows; r++) {
            double s = step(x, r, cols, gamma.v()[perChannel ? r : 0], qmax);
            for (int j = 0; j < cols; j++) {
                int i = r * cols + j;
                double u = (float) (x[i] / (float) s), q = Math.rint(u);
                in[i] = q >= -qmax - 1 && q <= qmax;
                c[i] = q - u;
                bound[i] = q > 0 ? qmax : -qmax - 1;
                if (!in[i]) clampedCount++;
            }
        }
        assertTrue(clampedCount > 0, "test data should exercise the clamp");

        double[] rw = new double[x.length];
        for (int i = 0; i < rw.length; i++) rw[i] = rng.nextDouble() * 2 - 1;
        float[] dy = new float[x.length], dx = new float[x.length];
        for (int i = 0; i < dy.length; i++) dy[i] = (float) rw[i];
        MatrixFn.Cache cache = fq.forward(x, rows, cols, new float[x.length]);
        gamma.zeroGrad();
        fq.backward(cache, dy, dx);

        double[] xd = new double[x.length], gd = new double[gamma.size()];
        for (int i = 0; i < x.length; i++) xd[i] = x[i];
        for (int i = 0; i < gd.length; i++) gd[i] = gamma.v()[i];
        double h = 1e-6;
        double err = 0, norm = 0;
        for (int i = 0; i < x.length; i++) {
            double o = xd[i];
            xd[i] = o + h; double fp = surrogate(xd, gd, rw, c, bound, in, rows, cols, qmax, perChannel);
            xd[i] = o - h; double fm = surrogate(xd, gd, rw, c, bound, in, rows, cols, qmax, perChannel);
            xd[i] = o;
            double gn = (fp - fm) / (2 * h);
            err += (gn - dx[i]) * (gn - dx[i]);
            norm += gn * gn;
        }
        assertTrue(Math.sqrt(err / norm) < 1e-3, "input gradient relative error " + Math.sqrt(err / norm));
        err = 0; norm = 0;
        for (int i = 0; i < gd.length; i++) {
            double o = gd[i];
            gd[i] = o + h; double fp = surrogate(xd, gd, rw, c, bound, in, rows, cols, qmax, perChannel);
            gd[i] = o - h; double fm = surrogate(xd, gd, rw, c, bound, in, rows, cols, qmax, perChannel);
            gd[i] = o;
            double gn = (fp - fm) / (2 * h);
            err += (gn - gamma.g()[i]) * (gn - gamma.g()[i]);
            norm += gn * gn;
        }
        assertTrue(norm > 0 && Math.sqrt(err / norm) < 1e-3, "clipping gradient relative error " + Math.sqrt(err / norm));
    }

    private static double step(float[] x, int r, int cols, double gamma, int qmax) {
        double m = 0;
        for (int j = 0; j < cols; j++) m = Math.max(m, Math.abs(x[r * cols + j]));
        return m / qmax / (1 + Math.exp(-gamma));
    }

    private static double surrogate(double[] x, double[] g, double[] rw, double[] c, double[] bound, boolean[] in,
                                    int rows, int cols, int qmax, boolean perChannel) {
        double l = 0;
        for (int r = 0; r < rows; r++) {
            double m = 0;
            for (int j = 0; j < cols; j++) m = Math.max(m, Math.abs(x[r * cols + j]));
            double s = m / qmax / (1 + Math.exp(-g[perChannel ? r : 0]));
            for (int j = 0; j < cols; j++) {
                int i = r * cols + j;
                double y = in[i] ? x[i] + s * c[i] : s * bound[i];
                l += rw[i] * y;
            }
        }
        return l;
    }

    @Test
    void linearLayerRoutesGradientsToQuantizerParameters() {
        ParamSet ps = new ParamSet();
        LinearLayer lin = new LinearLayer(ps, "blocks.0.ffn.net.2", 6, 3, true);
        GradCheck.randomize(ps, 90, 0.7);
        Param gw = FakeQuantSTE.clipParam("w_clip", 3, 4f), ga = FakeQuantSTE.clipParam("a_clip", 1, 4f);
        FakeQuantSTE wq = FakeQuantSTE.perChannelWeight(4, gw), aq = FakeQuantSTE.perTokenActivation(6, ga);
        lin.setWeightFn(wq);
        lin.setInputFn(aq);
        float[] x = GradCheck.randn(91, 4 * 6, 1), dy = GradCheck.randn(92, 4 * 3, 1);
        LinearLayer.Cache c = lin.forward(x, 4);
        // forward = Q_a(x)·Q_w(W)ᵀ + b, from the quantizers applied separately
        float[] xq = new float[x.length], wqv = new float[18];
        aq.forward(x, 4, 6, xq);
        wq.forward(lin.weight().v(), 3, 6, wqv);
        for (int r = 0; r < 4; r++)
            for (int o = 0; o < 3; o++) {
                double s = lin.bias().v()[o];
                for (int i = 0; i < 6; i++) s += (double) xq[r * 6 + i] * wqv[o * 6 + i];
                assertEquals(s, c.y()[r * 3 + o], 1e-5);
            }
        lin.backward(c, dy);
        double gwNorm = 0;
        for (float v : gw.g()) gwNorm += Math.abs(v);
        assertTrue(gwNorm > 0 && ga.g()[0] != 0f, "clipping parameters receive gradients through the linear layer");
    }

    @Test
    void perGroupWeightIsPerChannelOnTheRowsCutIntoGroups() {
        // rows × cols in groups of g along a row = (rows·cols/g) × g per channel, forward and backward (g divides cols)
        int rows = 3, cols = 12, g = 4, units = rows * cols / g;
        SplittableRandom r = new SplittableRandom(5);
        float[] x = new float[rows * cols], dy = new float[rows * cols];
        for (int i = 0; i < x.length; i++) { x[i] = (float) r.nextGaussian(); dy[i] = (float) r.nextGaussian(); }
        Param ga = FakeQuantSTE.clipParam("a", units, 1.5f), gb = FakeQuantSTE.clipParam("b", units, 1.5f);
        for (int u = 0; u < units; u++) { ga.v()[u] = 0.3f * u - 1; gb.v()[u] = 0.3f * u - 1; }
        FakeQuantSTE grouped = FakeQuantSTE.perGroupWeight(4, ga, g), channel = FakeQuantSTE.perChannelWeight(4, gb);
        float[] ya = new float[x.length], yb = new float[x.length], dxa = new float[x.length], dxb = new float[x.length];
        var ca = grouped.forward(x, rows, cols, ya);
        var cb = channel.forward(x, units, g, yb);
        assertArrayEquals(yb, ya);
        grouped.backward(ca, dy, dxa);
        channel.backward(cb, dy, dxb);
        assertArrayEquals(dxb, dxa);
        assertArrayEquals(gb.g(), ga.g());
        // a last group shorter than the others: 10 columns in groups of 4 = 4, 4, 2
        Param gc = FakeQuantSTE.clipParam("c", 3, 30f);
        float[] row = {1, 2, 3, 4, 0.5f, 0.25f, -1, 0.125f, 7, -3.5f}, y = new float[10];
        FakeQuantSTE.perGroupWeight(4, gc, 4).forward(row, 1, 10, y);
        // sigmoid(30) = 1 to float precision: Δ = max|group|/7; groups' maxima 4, 1, 7 → every value on its grid
        assertEquals(4f / 7 * Math.round(3 * 7 / 4f), y[2], 1e-6);
        assertEquals(-1f, y[6], 1e-6);
        assertEquals(-4f, y[9], 1e-6); // −3.5 on a grid of step 1 rounds half to even
    }
}
