package io.vdq.eval.vbench;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ShapeException;
import io.vdq.synth.*;
import io.vdq.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

class VBenchLiteTest {
    static final int F = 16, H = 32, W = 32, N = 48;

    /** Corruption checks use the first half of the ground-truth specs. */
    static final int N_CORRUPT = 24;

    static List<SceneSpec> specs(boolean diagonals) { return specs(diagonals, N); }

    static List<SceneSpec> specs(boolean diagonals, int n) {
        SpecSampler s = new SpecSampler(H, W, diagonals);
        List<SceneSpec> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(s.sample(SpecSampler.Split.VALIDATION.seed(i)));
        return out;
    }

    static double[] meanScores(List<SceneSpec> specs, BiFunction<Tensor, Integer, Tensor> corrupt) {
        List<VideoScore> all = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++)
            all.add(VBenchLite.score(corrupt.apply(Renderer.render(specs.get(i), F, H, W), i), specs.get(i)));
        return VBenchLite.mean(all);
    }

    static double get(double[] m, Dimension d) { return m[d.ordinal()]; }

    static Tensor addNoise(Tensor v, double sigma, long seed) {
        Tensor n = Tensor.randn(seed, v.shape().dims()), o = v.copy();
        for (int i = 0; i < o.size(); i++) o.data()[i] += (float) sigma * n.data()[i];
        return o;
    }

    static final double[] GT = meanScores(specs(false, N_CORRUPT), (v, i) -> v);

    @Test
    void groundTruthRendersScoreNearPerfect() {
        for (boolean diag : new boolean[]{false, true}) {
            double[] m = meanScores(specs(diag), (v, i) -> v);
            assertTrue(get(m, Dimension.COLOR) >= 0.95, "colour " + get(m, Dimension.COLOR));
            assertTrue(get(m, Dimension.SHAPE) >= 0.95, "shape " + get(m, Dimension.SHAPE));
            assertTrue(get(m, Dimension.DIRECTION) >= 0.95, "direction " + get(m, Dimension.DIRECTION));
            assertTrue(get(m, Dimension.SMOOTHNESS) >= 0.95, "smoothness " + get(m, Dimension.SMOOTHNESS));
            assertTrue(get(m, Dimension.SUBJECT) >= 0.9, "subject " + get(m, Dimension.SUBJECT));
            assertTrue(get(m, Dimension.BACKGROUND) >= 0.99, "background " + get(m, Dimension.BACKGROUND));
            assertTrue(get(m, Dimension.DYNAMIC) >= 0.99, "dynamic " + get(m, Dimension.DYNAMIC));
            assertTrue(get(m, Dimension.IMAGING) >= 0.95, "imaging " + get(m, Dimension.IMAGING));
        }
    }

    @Test
    void gaussianNoiseLowersImagingQualityButNotTheAccuracies() {
        double[] m = meanScores(specs(false, N_CORRUPT), (v, i) -> addNoise(v, 0.05, 1000 + i));
        // noise factor for σ = 0.05 is 1 / (1 + (0.05 / 0.03)²) = 0.265; sharpness can only lower it further
        assertTrue(get(m, Dimension.IMAGING) <= 0.3, "imaging " + get(m, Dimension.IMAGING));
        assertTrue(get(GT, Dimension.IMAGING) - get(m, Dimension.IMAGING) >= 0.6);
        assertTrue(get(m, Dimension.COLOR) >= 0.9 && get(m, Dimension.DIRECTION) >= 0.9);
        assertTrue(get(m, Dimension.BACKGROUND) < get(GT, Dimension.BACKGROUND) - 0.03);
    }

    @Test
    void frozenFramesLowerDynamicDegreeAndDirection() {
        double[] m = meanScores(specs(false, N_CORRUPT), (v, i) -> {
            Tensor o = v.copy();
            for (int f = 1; f < F; f++) o.row(f).copyFrom(v.row(0));
            return o;
        });
        assertTrue(get(m, Dimension.DYNAMIC) <= 0.01, "dynamic " + get(m, Dimension.DYNAMIC));
        assertEquals(0.0, get(m, Dimension.DIRECTION));
        assertTrue(get(GT, Dimension.DYNAMIC) - get(m, Dimension.DYNAMIC) >= 0.9);
        assertTrue(get(m, Dimension.COLOR) >= 0.95 && get(m, Dimension.SHAPE) >= 0.95);
    }

    @Test
    void wrongColourLowersColourAccuracyOnly() {
        List<SceneSpec> specs = specs(false, N_CORRUPT);
        double[] m = meanScores(specs, (v, i) -> {
            SceneSpec s = specs.get(i);
            ObjectColor other = ObjectColor.values()[(s.color().ordinal() + 1 + i % 7) % ObjectColor.values().length];
            return Renderer.render(new SceneSpec(s.shape(), other, s.direction(), s.travel(), s.x0(), s.y0(), s.size(), s.background()), F, H, W);
        });
        assertEquals(0.0, get(m, Dimension.COLOR));
        assertTrue(get(m, Dimension.SHAPE) >= 0.95 && get(m, Dimension.DIRECTION) >= 0.95);
    }

    @Test
    void wrongShapeLowersShapeAccuracyOnly() {
        List<SceneSpec> specs = specs(false, N_CORRUPT);
        double[] m = meanScores(specs, (v, i) -> {
            SceneSpec s = specs.get(i);
            ObjectShape other = ObjectShape.values()[(s.shape().ordinal() + 1 + i % 3) % ObjectShape.values().length];
            return Renderer.render(new SceneSpec(other, s.color(), s.direction(), s.travel(), s.x0(), s.y0(), s.size(), s.background()), F, H, W);
        });
        assertTrue(get(m, Dimension.SHAPE) <= 0.05, "shape " + get(m, Dimension.SHAPE));
        assertTrue(get(m, Dimension.COLOR) >= 0.95 && get(m, Dimension.DIRECTION) >= 0.95);
    }

    @Test
    void shuffledFramesLowerSmoothness() {
        double[] m = meanScores(specs(false, N_CORRUPT), (v, i) -> {
            Tensor o = v.copy();
            int[] perm = {7, 2, 12, 0, 15, 5, 9, 3, 14, 1, 10, 6, 13, 4, 11, 8};
            for (int f = 0; f < F; f++) o.row(f).copyFrom(v.row(perm[f]));
            return o;
        });
        assertTrue(get(m, Dimension.SMOOTHNESS) <= 0.5, "smoothness " + get(m, Dimension.SMOOTHNESS));
        assertTrue(get(GT, Dimension.SMOOTHNESS) - get(m, Dimension.SMOOTHNESS) >= 0.45);
        assertTrue(get(m, Dimension.DYNAMIC) >= 0.99, "the object still moves");
    }

    @Test
    void blurLowersImagingQualityThroughEdgeWidth() {
        double[] m = meanScores(specs(false, N_CORRUPT), (v, i) -> boxBlur(v));
        assertTrue(get(m, Dimension.IMAGING) <= 0.75, "imaging " + get(m, Dimension.IMAGING));
        // shape accuracy compares against blurred templates too, so blur is charged to imaging quality only
        assertTrue(get(m, Dimension.COLOR) >= 0.95 && get(m, Dimension.SHAPE) >= 0.95);
    }

    @Test
    void backgroundFlickerLowersBackgroundConsistency() {
        double[] m = meanScores(specs(false, N_CORRUPT), (v, i) -> {
            Tensor o = v.copy();
            for (int f = 1; f < F; f += 2) { float[] d = o.data(); int b = f * H * W * 3; for (int k = 0; k < H * W * 3; k++) d[b + k] += 0.05f; }
            return o;
        });
        // odd frames differ from frame 0 and from their predecessor by 0.05 everywhere; even frames t ≥ 2
        // differ from their predecessor only: mean over t of ½(|t,0| + |t,t−1|) = (8·0.05 + 7·0.025) / 15
        assertEquals(1 - (8 * 0.05 + 7 * 0.025) / 15, get(m, Dimension.BACKGROUND), 1e-4);
    }

    static Tensor boxBlur(Tensor v) {
        Tensor o = v.copy();
        float[] s = v.data(), d = o.data();
        for (int f = 0; f < F; f++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                    for (int c = 0; c < 3; c++) {
                        double sum = 0;
                        int n = 0;
                        for (int dy = -1; dy <= 1; dy++)
                            for (int dx = -1; dx <= 1; dx++) {
                                int yy = y + dy, xx = x + dx;
                                if (yy < 0 || xx < 0 || yy >= H || xx >= W) continue;
                                sum += s[((f * H + yy) * W + xx) * 3 + c];
                                n++;
                            }
                        d[((f * H + y) * W + x) * 3 + c] = (float) (sum / n);
                    }
        return o;
    }

    @Test
    void emptyVideoScoresZeroOnObjectDimensionsWithoutFailing() {
        Tensor v = Tensor.zeros(F, H, W, 3);
        for (int f = 0; f < F; f++) Renderer.fillBackground(new Background(BackgroundColor.GRAY, Background.Gradient.VERTICAL), H, W, v.data(), f * H * W * 3);
        VideoScore s = VBenchLite.score(v, Prompt.parse("a red circle moving left"));
        assertEquals(0, s.framesFound());
        for (Dimension d : new Dimension[]{Dimension.COLOR, Dimension.SHAPE, Dimension.DIRECTION, Dimension.SMOOTHNESS,
                Dimension.SUBJECT, Dimension.DYNAMIC, Dimension.IMAGING})
            assertEquals(0.0, s.get(d), d.label());
        assertEquals(1.0, s.get(Dimension.BACKGROUND), 1e-6);
    }

    @Test
    void nonFiniteValuesScoreWithoutFailing() {
        SceneSpec s = specs(false, 1).get(0);
        Tensor v = Renderer.render(s, F, H, W);
        for (int i = 0; i < v.size(); i += 7) v.data()[i] = i % 2 == 0 ? Float.NaN : Float.POSITIVE_INFINITY;
        VideoScore sc = VBenchLite.score(v, s);
        for (double x : sc.values()) assertTrue(x >= 0 && x <= 1, "score " + x);
    }

    @Test
    void scoresDoNotDependOnTheThreadCount() {
        SceneSpec s = specs(false, 3).get(2);
        Tensor v = addNoise(Renderer.render(s, F, H, W), 0.03, 5);
        int before = io.vdq.tensor.Parallel.threads();
        try {
            io.vdq.tensor.Parallel.setThreads(1);
            double[] one = VBenchLite.score(v, s).values();
            io.vdq.tensor.Parallel.setThreads(3);
            assertArrayEquals(one, VBenchLite.score(v, s).values());
        } finally {
            io.vdq.tensor.Parallel.setThreads(before);
        }
    }

    @Test
    void rejectsTensorsThatAreNotVideos() {
        assertThrows(ShapeException.class, () -> VBenchLite.score(Tensor.zeros(4, 8, 8), Prompt.parse("a red circle moving left")));
        assertThrows(ShapeException.class, () -> VBenchLite.score(Tensor.zeros(4, 8, 8, 4), Prompt.parse("a red circle moving left")));
    }
}
