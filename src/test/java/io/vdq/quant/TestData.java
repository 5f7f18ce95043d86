package io.vdq.quant;

import io.vdq.model.Linear;
import java.util.SplittableRandom;

/** Synthetic activations and error measures shared by the method tests. */
public final class TestData {
    private TestData() {}

    /** rows × k Gaussian activations where every {@code every}-th channel is scaled by {@code gain} (outlier channels). */
    public static float[] outlierChannels(long seed, int rows, int k, int every, float gain) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[rows * k];
        for (int t = 0; t < rows; t++)
            for (int j = 0; j < k; j++) x[t * k + j] = (float) r.nextGaussian() * (j % every == 3 ? gain : 1f);
        return x;
    }

    /**
     * Divides the weight columns of the outlier channels by {@code gain} (in place), so every input channel
     * contributes comparably to the output — the case where activation outliers hurt (SmoothQuant's setting).
     */
    public static io.vdq.model.FloatLinear dampenOutlierColumns(io.vdq.model.FloatLinear f, int every, float gain) {
        int k = f.inFeatures();
        for (int o = 0; o < f.outFeatures(); o++) for (int j = 3; j < k; j += every) f.weight()[o * k + j] /= gain;
        return f;
    }

    public static float[] forward(Linear l, float[] x, int rows) {
        float[] y = new float[rows * l.outFeatures()];
        l.forward(x, 0, rows, y, 0);
        return y;
    }

    /** ‖a − b‖² / ‖b‖², in double. */
    public static double relErr(float[] a, float[] b) {
        double e = 0, n = 0;
        for (int i = 0; i < a.length; i++) { double d = (double) a[i] - b[i]; e += d * d; n += (double) b[i] * b[i]; }
        return e / n;
    }

    /** A calibration that feeds {@code x} (rows × K) to the named layer once per step, through the registry. */
    public static Calibration feed(FakeRegistry m, String name, float[][] perStep, int rows) {
        return Calibration.of(perStep.length, tag -> {
            for (int s = 0; s < perStep.length; s++) {
                tag.set(s, perStep.length, 1000f * (perStep.length - s) / perStep.length);
                Linear l = m.linears().get(name);
                l.forward(perStep[s], 0, rows, new float[rows * l.outFeatures()], 0);
            }
        });
    }
}
