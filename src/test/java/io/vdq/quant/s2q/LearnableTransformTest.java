package io.vdq.quant.s2q;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.train.MatrixFn;
import io.vdq.train.Param;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LearnableTransformTest {
    static float[] gauss(long seed, int n, double s) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (s * (r.nextDouble() * 2 - 1) * 1.7);
        return a;
    }

    /** A transform of d = 24 (4 × 6) with random scales and non-zero skew generators. */
    static LearnableTransform transform(LearnableTransform.RotationInit init) {
        float[] c = new float[24];
        for (int j = 0; j < 24; j++) c[j] = 0.5f + (j % 7) * 0.3f;
        LearnableTransform t = new LearnableTransform("t", c, init, true, 5);
        for (Param p : t.params()) if (!p.name().endsWith("log_scale")) System.arraycopy(gauss(p.name().hashCode(), p.size(), 0.2), 0, p.v(), 0, p.size());
        t.refresh();
        return t;
    }

    static double relErr(double[] a, float[] b) {
        double se = 0, ref = 0;
        for (int i = 0; i < a.length; i++) { se += (a[i] - b[i]) * (a[i] - b[i]); ref += a[i] * a[i]; }
        return Math.sqrt(se / ref);
    }

    @Test
    void factorsAreOrthogonalAndTheKroneckerRowProductMatchesTheExplicitMatrix() {
        KroneckerTransform k = transform(LearnableTransform.RotationInit.RANDOM).freeze();
        assertEquals(4, k.d1());
        assertEquals(6, k.d2());
        for (float[] p : new float[][]{k.p1(), k.p2()}) {
            int n = (int) Math.round(Math.sqrt(p.length));
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) {
                double s = 0;
                for (int m = 0; m < n; m++) s += (double) p[i * n + m] * p[j * n + m];
                assertEquals(i == j ? 1 : 0, s, 1e-6, "P·Pᵀ at " + i + "," + j);
            }
        }
        // explicit T = diag(1/c)·(P1 ⊗ P2), (P1 ⊗ P2)[(i,j),(k,l)] = P1[i,k]·P2[j,l]
        int d = 24, rows = 5;
        float[] c = k.scale(), p1 = k.p1(), p2 = k.p2(), x = gauss(9, rows * d, 1), y = x.clone();
        double[] ref = new double[rows * d];
        for (int r = 0; r < rows; r++)
            for (int col = 0; col < d; col++) {
                double s = 0;
                for (int row = 0; row < d; row++)
                    s += x[r * d + row] / (double) c[row] * p1[(row / 6) * 4 + col / 6] * p2[(row % 6) * 6 + col % 6];
                ref[r * d + col] = s;
            }
        k.apply(y, 0, rows);
        assertTrue(relErr(ref, y) < 1e-6, "Kronecker apply vs explicit matrix: " + relErr(ref, y));
    }

    @Test
    void transformedInputTimesFoldedWeightsEqualsTheOriginalProduct() {
        for (LearnableTransform.RotationInit init : LearnableTransform.RotationInit.values()) {
            LearnableTransform t = transform(init);
            int rows = 7, out = 5, d = 24;
            float[] x = gauss(1, rows * d, 3), w = gauss(2, out * d, 0.3), xt = new float[rows * d], wt = new float[out * d];
            t.inputFn(null).forward(x, rows, d, xt);
            t.weightFn(null).forward(w, out, d, wt);
            double[] ref = new double[rows * out];
            float[] got = new float[rows * out];
            for (int r = 0; r < rows; r++) for (int o = 0; o < out; o++) {
                double a = 0, b = 0;
                for (int j = 0; j < d; j++) { a += (double) x[r * d + j] * w[o * d + j]; b += (double) xt[r * d + j] * wt[o * d + j]; }
                ref[r * out + o] = a;
                got[r * out + o] = (float) b;
            }
            assertTrue(relErr(ref, got) < 1e-5, init + ": (x·T)(W·T⁻ᵀ)ᵀ vs x·Wᵀ rel. error " + relErr(ref, got));
            // the frozen transform used at inference does the same
            float[] xf = x.clone(), wf = w.clone();
            t.freeze().apply(xf, 0, rows);
            t.freeze().foldIntoWeights(wf, out);
            for (int i = 0; i < xf.length; i++) assertEquals(xt[i], xf[i], 1e-5f * (1 + Math.abs(xt[i])));
            for (int i = 0; i < wf.length; i++) assertEquals(wt[i], wf[i], 1e-5f * (1 + Math.abs(wt[i])));
        }
    }

    /** L = Σ R ⊙ fn(x); gradients of the scale, both skew generators and the input against central differences. */
    @Test
    void gradientsMatchFiniteDifferencesOnBothSides() {
        for (boolean weightSide : new boolean[]{false, true}) {
            LearnableTransform t = transform(LearnableTransform.RotationInit.HADAMARD);
            int rows = 6, d = 24;
            float[] x = gauss(3, rows * d, 1), rw = gauss(4, rows * d, 1);
            MatrixFn fn = weightSide ? t.weightFn(null) : t.inputFn(null);
            for (Param p : t.params()) p.zeroGrad();
            float[] y = new float[rows * d], dx = new float[rows * d];
            fn.backward(fn.forward(x, rows, d, y), rw, dx);
            t.finishBackward();
            for (Param p : t.params()) {
                double[] fd = new double[p.size()];
                for (int i = 0; i < p.size(); i++) {
                    float v = p.v()[i];
                    p.v()[i] = v + 1e-2f; t.refresh(); double lp = objective(fn, x, rw, rows, d);
                    p.v()[i] = v - 1e-2f; t.refresh(); double lm = objective(fn, x, rw, rows, d);
                    p.v()[i] = v; t.refresh();
                    fd[i] = (lp - lm) / 2e-2;
                }
                assertTrue(relErr(fd, p.g()) < 2e-3, (weightSide ? "weight" : "input") + " side, " + p.name() + ": rel. error " + relErr(fd, p.g()));
            }
            double[] fdx = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                float v = x[i];
                x[i] = v + 1e-2f; double lp = objective(fn, x, rw, rows, d);
                x[i] = v - 1e-2f; double lm = objective(fn, x, rw, rows, d);
                x[i] = v;
                fdx[i] = (lp - lm) / 2e-2;
            }
            assertTrue(relErr(fdx, dx) < 2e-3, "input gradient rel. error " + relErr(fdx, dx));
        }
    }

    private static double objective(MatrixFn fn, float[] x, float[] r, int rows, int d) {
        float[] y = new float[rows * d];
        fn.forward(x, rows, d, y);
        double s = 0;
        for (int i = 0; i < y.length; i++) s += (double) y[i] * r[i];
        return s;
    }
}
