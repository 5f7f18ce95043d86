package io.vdq.quant.dvd;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class ArqTest {
    /** Activations with a few large outlier channels, as DiT activations have. */
    static float[] activations(long seed, int rows, int k) {
        float[] x = Tensor.randn(seed, rows, k).data();
        for (int t = 0; t < rows; t++) { x[t * k + 3] *= 40; x[t * k + k / 2] *= 25; x[t * k + k - 1] += 6; }
        return x;
    }

    /** y = x·wᵀ + b in double (independent of the kernels). */
    static double[] matmul(float[] x, float[] w, float[] b, int rows, int k, int out) {
        double[] y = new double[rows * out];
        for (int t = 0; t < rows; t++) for (int o = 0; o < out; o++) {
            double s = b == null ? 0 : b[o];
            for (int j = 0; j < k; j++) s += (double) x[t * k + j] * w[o * k + j];
            y[t * out + o] = s;
        }
        return y;
    }

    static double relErr(double[] ref, double[] got) {
        double n = 0, d = 0;
        for (int i = 0; i < ref.length; i++) { n += (ref[i] - got[i]) * (ref[i] - got[i]); d += ref[i] * ref[i]; }
        return Math.sqrt(n / d);
    }

    static double[] toDouble(float[] a) { double[] d = new double[a.length]; for (int i = 0; i < a.length; i++) d[i] = a[i]; return d; }

    @Test
    void floatActivationsReproduceTheFloatLinearThroughTheRotation() {
        int rows = 7, k = 96, out = 5; // Hadamard block 32
        float[] x = activations(1, rows, k), w = Tensor.randn(2, out, k).data(), b = Tensor.randn(3, out).data();
        double[] ref = matmul(x, w, b, rows, k, out);
        Arq arq = new Arq(k, Arq.Options.DEFAULTS, 42);
        assertEquals(32, arq.rotationBlock());
        float[] wr = w.clone(), xr = x.clone();
        arq.rotateWeights(wr, 0, out);
        arq.fakeQuantize(xr, 0, rows, 16);
        assertEquals(0, relErr(ref, matmul(xr, wr, b, rows, k, out)), 1e-6);
    }

    @Test
    void scalesAreTheMaxAbsOverAllTokensOfEachBlock() {
        int rows = 5, k = 64;
        float[] x = activations(4, rows, k);
        for (int blk : new int[]{1, 16, 64}) {
            Arq arq = new Arq(k, Arq.Options.DEFAULTS.withRotate(false).withScaleBlock(blk), 1);
            float[] s = arq.scales(x, 0, rows);
            assertEquals(k / blk, s.length);
            for (int g = 0; g < k / blk; g++) {
                float m = 0;
                for (int t = 0; t < rows; t++) for (int j = g * blk; j < (g + 1) * blk; j++) m = Math.max(m, Math.abs(x[t * k + j]));
                assertEquals(m, s[g], 0f, "block " + g + " of " + blk);
            }
        }
        Arq ch = new Arq(k, Arq.Options.DEFAULTS.withScaling(Arq.Scaling.CHANNEL), 1);
        assertEquals(k, ch.scales(x, 0, rows).length);
        assertEquals(8, new Arq(24, Arq.Options.DEFAULTS, 1).scaleBlock(), "block clipped to a divisor of K");
        float[] zeros = new float[2 * k];
        for (float v : ch.scales(zeros, 0, 2)) assertEquals(1e-8f, v, 0f, "eps floor");
    }

    @Test
    void codesAreSymmetricAndEachTokenReachesItsRange() {
        int rows = 6, k = 128;
        float[] x = activations(5, rows, k);
        for (int bits : new int[]{4, 6, 8}) {
            Arq.QuantizedActivation q = new Arq(k, Arq.Options.DEFAULTS, 9).quantize(x, 0, rows, bits);
            int qmax = (1 << (bits - 1)) - 1;
            for (int t = 0; t < rows; t++) {
                int m = 0;
                for (int j = 0; j < k; j++) { int c = q.codes()[t * k + j]; assertTrue(Math.abs(c) <= qmax); m = Math.max(m, Math.abs(c)); }
                assertEquals(qmax, m, "token " + t + " at " + bits + " bits uses the full range");
            }
        }
    }

    @Test
    void integerFormulationEqualsTheFakeQuantPath() {
        int rows = 9, k = 256, out = 12;
        float[] x = activations(6, rows, k), w = BgrTest.studentT(7, out * k, 4), b = Tensor.randn(8, out).data();
        Arq.Options[] variants = {
                Arq.Options.DEFAULTS,
                Arq.Options.DEFAULTS.withScaleBlock(64),
                Arq.Options.DEFAULTS.withScaling(Arq.Scaling.CHANNEL),
                Arq.Options.DEFAULTS.withScaling(Arq.Scaling.OFF),
                Arq.Options.DEFAULTS.withGranularity(Arq.Granularity.PER_TENSOR),
                Arq.Options.DEFAULTS.withRotate(false),
        };
        for (Arq.Options o : variants) for (int group : new int[]{0, 32}) for (int bits : new int[]{4, 8}) {
            Arq arq = new Arq(k, o, 77);
            float[] wr = w.clone();
            arq.rotateWeights(wr, 0, out);
            Bgr.Result wq = Bgr.quantize(wr, 0, out, k, Bgr.Options.DEFAULTS.withGroupSize(group));
            float[] xf = x.clone();
            arq.fakeQuantize(xf, 0, rows, bits);
            double[] fake = matmul(xf, wq.dequantized(), b, rows, k, out);
            float[] yi = new float[rows * out];
            Arq.integerForward(arq.quantize(x, 0, rows, bits), wq, b, yi, 0);
            String what = o + " group " + group + " bits " + bits;
            assertEquals(0, relErr(fake, toDouble(yi)), 2e-6, what);
            // and a sensible approximation of the float layer (W4 on Student-t(4) weights dominates at A8)
            double bound = !o.rotate() ? 0.3 : (bits == 4 ? 0.16 : 0.11);
            assertTrue(relErr(matmul(x, w, b, rows, k, out), fake) < bound, what);
        }
    }

    @Test
    void blockScalingCoveringAllOfKIsANoOp() {
        int rows = 4, k = 128;
        float[] x = activations(10, rows, k);
        float[] a = x.clone(), c = x.clone();
        new Arq(k, Arq.Options.DEFAULTS.withScaleBlock(k), 3).fakeQuantize(a, 0, rows, 4);
        new Arq(k, Arq.Options.DEFAULTS.withScaling(Arq.Scaling.OFF), 3).fakeQuantize(c, 0, rows, 4);
        for (int i = 0; i < a.length; i++) assertEquals(c[i], a[i], 1e-5f * (1 + Math.abs(c[i])), "element " + i);
    }

    @Test
    void rotationLowersFourBitErrorOnOutlierChannels() {
        int rows = 32, k = 256, out = 16;
        float[] x = activations(12, rows, k), w = Tensor.randn(13, out, k).data();
        double[] ref = matmul(x, w, null, rows, k, out);
        double[] errs = new double[2];
        for (int i = 0; i < 2; i++) {
            Arq arq = new Arq(k, Arq.Options.DEFAULTS.withRotate(i == 0).withScaling(Arq.Scaling.OFF), 5);
            float[] wr = w.clone(), xf = x.clone();
            arq.rotateWeights(wr, 0, out);
            arq.fakeQuantize(xf, 0, rows, 4);
            errs[i] = relErr(ref, matmul(xf, wr, null, rows, k, out));
        }
        assertTrue(errs[0] < 0.6 * errs[1], "rotated " + errs[0] + " vs plain per-token " + errs[1]);
    }

    @Test
    void longCallsProcessedInChunksGiveTheSameOutputAsOneShot() {
        int rows = 37, k = 128, out = 9;
        float[] x = activations(14, rows, k), w = Tensor.randn(15, out, k).data(), b = Tensor.randn(16, out).data();
        for (Arq.Options o : new Arq.Options[]{Arq.Options.DEFAULTS, Arq.Options.DEFAULTS.withScaling(Arq.Scaling.CHANNEL),
                Arq.Options.DEFAULTS.withGranularity(Arq.Granularity.PER_TENSOR), Arq.Options.DEFAULTS.withScaling(Arq.Scaling.OFF)}) {
            Arq arq = new Arq(k, o, 21);
            float[] wr = w.clone();
            arq.rotateWeights(wr, 0, out);
            Bgr.Result q = Bgr.quantize(wr, 0, out, k, Bgr.Options.DEFAULTS);
            for (int bits : new int[]{4, 16}) {
                io.vdq.quant.ActivationBits ab = new io.vdq.quant.ActivationBits(bits);
                float[] whole = new float[rows * out], chunked = new float[rows * out];
                new ArqLinear(arq, q, b, ab, false, 1000).forward(x, 0, rows, whole, 0);
                new ArqLinear(arq, q, b, ab, false, 8).forward(x, 0, rows, chunked, 0);
                assertEquals(0, relErr(toDouble(whole), toDouble(chunked)), 1e-6, o + " bits " + bits);
            }
        }
    }
}
