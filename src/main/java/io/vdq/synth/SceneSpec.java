package io.vdq.synth;

import io.vdq.VdqException.ConfigException;

/**
 * One scene: a single shape of one colour moving in a straight line over a background. Geometry is in
 * resolution-free units so a spec renders alike at any size: {@code x0}, {@code y0} are the centre at the
 * first frame as fractions of W and H; {@code size} (the shape's scale r, see {@link ObjectShape}) and
 * {@code travel} (distance the centre moves over the clip along {@code direction}) are fractions of
 * min(H, W). Paths that would leave the frame bounce: the centre is reflected at the edges of the range
 * that keeps the shape inside (see {@link #centre}); {@link SpecSampler} only draws paths that never bounce.
 */
public record SceneSpec(ObjectShape shape, ObjectColor color, Direction direction, double travel,
                        double x0, double y0, double size, Background background) {
    public SceneSpec {
        if (shape == null || color == null || direction == null || background == null)
            throw new ConfigException("scene spec: shape, color, direction and background must all be set");
        if (!(travel >= 0 && travel <= 4)) throw new ConfigException("scene spec field travel: expected 0..4, got " + travel);
        if (!(x0 >= 0 && x0 <= 1)) throw new ConfigException("scene spec field x0: expected 0..1, got " + x0);
        if (!(y0 >= 0 && y0 <= 1)) throw new ConfigException("scene spec field y0: expected 0..1, got " + y0);
        if (!(size > 0 && size <= 0.5)) throw new ConfigException("scene spec field size: expected (0, 0.5], got " + size);
    }

    /** The speed class of this scene's travel. */
    public Speed speed() { return Speed.of(travel); }

    /** The canonical prompt, e.g. "a red circle moving left slowly on a gray vertical gradient background". */
    public String prompt() { return toPrompt().text(); }

    /** Everything a prompt can say about this scene. */
    public Prompt toPrompt() { return new Prompt(color, shape, direction, speed(), background); }

    /** Shape scale r in pixels for an H×W frame. */
    public double radiusPx(int height, int width) { return size * Math.min(height, width); }

    /**
     * Centre {x, y} in pixels at frame {@code f} of {@code frames} (frame 0 at (x0·W, y0·H), the last frame
     * {@code travel·min(H,W)} further along the direction), reflected into [e, W − e] × [e, H − e] where
     * e = extent·r, so the shape bounces off the edges instead of leaving.
     */
    public double[] centre(int f, int frames, int height, int width) {
        double s = Math.min(height, width), r = size * s, e = shape.extent() * r;
        double k = frames > 1 ? (double) f / (frames - 1) : 0.0;
        double dist = travel * s * k;
        double cx = reflect(x0 * width + direction.dx() * dist, e, width - e, width);
        double cy = reflect(y0 * height + direction.dy() * dist, e, height - e, height);
        return new double[]{cx, cy};
    }

    private static double reflect(double p, double lo, double hi, double full) {
        if (hi <= lo) return full / 2;
        double len = hi - lo, m = (p - lo) % (2 * len);
        if (m < 0) m += 2 * len;
        return lo + (m > len ? 2 * len - m : m);
    }
}
