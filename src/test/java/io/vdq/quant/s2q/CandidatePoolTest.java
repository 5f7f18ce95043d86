package io.vdq.quant.s2q;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vdq.VdqException.ConfigException;
import io.vdq.model.wan.BlockHook;
import io.vdq.model.wan.WanModel;
import io.vdq.quant.Calibration;
import io.vdq.tensor.Tensor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pool on constant latents, whose scores have closed forms: C_diff = (a−b)²/a², ‖XᵀX‖ = a²·n·d for X ≡ a. */
class CandidatePoolTest {
    static final double[][] A = {{4, 2, 1.5, 1}, {3, 1, 0.9, 0.1}}; // latent value per prompt and step
    static final Tensor TEXT = Tensor.randn(5, 6, 16), NEG = Tensor.zeros(6, 16);

    static Tensor constant(double a) {
        Tensor t = Tensor.zeros(S2qMethodTest.LATENT);
        t.fill((float) a);
        return t;
    }

    static Calibration calibration(WanModel m) {
        return Calibration.of(4, tag -> {
            for (double[] traj : A)
                for (int k = 0; k < traj.length; k++) {
                    tag.set(k, traj.length, 1000f - 250 * k);
                    m.forward(constant(traj[k]), 1000f - 250 * k, TEXT);
                    m.forward(constant(traj[k]), 1000f - 250 * k, NEG);
                }
        });
    }

    @Test
    void scoresFollowTheClosedFormsAndTheLastStepIsDropped() {
        WanModel m = S2qMethodTest.model();
        int n = 2 * 4 * 4, d = 4 * 2 * 2; // patches of the [4, 2, 8, 8] latent with patch 1×2×2
        try (CandidatePool pool = CandidatePool.collect(m, calibration(m), SalientDataSelection.Norm.SPECTRAL, 1 << 30)) {
            List<Candidate> c = pool.candidates();
            assertEquals(6, c.size(), "3 scored steps per prompt");
            for (int i = 0; i < 6; i++) {
                int p = i / 3, k = i % 3;
                double a = A[p][k], b = A[p][k + 1];
                assertEquals(p, c.get(i).prompt());
                assertEquals(k, c.get(i).step());
                assertEquals((a - b) * (a - b) / (a * a), c.get(i).cDiff(), 1e-6 * c.get(i).cDiff());
                assertEquals(a * a * n * d, c.get(i).cQuant(), 1e-5 * a * a * n * d);
                assertEquals(2, pool.branches(i), "both CFG branches kept");
            }
            assertEquals(new CandidatePool.Grid(2, 4, 4), pool.grid());
            // SDS: the top 2 products of min–max normalised scores, computed here from the closed forms
            List<double[]> ranked = new ArrayList<>();
            double dMin = 1e9, dMax = -1e9, qMin = 1e9, qMax = -1e9;
            for (int i = 0; i < 6; i++) {
                double a = A[i / 3][i % 3], b = A[i / 3][i % 3 + 1], cd = (a - b) * (a - b) / (a * a), cq = a * a;
                dMin = Math.min(dMin, cd); dMax = Math.max(dMax, cd); qMin = Math.min(qMin, cq); qMax = Math.max(qMax, cq);
            }
            for (int i = 0; i < 6; i++) {
                double a = A[i / 3][i % 3], b = A[i / 3][i % 3 + 1], cd = (a - b) * (a - b) / (a * a), cq = a * a;
                ranked.add(new double[]{i, (cd - dMin) / (dMax - dMin) * (cq - qMin) / (qMax - qMin)});
            }
            ranked.sort(Comparator.comparingDouble(r -> -r[1]));
            List<Candidate> top = SalientDataSelection.select(c, SalientDataSelection.Selector.SDS, 2, 0);
            List<Candidate> want = List.of(c.get((int) Math.min(ranked.get(0)[0], ranked.get(1)[0])), c.get((int) Math.max(ranked.get(0)[0], ranked.get(1)[0])));
            assertEquals(want, top);
        }
    }

    @Test
    void replayHoldsBlockZeroInputAndTheBranchText() {
        WanModel m = S2qMethodTest.model();
        float[][] seen = new float[2][];
        BlockHook capture = new BlockHook() {
            @Override public void beforeBlock(int block, Tensor hidden) { if (block == 0 && seen[0] == null) seen[0] = hidden.toArray().clone(); }
            @Override public void beforeBlocks(int f, int h, int w, float[] p, float[] hid, float[] text, float[] tproj) { seen[1] = text.clone(); }
        };
        m.forward(constant(A[0][0]), 1000f, NEG, capture);
        try (CandidatePool pool = CandidatePool.collect(m, calibration(m), SalientDataSelection.Norm.FROBENIUS, 0)) {
            assertEquals(true, pool.spilled(), "a zero memory budget spills everything");
            CandidatePool.Replay r = pool.replay(0, 1);
            assertArrayEquals(seen[0], r.hidden());
            assertArrayEquals(seen[1], r.text());
        }
    }

    @Test
    void hiddenInputScoresTheGramOfBlockZeroInput() {
        WanModel m = S2qMethodTest.model();
        int n = 2 * 4 * 4;
        try (CandidatePool pool = CandidatePool.collect(m, calibration(m), SalientDataSelection.Norm.FROBENIUS,
                SalientDataSelection.QuantInput.HIDDEN, SalientDataSelection.DiffInput.LATENT, 1 << 30)) {
            for (int i = 0; i < pool.candidates().size(); i++) {
                float[] h = pool.replay(i, 0).hidden(); // first CFG branch, as the score
                int d = h.length / n;
                double sum = 0; // ‖XᵀX‖_F from the dense Gram matrix
                for (int a = 0; a < d; a++)
                    for (int b = 0; b < d; b++) {
                        double g = 0;
                        for (int t = 0; t < n; t++) g += (double) h[t * d + a] * h[t * d + b];
                        sum += g * g;
                    }
                assertEquals(Math.sqrt(sum), pool.candidates().get(i).cQuant(), 1e-9 * Math.sqrt(sum));
                double a = A[i / 3][i % 3];
                assertEquals(false, // not the latent's score a²·n·d
                        Math.abs(pool.candidates().get(i).cQuant() - a * a * n * 16) < 1e-3 * a * a * n * 16);
            }
        }
    }

    @Test
    void denoisedDiffComparesTheModelsCleanEstimatesOfConsecutiveSteps() {
        WanModel m = S2qMethodTest.model();
        double[][] want = new double[A.length][A[0].length - 1];
        for (int p = 0; p < A.length; p++) {
            float[][] x0 = new float[A[p].length][];
            for (int k = 0; k < A[p].length; k++) { // x̂₀ = x_t − σ·v of the conditional branch, σ = t/1000
                float t = 1000f - 250 * k;
                float[] v = m.forward(constant(A[p][k]), t, TEXT).toArray();
                x0[k] = new float[v.length];
                for (int i = 0; i < v.length; i++) x0[k][i] = (float) A[p][k] - t / 1000f * v[i];
            }
            for (int k = 0; k + 1 < A[p].length; k++) {
                double num = 0, den = 0;
                for (int i = 0; i < x0[k].length; i++) {
                    num += (double) (x0[k][i] - x0[k + 1][i]) * (x0[k][i] - x0[k + 1][i]);
                    den += (double) x0[k][i] * x0[k][i];
                }
                want[p][k] = num / den;
            }
        }
        try (CandidatePool latent = CandidatePool.collect(m, calibration(m), SalientDataSelection.Norm.SPECTRAL, 1 << 30);
             CandidatePool denoised = CandidatePool.collect(m, calibration(m), SalientDataSelection.Norm.SPECTRAL,
                     SalientDataSelection.QuantInput.LATENT, SalientDataSelection.DiffInput.DENOISED, 1 << 30)) {
            List<Candidate> c = denoised.candidates();
            assertEquals(6, c.size());
            for (int i = 0; i < 6; i++) {
                Candidate l = latent.candidates().get(i);
                assertEquals(want[i / 3][i % 3], c.get(i).cDiff(), 1e-5 * want[i / 3][i % 3]);
                assertEquals(l.cQuant(), c.get(i).cQuant(), "C_quant does not depend on sds_diff");
                assertEquals(false, Math.abs(l.cDiff() - c.get(i).cDiff()) < 1e-3 * l.cDiff(), "differs from the latent's C_diff");
                assertEquals(2, denoised.branches(i));
            }
        }
    }

    /**
     * sds_input=denoised: C_quant is ‖XᵀX‖_F of the conditional branch's x̂₀ = x_t − σ·v tokenised into patches of
     * 1×2×2 (rows = tokens in (f, h, w) order, columns = (c, kt, kh, kw)), the same tensor sds_diff=denoised reads.
     */
    @Test
    void denoisedQuantInputScoresTheGramOfTheCleanEstimate() {
        WanModel m = S2qMethodTest.model();
        int c = LATENT_C, f = S2qMethodTest.LATENT[1], h = S2qMethodTest.LATENT[2], w = S2qMethodTest.LATENT[3];
        int n = f * (h / 2) * (w / 2), d = c * 4;
        try (CandidatePool pool = CandidatePool.collect(m, calibration(m), SalientDataSelection.Norm.FROBENIUS,
                SalientDataSelection.QuantInput.DENOISED, SalientDataSelection.DiffInput.DENOISED, 1 << 30)) {
            List<Candidate> got = pool.candidates();
            assertEquals(6, got.size());
            for (int i = 0; i < 6; i++) {
                int p = i / 3, k = i % 3;
                float t = 1000f - 250 * k;
                float[] v = m.forward(constant(A[p][k]), t, TEXT).toArray();
                double[][] x = new double[n][d];
                for (int ci = 0; ci < c; ci++) for (int fi = 0; fi < f; fi++) for (int hi = 0; hi < h; hi++) for (int wi = 0; wi < w; wi++) {
                    int src = ((ci * f + fi) * h + hi) * w + wi;
                    int tok = (fi * (h / 2) + hi / 2) * (w / 2) + wi / 2, col = (ci * 2 + hi % 2) * 2 + wi % 2;
                    x[tok][col] = A[p][k] - t / 1000.0 * v[src];
                }
                double fro = 0;
                for (int a = 0; a < d; a++) for (int b = 0; b < d; b++) {
                    double g = 0;
                    for (int r = 0; r < n; r++) g += x[r][a] * x[r][b];
                    fro += g * g;
                }
                fro = Math.sqrt(fro);
                assertEquals(fro, got.get(i).cQuant(), 1e-4 * fro, "candidate " + i);
            }
        }
    }

    static final int LATENT_C = 4;

    @Test
    void refusesUntaggedCalibration() {
        WanModel m = S2qMethodTest.model();
        Calibration untagged = Calibration.of(1, tag -> m.forward(constant(1), 500f, TEXT));
        assertThrows(ConfigException.class, () -> CandidatePool.collect(m, untagged, SalientDataSelection.Norm.SPECTRAL, 1 << 20));
    }
}
