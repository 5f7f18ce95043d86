package io.vdq.quant;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.model.FloatLinear;
import io.vdq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class QuantizedLinearTest {
    static double[] reference(float[] x, int rows, float[] w, float[] b, int out, int in) {
        double[] y = new double[rows * out];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                for (int k = 0; k < in; k++) s += (double) x[r * in + k] * w[o * in + k];
                y[r * out + o] = s;
            }
        return y;
    }

    @Test
    void floatWeightsWithRotationReproduceTheFloatLayer() {
        int out = 6, in = 16, rows = 5;
        FloatLinear f = new FloatLinear(Tensor.randn(1, out, in).data(), Tensor.randn(2, out).data(), out, in);
        float[] x = Tensor.randn(3, rows, in).data();
        float[] x0 = x.clone();
        QuantizedLinear q = QuantizedLinear.roundToNearest(f, 16, true, Granularity.PER_CHANNEL, 0,
                InputTransform.hadamard(new Hadamard(in, 8, 42)), null);
        float[] y = new float[rows * out];
        q.forward(x, 0, rows, y, 0);
        assertArrayEquals(x0, x, "input untouched");
        double[] ref = reference(x, rows, f.weight(), f.bias(), out, in);
        for (int i = 0; i < y.length; i++) assertEquals(ref[i], y[i], 1e-4);
    }

    @Test
    void activationBitsAreReadPerCallAndMatchManualFakeQuant() {
        int out = 4, in = 8, rows = 3;
        FloatLinear f = new FloatLinear(Tensor.randn(4, out, in).data(), null, out, in);
        float[] x = Tensor.randn(5, rows, in).data();
        ActivationBits bits = new ActivationBits(16);
        QuantizedLinear q = QuantizedLinear.roundToNearest(f, 4, true, Granularity.PER_CHANNEL, 0, null,
                ActivationQuantizer.perToken(bits, true));
        // weights: W4 per channel, symmetric, absmax/7 per row
        float[] wq = new float[out * in];
        for (int o = 0; o < out; o++) {
            double amax = 0;
            for (int k = 0; k < in; k++) amax = Math.max(amax, Math.abs(f.weight()[o * in + k]));
            float s = (float) (amax / 7);
            for (int k = 0; k < in; k++) wq[o * in + k] = s * (float) Math.max(-8, Math.min(7, Math.rint(f.weight()[o * in + k] / s)));
        }
        assertArrayEquals(wq, q.dequantizedWeight(), 1e-7f);
        for (int b : new int[]{16, 4, 8}) {
            bits.set(b);
            float[] xq = x.clone();
            if (b != 16) for (int r = 0; r < rows; r++) {
                double amax = 0;
                for (int k = 0; k < in; k++) amax = Math.max(amax, Math.abs(x[r * in + k]));
                float s = (float) (amax / ((1 << (b - 1)) - 1));
                for (int k = 0; k < in; k++) xq[r * in + k] = s * (float) Math.rint(x[r * in + k] / s);
            }
            double[] ref = reference(xq, rows, wq, null, out, in);
            float[] y = new float[rows * out];
            q.forward(x, 0, rows, y, 0);
            for (int i = 0; i < y.length; i++) assertEquals(ref[i], y[i], 1e-4, "bits " + b);
        }
    }

    @Test
    void staticMinMaxActivationsMatchAManualPerTensorQuantizer() {
        String name = "blocks.0.attn1.to_q";
        int out = 4, in = 8, rows = 6;
        FakeRegistry m = new FakeRegistry().put(name, FakeRegistry.linear(21, out, in));
        float[] calib = Tensor.randn(22, rows, in).data();
        Recipe r = Recipe.of("t", "minmax", 16, 8, java.util.Map.of("static_activations", true));
        new io.vdq.quant.minmax.MinMaxMethod().apply(m, r, TestData.feed(m, name, new float[][]{calib}, rows));
        QuantizedLinear q = (QuantizedLinear) m.linears().get(name);
        double amax = 0;
        for (float v : calib) amax = Math.max(amax, Math.abs(v));
        float s = (float) (amax / 127);
        assertEquals(s, q.activations().staticParams().scale()[0], 1e-7f * s);
        float[] x = Tensor.randn(23, 2, in).data();
        x[3] = 50f; // beyond the calibrated range: clamps to the top code
        float[] xq = x.clone();
        for (int i = 0; i < xq.length; i++) xq[i] = s * (float) Math.max(-128, Math.min(127, Math.rint(x[i] / s)));
        double[] ref = reference(xq, 2, ((FloatLinear) FakeRegistry.linear(21, out, in)).weight(), FakeRegistry.linear(21, out, in).bias(), out, in);
        float[] y = new float[2 * out];
        q.forward(x, 0, 2, y, 0);
        for (int i = 0; i < y.length; i++) assertEquals(ref[i], y[i], 1e-4);
    }

    @Test
    void longCallsAreChunkedWithoutChangingPerRowResults() {
        int out = 3, in = 1 << 12, rows = 2 * (QuantizedLinear.CHUNK_FLOATS / in) + 5; // three chunks
        FloatLinear f = FakeRegistry.linear(31, out, in);
        QuantizedLinear q = QuantizedLinear.roundToNearest(f, 4, true, Granularity.PER_CHANNEL, 0,
                InputTransform.hadamard(new Hadamard(in, 256, 3)), ActivationQuantizer.perToken(new ActivationBits(4), true));
        float[] x = Tensor.randn(32, rows, in).data();
        float[] y = new float[rows * out];
        q.forward(x, 0, rows, y, 0);
        for (int r : new int[]{0, 1023, 1024, rows - 1}) { // each row alone through the same layer
            float[] yr = new float[out];
            q.forward(java.util.Arrays.copyOfRange(x, r * in, (r + 1) * in), 0, 1, yr, 0);
            for (int o = 0; o < out; o++) assertEquals(yr[o], y[r * out + o], 1e-5f * (1 + Math.abs(yr[o])), "row " + r);
        }
    }
}
