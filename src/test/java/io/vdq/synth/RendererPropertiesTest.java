package io.vdq.synth;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.tensor.Tensor;
import net.jqwik.api.*;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

class RendererPropertiesTest {
    /**
     * Any spec, bouncing or not, at any frame size: values stay in [0, 1] and every frame shows the whole
     * shape (coverage sums to the exact area within 1 % + 0.5 px² for tiny shapes), because the bounce keeps it inside.
     */
    @Property(tries = 60, seed = "2026112401")
    void wholeShapeInEveryFrameForAnySpec(@ForAll ObjectShape shape, @ForAll Direction dir,
                                          @ForAll @DoubleRange(min = 0, max = 3) double travel,
                                          @ForAll @DoubleRange(min = 0, max = 1) double x0, @ForAll @DoubleRange(min = 0, max = 1) double y0,
                                          @ForAll @DoubleRange(min = 0.08, max = 0.3) double size,
                                          @ForAll @IntRange(min = 2, max = 9) int frames,
                                          @ForAll @IntRange(min = 16, max = 48) int h, @ForAll @IntRange(min = 16, max = 48) int w) {
        SceneSpec s = new SceneSpec(shape, ObjectColor.WHITE, dir, travel, x0, y0, size,
                new Background(BackgroundColor.BLACK, Background.Gradient.PLAIN));
        Tensor v = Renderer.render(s, frames, h, w);
        double r = size * Math.min(h, w);
        double[] unitArea = {Math.PI, 4 * 0.85 * 0.85, 1.9, 2.0};
        double expected = unitArea[shape.ordinal()] * r * r;
        for (int f = 0; f < frames; f++) {
            double sum = 0;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    float red = v.get(f, y, x, 0);
                    assertTrue(red >= 0f && red <= 1f);
                    sum += (red - 0.04f) / (0.97f - 0.04f);
                }
            assertEquals(expected, sum, 0.01 * expected + 0.5, "frame " + f + " of " + s);
        }
    }
}
