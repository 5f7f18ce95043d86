package io.vdq.kernel.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.ValueLayout;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The OpenBLAS anchor computes the same Y = X·Wᵀ as vdq's kernels (checked against a double-precision sum). */
class OpenBlasTest {
    @Test
    void sgemmIsXTimesWTransposed() {
        Optional<OpenBlas> lib = OpenBlas.load();
        assumeTrue(lib.isPresent(), "no OpenBLAS installed (libopenblas0): the anchor is optional");
        int m = 7, n = 5, k = 13;
        SplittableRandom r = new SplittableRandom(3);
        float[] x = new float[m * k], w = new float[n * k];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        try (OpenBlas b = lib.get()) {
            b.threads(1);
            var ys = b.copy(new float[m * n]);
            b.gemm(b.copy(x), b.copy(w), ys, m, n, k);
            float[] y = ys.toArray(ValueLayout.JAVA_FLOAT);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += (double) x[i * k + p] * w[j * k + p];
                    assertEquals(s, y[i * n + j], 1e-5 * Math.max(1, Math.abs(s)), "y[" + i + "," + j + "]");
                }
        }
    }

    /**
     * Loading the anchor leaves OpenBLAS's idle threads sleeping at once (OPENBLAS_THREAD_TIMEOUT=4) unless the user
     * set the variable, so its spinning workers are not charged to vdq's reps in a 2-thread benchmark.
     */
    @Test
    void loadSetsTheThreadTimeoutUnlessTheUserDid() {
        Optional<OpenBlas> lib = OpenBlas.load();
        assumeTrue(lib.isPresent(), "no OpenBLAS installed (libopenblas0): the anchor is optional");
        lib.get().close();
        String user = System.getenv("OPENBLAS_THREAD_TIMEOUT");
        assertEquals(user != null ? user : "4", OpenBlas.threadTimeout());
    }
}
