package io.vdq.synth;

import static org.junit.jupiter.api.Assertions.*;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;

class SpecSamplerTest {
    @Test
    void sameSeedSameSceneAndSplitsAreDisjoint() {
        SpecSampler s = SpecSampler.standard();
        assertEquals(s.sample(7), s.sample(7));
        for (SpecSampler.Split split : SpecSampler.Split.values()) {
            assertEquals(split, SpecSampler.Split.of(split.seed(0)));
            assertEquals(split, SpecSampler.Split.of(split.seed((1L << 40) - 1)));
        }
        assertNotEquals(SpecSampler.Split.TRAIN.seed(5), SpecSampler.Split.VALIDATION.seed(5));
        assertThrows(IllegalArgumentException.class, () -> SpecSampler.Split.TEST.seed(1L << 40));
    }

    @Test
    void sampledPathsStayInsideWithTheMarginAndNeverBounce() {
        int F = 16, H = 32, W = 32;
        SpecSampler s = new SpecSampler(H, W, true);
        for (long seed = 0; seed < 3000; seed++) {
            SceneSpec sp = s.sample(seed);
            double r = sp.size() * 32, e = sp.shape().extent() * r + 1.0;
            assertTrue(sp.size() >= 0.14 && sp.size() <= 0.19);
            assertTrue(sp.travel() >= sp.speed().min() && sp.travel() <= sp.speed().max());
            for (int f = 0; f < F; f++) {
                double[] c = sp.centre(f, F, H, W);
                double k = f / (F - 1.0);
                // unreflected straight path
                assertEquals(sp.x0() * W + sp.direction().dx() * sp.travel() * 32 * k, c[0], 1e-9, "seed " + seed);
                assertEquals(sp.y0() * H + sp.direction().dy() * sp.travel() * 32 * k, c[1], 1e-9, "seed " + seed);
                assertTrue(c[0] >= e - 1e-9 && c[0] <= W - e + 1e-9 && c[1] >= e - 1e-9 && c[1] <= H - e + 1e-9, "seed " + seed);
            }
        }
    }

    @Test
    void drawsEveryValueOfEveryField() {
        EnumSet<ObjectShape> shapes = EnumSet.noneOf(ObjectShape.class);
        EnumSet<ObjectColor> colors = EnumSet.noneOf(ObjectColor.class);
        EnumSet<Direction> dirs = EnumSet.noneOf(Direction.class);
        EnumSet<BackgroundColor> bgs = EnumSet.noneOf(BackgroundColor.class);
        EnumSet<Background.Gradient> grads = EnumSet.noneOf(Background.Gradient.class);
        EnumSet<Speed> speeds = EnumSet.noneOf(Speed.class);
        for (long seed = 0; seed < 2000; seed++) {
            SceneSpec sp = SpecSampler.standard().sample(seed);
            shapes.add(sp.shape()); colors.add(sp.color()); dirs.add(sp.direction());
            bgs.add(sp.background().color()); grads.add(sp.background().gradient()); speeds.add(sp.speed());
        }
        assertEquals(EnumSet.allOf(ObjectShape.class), shapes);
        assertEquals(EnumSet.allOf(ObjectColor.class), colors);
        assertEquals(EnumSet.of(Direction.LEFT, Direction.RIGHT, Direction.UP, Direction.DOWN), dirs);
        assertEquals(EnumSet.allOf(BackgroundColor.class), bgs);
        assertEquals(EnumSet.allOf(Background.Gradient.class), grads);
        assertEquals(EnumSet.allOf(Speed.class), speeds);
    }

    @Test
    void promptConstrainedScenesMatchThePromptAndKeepTheOtherDraws() {
        SpecSampler s = SpecSampler.standard();
        Prompt p = Prompt.parse("a green square moving up");
        for (long seed = 100; seed < 200; seed++) {
            SceneSpec free = s.sample(seed), fixed = s.sample(seed, p);
            assertTrue(p.matches(fixed));
            assertEquals(free.background(), fixed.background());
            assertEquals(free.size(), fixed.size());
            assertEquals(free.speed(), fixed.speed());
        }
        SceneSpec withBg = s.sample(3, Prompt.parse("a white diamond moving right slowly on a black horizontal gradient background"));
        assertEquals(new Background(BackgroundColor.BLACK, Background.Gradient.HORIZONTAL), withBg.background());
        assertEquals(Speed.SLOW, withBg.speed());
    }
}
