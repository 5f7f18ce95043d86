package io.vdq.quant.dvd;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Not a test: BGR's time and weight error with tied and separate bounds (issue #25) on a rows × cols Student-t(4)
 * matrix, two repetitions each. {@code mvn test-compile}, then
 * {@code java --add-modules jdk.incubator.vector -cp "target/classes:target/test-classes:target/lib/*"
 * io.vdq.quant.dvd.BgrBoundsCost 1536 1536}.
 */
public final class BgrBoundsCost {
    public static void main(String[] a) {
        int rows = Integer.parseInt(a[0]), cols = Integer.parseInt(a[1]);
        SplittableRandom r = new SplittableRandom(1);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) { double chi = 0; for (int j = 0; j < 4; j++) { double g = r.nextGaussian(); chi += g * g; } w[i] = (float) (r.nextGaussian() / Math.sqrt(chi / 4)); }
        for (int rep = 0; rep < 2; rep++)
            for (boolean sep : new boolean[]{false, true}) {
                long t0 = System.nanoTime();
                Bgr.Result res = Bgr.quantize(w, 0, rows, cols, Bgr.Options.DEFAULTS.withSeparateBounds(sep));
                double s = (System.nanoTime() - t0) / 1e9;
                Bgr.LayerError e = res.error();
                System.out.printf(Locale.ROOT, "%s rep %d: %.2f s; rel² minmax %.4e init %.4e refined %.4e (%.1f%% below MinMax), it %.1f%n",
                        sep ? "separate" : "tied    ", rep, s, e.minMax() / e.weightSquares(), e.boundedInit() / e.weightSquares(),
                        e.refined() / e.weightSquares(), 100 * e.reductionVsMinMax(), e.meanIterations());
            }
    }
}
