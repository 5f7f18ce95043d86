package io.vdq.synth;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class PaletteTest {
    static double dist(float[] a, float[] b) {
        return Math.sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));
    }

    @Test
    void objectColoursArePairwiseDistinct() {
        assertTrue(ObjectColor.values().length >= 6);
        for (ObjectColor a : ObjectColor.values())
            for (ObjectColor b : ObjectColor.values())
                if (a != b) assertTrue(dist(a.rgb(), b.rgb()) >= 0.35, a + " vs " + b);
    }

    @Test
    void backgroundsAreMutedAndFarFromEveryObjectColourAtBothGradientEnds() {
        for (BackgroundColor bg : BackgroundColor.values()) {
            float[] lo = bg.rgb(), hi = {lo[0] + 0.2f, lo[1] + 0.2f, lo[2] + 0.2f};
            for (float c : hi) assertTrue(c <= 0.65f, bg + " lifted end should stay muted");
            for (ObjectColor o : ObjectColor.values()) {
                assertTrue(dist(o.rgb(), lo) >= 0.35, o + " vs " + bg);
                assertTrue(dist(o.rgb(), hi) >= 0.35, o + " vs lifted " + bg);
            }
        }
    }

    @Test
    void nearestPaletteEntryOfAPaletteColourIsItself() {
        for (ObjectColor o : ObjectColor.values()) {
            float[] c = o.rgb();
            assertEquals(o, ObjectColor.nearest(c[0] + 0.05, c[1] - 0.05, c[2] + 0.05));
        }
    }

    @Test
    void nearestDirectionUsesFortyFiveDegreeSectors() {
        assertEquals(Direction.LEFT, Direction.nearest(-1, 0.4)); // 21.8° off the axis
        assertEquals(Direction.DOWN_LEFT, Direction.nearest(-1, 0.45)); // 24.2°
        assertEquals(Direction.UP, Direction.nearest(0.1, -1));
        assertEquals(Direction.DOWN_RIGHT, Direction.nearest(3, 3.2));
    }
}
