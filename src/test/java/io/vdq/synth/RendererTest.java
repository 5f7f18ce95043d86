package io.vdq.synth;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class RendererTest {
    static final int F = 16, H = 32, W = 32;

    static SceneSpec spec(ObjectShape shape, Direction dir, double travel, double x0, double y0, double size, Background bg) {
        return new SceneSpec(shape, ObjectColor.RED, dir, travel, x0, y0, size, bg);
    }

    static final Background PLAIN_GRAY = new Background(BackgroundColor.GRAY, Background.Gradient.PLAIN);

    /** Coverage recovered from the red channel: (pixel − bg) / (obj − bg). */
    static double[] alpha(Tensor v, int f, float bgRed) {
        double[] a = new double[H * W];
        float objRed = ObjectColor.RED.rgb()[0];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) a[y * W + x] = (v.get(f, y, x, 0) - bgRed) / (objRed - bgRed);
        return a;
    }

    @Test
    void rendersBitIdenticallyTwice() {
        SceneSpec s = SpecSampler.standard().sample(42);
        assertArrayEquals(Renderer.render(s, F, H, W).toArray(), Renderer.render(s, F, H, W).toArray());
    }

    @Test
    void valuesStayInUnitRangeAndShapeIsFxHxWx3() {
        for (long seed = 0; seed < 50; seed++) {
            Tensor v = Renderer.render(SpecSampler.standard().sample(seed), F, H, W);
            v.requireShape("video", F, H, W, 3);
            for (float x : v.toArray()) assertTrue(x >= 0f && x <= 1f, "value " + x);
        }
    }

    @Test
    void coveredAreaMatchesEachShapesAreaFormula() {
        double r = 6.0; // size 6/32
        double[] expected = {Math.PI * r * r, 4 * 0.85 * 0.85 * r * r, 0.5 * 2 * 1.9 * r * r, 2 * r * r};
        for (ObjectShape shape : ObjectShape.values()) {
            Tensor v = Renderer.render(spec(shape, Direction.RIGHT, 0.0, 0.47, 0.53, r / 32, PLAIN_GRAY), 1, H, W);
            double[] a = alpha(v, 0, 0.42f);
            double sum = 0;
            int partial = 0;
            for (double x : a) { sum += x; if (x > 0.01 && x < 0.99) partial++; }
            assertEquals(expected[shape.ordinal()], sum, 0.01 * expected[shape.ordinal()], shape + " area");
            assertTrue(partial >= 8, shape + ": anti-aliased edges expected, got " + partial + " partial pixels");
        }
    }

    @Test
    void circleCentroidFollowsTheLinearPath() {
        SceneSpec s = spec(ObjectShape.CIRCLE, Direction.DOWN, 0.4, 0.3, 0.25, 0.16, PLAIN_GRAY);
        Tensor v = Renderer.render(s, F, H, W);
        for (int f = 0; f < F; f++) {
            double[] a = alpha(v, f, 0.42f);
            double m = 0, mx = 0, my = 0;
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) { double q = a[y * W + x]; m += q; mx += q * (x + 0.5); my += q * (y + 0.5); }
            assertEquals(0.3 * W, mx / m, 0.05, "x at frame " + f);
            assertEquals(0.25 * H + 0.4 * 32 * f / (F - 1.0), my / m, 0.05, "y at frame " + f);
        }
    }

    @Test
    void gradientBackgroundIsLinearInThePixelIndex() {
        Background vert = new Background(BackgroundColor.NAVY, Background.Gradient.VERTICAL);
        Background hor = new Background(BackgroundColor.BROWN, Background.Gradient.HORIZONTAL);
        Tensor a = Renderer.render(spec(ObjectShape.SQUARE, Direction.LEFT, 0.3, 0.8, 0.8, 0.14, vert), 2, H, W);
        Tensor b = Renderer.render(spec(ObjectShape.SQUARE, Direction.LEFT, 0.3, 0.8, 0.8, 0.14, hor), 2, H, W);
        for (int y = 0; y < 10; y++) {
            for (int x = 0; x < 10; x++) { // top-left corner is far from the object
                assertEquals(0.10f + 0.2f * (y + 0.5f) / H, a.get(1, y, x, 0), 1e-6);
                assertEquals(0.32f + 0.2f * (y + 0.5f) / H, a.get(1, y, x, 2), 1e-6);
                assertEquals(0.24f + 0.2f * (x + 0.5f) / W, b.get(0, y, x, 1), 1e-6);
            }
        }
    }

    @Test
    void objectInteriorHasTheObjectColour() {
        SceneSpec s = new SceneSpec(ObjectShape.SQUARE, ObjectColor.CYAN, Direction.UP, 0.3, 0.5, 0.7, 0.18,
                new Background(BackgroundColor.PLUM, Background.Gradient.VERTICAL));
        Tensor v = Renderer.render(s, 1, H, W);
        assertArrayEquals(new float[]{0.10f, 0.85f, 0.90f},
                new float[]{v.get(0, 22, 16, 0), v.get(0, 22, 16, 1), v.get(0, 22, 16, 2)}, 1e-6f);
    }

    @Test
    void pathsThatLeaveTheFrameBounceAndKeepTheWholeShape() {
        SceneSpec s = spec(ObjectShape.CIRCLE, Direction.RIGHT, 2.0, 0.5, 0.5, 0.15, PLAIN_GRAY);
        Tensor v = Renderer.render(s, F, H, W);
        double r = 0.15 * 32, lo = r, hi = W - r;
        double prevX = Double.NaN;
        boolean turned = false;
        for (int f = 0; f < F; f++) {
            double[] c = s.centre(f, F, H, W);
            assertTrue(c[0] >= lo - 1e-9 && c[0] <= hi + 1e-9, "centre " + c[0] + " inside [" + lo + ", " + hi + "]");
            double sum = 0;
            for (double q : alpha(v, f, 0.42f)) sum += q;
            assertEquals(Math.PI * r * r, sum, 0.015 * Math.PI * r * r, "area kept at frame " + f);
            if (f > 1 && c[0] < prevX) turned = true;
            prevX = c[0];
        }
        assertTrue(turned, "a travel of 2 frame widths must bounce back");
        // the reflection is a triangle wave: unreflected 16 + 64·f/15, folded into [4.8, 27.2]
        double raw = 16 + 64.0 * 3 / 15, len = hi - lo, m = (raw - lo) % (2 * len);
        assertEquals(lo + (m > len ? 2 * len - m : m), s.centre(3, F, H, W)[0], 1e-9);
    }
}
