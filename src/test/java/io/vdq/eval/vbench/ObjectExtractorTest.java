package io.vdq.eval.vbench;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.synth.*;
import io.vdq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class ObjectExtractorTest {
    static final int H = 32, W = 32;

    @Test
    void recoversTheRenderedCoverageColourAndGradientPlaneExactly() {
        for (long seed = 0; seed < 40; seed++) {
            SceneSpec s = SpecSampler.standard().sample(SpecSampler.Split.TEST.seed(seed));
            Tensor v = Renderer.render(s, 1, H, W);
            FrameObject o = ObjectExtractor.extract(v.data(), 0, H, W);
            assertTrue(o.found());
            float[] expectedAlpha = new float[H * W];
            double[] c = s.centre(0, 1, H, W);
            Renderer.coverage(s.shape(), c[0], c[1], s.radiusPx(H, W), H, W, expectedAlpha);
            double area = 0, mx = 0;
            for (int p = 0; p < H * W; p++) {
                assertEquals(expectedAlpha[p], o.alpha()[p], 2e-4, "alpha at pixel " + p + ", seed " + seed);
                area += expectedAlpha[p];
                mx += expectedAlpha[p] * (p % W + 0.5);
            }
            assertEquals(area, o.area(), 1e-2);
            assertEquals(mx / area, o.cx(), 1e-3);
            assertArrayEquals(s.color().rgb(), o.color(), 1e-6f);
            float[] bg = new float[H * W * 3];
            Renderer.fillBackground(s.background(), H, W, bg, 0);
            for (int i = 0; i < bg.length; i++) assertEquals(bg[i], o.bg()[i], 1e-5, "background plane at " + i);
            assertEquals(0.0, o.sigma(), 1e-6); // float rounding of the gradient only
        }
    }

    @Test
    void noiseSigmaEstimatesTheStandardDeviationOfGaussianNoise() {
        for (double sigma : new double[]{0.01, 0.05, 0.1}) {
            Tensor n = Tensor.randn(77, H, W, 3);
            float[] img = new float[H * W * 3];
            for (int i = 0; i < img.length; i++) img[i] = 0.4f + (float) sigma * n.data()[i];
            assertEquals(sigma, ObjectExtractor.noiseSigma(img, 0, H, W), 0.12 * sigma);
        }
    }

    @Test
    void largestComponentKeepsTheBiggestEightConnectedBlob() {
        boolean[] m = new boolean[5 * 5];
        m[0] = true; // single pixel
        m[12] = m[18] = m[24] = true; // diagonal chain of three
        boolean[] c = ObjectExtractor.largestComponent(m, 5, 5);
        assertFalse(c[0]);
        assertTrue(c[12] && c[18] && c[24]);
    }

    @Test
    void shapeClassifierPrefersTheTrueShapeWithMarginOnCleanRenders() {
        for (ObjectShape shape : ObjectShape.values()) {
            SceneSpec s = new SceneSpec(shape, ObjectColor.YELLOW, Direction.LEFT, 0.3, 0.55, 0.45, 0.15,
                    new Background(BackgroundColor.FOREST, Background.Gradient.HORIZONTAL));
            FrameObject o = ObjectExtractor.extract(Renderer.render(s, 1, H, W).data(), 0, H, W);
            double[] iou = ShapeClassifier.scores(o, H, W);
            assertTrue(iou[shape.ordinal()] > 0.97, shape + " self IoU " + iou[shape.ordinal()]);
            for (ObjectShape other : ObjectShape.values())
                if (other != shape) assertTrue(iou[other.ordinal()] < iou[shape.ordinal()] - 0.05, shape + " vs " + other);
        }
    }
}
