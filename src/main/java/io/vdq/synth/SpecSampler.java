package io.vdq.synth;

import java.util.SplittableRandom;

/**
 * Draws random scenes from a seed. Every draw uses {@code new SplittableRandom(seed)} and takes its values in
 * a fixed order (shape, colour, direction, speed class, travel, size, background colour, gradient, start
 * across, start along), so a seed always gives the same scene, and constraining some fields by a
 * {@link Prompt} leaves the others as they were. Scenes never bounce: the start is drawn so the shape stays
 * at least {@link #MARGIN} (fraction of min(H, W)) inside every edge over the whole clip.
 * Seeds are split into disjoint ranges ({@link Split}) so validation and test scenes are never trained on.
 */
public final class SpecSampler {
    /** Shape scale range, fraction of min(H, W). */
    public static final double SIZE_MIN = 0.14, SIZE_MAX = 0.19;
    /** Gap kept between the shape's bounding box and the frame edge, fraction of min(H, W) (1 px at 32). */
    public static final double MARGIN = 1.0 / 32;

    /** Disjoint seed ranges: index i of a split is seed {@code base + i}. */
    public enum Split {
        TRAIN(0L), VALIDATION(1L << 40), TEST(2L << 40);

        private final long base;

        Split(long base) { this.base = base; }

        /** The seed of the i-th scene of this split (0 ≤ i < 2^40). */
        public long seed(long index) {
            if (index < 0 || index >= (1L << 40)) throw new IllegalArgumentException("split index " + index + " outside [0, 2^40)");
            return base + index;
        }

        /** The split a seed belongs to (seeds ≥ 3·2^40 or negative are counted as TEST). */
        public static Split of(long seed) {
            if (seed >= 0 && seed < (1L << 40)) return TRAIN;
            if (seed >= (1L << 40) && seed < (2L << 40)) return VALIDATION;
            return TEST;
        }
    }

    private final int height, width;
    private final boolean diagonals;

    /** A sampler for H×W frames; with {@code diagonals} the four diagonal directions are drawn too. */
    public SpecSampler(int height, int width, boolean diagonals) {
        if (height < 8 || width < 8) throw new io.vdq.VdqException.ConfigException("spec sampler: frames must be at least 8×8, got " + height + "×" + width);
        this.height = height;
        this.width = width;
        this.diagonals = diagonals;
    }

    /** 32×32 frames, four cardinal directions. */
    public static SpecSampler standard() { return new SpecSampler(32, 32, false); }

    public SceneSpec sample(long seed) { return sample(seed, null); }

    /** A scene from {@code seed} that agrees with every field {@code prompt} fixes (null: no constraint). */
    public SceneSpec sample(long seed, Prompt prompt) {
        SplittableRandom rng = new SplittableRandom(seed);
        ObjectShape shape = pick(rng, ObjectShape.values());
        ObjectColor color = pick(rng, ObjectColor.values());
        Direction dir = Direction.values()[rng.nextInt(diagonals ? 8 : 4)];
        Speed speed = pick(rng, Speed.values());
        double tu = rng.nextDouble(), size = SIZE_MIN + (SIZE_MAX - SIZE_MIN) * rng.nextDouble();
        BackgroundColor bc = pick(rng, BackgroundColor.values());
        Background.Gradient g = pick(rng, Background.Gradient.values());
        double across = rng.nextDouble(), along = rng.nextDouble();
        if (prompt != null) {
            shape = prompt.shape();
            color = prompt.color();
            dir = prompt.direction();
            if (prompt.speed() != null) speed = prompt.speed();
            if (prompt.background() != null) { bc = prompt.background().color(); g = prompt.background().gradient(); }
        }
        double travel = speed.min() + (speed.max() - speed.min()) * tu;
        double s = Math.min(height, width), r = size * s, e = shape.extent() * r + MARGIN * s;
        double tx = dir.dx() * travel * s, ty = dir.dy() * travel * s;
        double x = start(e, width - e, tx, dir.dx() == 0 ? across : along);
        double y = start(e, height - e, ty, dir.dx() == 0 ? along : across);
        return new SceneSpec(shape, color, dir, travel, x / width, y / height, size, new Background(bc, g));
    }

    /** A start in [lo, hi] such that start + move also lies in [lo, hi]; u in [0, 1) picks where. */
    private static double start(double lo, double hi, double move, double u) {
        double a = lo + Math.max(0, -move), b = hi - Math.max(0, move);
        if (b < a) return (lo + hi) / 2; // cannot fit: centre it (the renderer bounces)
        return a + (b - a) * u;
    }

    private static <T> T pick(SplittableRandom rng, T[] values) { return values[rng.nextInt(values.length)]; }
}
