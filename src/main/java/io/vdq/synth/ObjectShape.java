package io.vdq.synth;

/**
 * The shapes of the world, axis-aligned and never rotated. Each is defined in normalised coordinates
 * (u, v) = ((x − cx) / r, (y − cy) / r) around its centre, with y pointing down, r the object's size in
 * pixels, by its horizontal chords {@link #halfWidth}. Every shape fits in the box [−1, 1]².
 */
public enum ObjectShape {
    /** Disc of radius 1. Area π. */
    CIRCLE("circle"),
    /** Square of half-side 0.85. Area 2.89. */
    SQUARE("square"),
    /** Triangle pointing up: apex (0, −1), base from (−1, 0.9) to (1, 0.9). Area 1.9. */
    TRIANGLE("triangle"),
    /** Square rotated 45°: |u| + |v| ≤ 1. Area 2. */
    DIAMOND("diamond");

    static final double SQUARE_HALF = 0.85;
    static final double TRI_BASE = 0.9;

    private final String word;

    ObjectShape(String word) { this.word = word; }

    /** The prompt word. */
    public String word() { return word; }

    /** Half-width of the shape's bounding box in units of the size (all shapes: 1 or less). */
    public double extent() { return this == SQUARE ? SQUARE_HALF : 1.0; }

    /**
     * Half-width of the shape's horizontal chord at normalised height v (units of the size; the chord is
     * [−w, w] around the centre), or a negative number when the line y = v misses the shape. All shapes are
     * convex and symmetric about u = 0, so one chord per scanline describes them exactly.
     */
    public double halfWidth(double v) {
        return switch (this) {
            case CIRCLE -> Math.abs(v) <= 1 ? Math.sqrt(1.0 - v * v) : -1;
            case SQUARE -> Math.abs(v) <= SQUARE_HALF ? SQUARE_HALF : -1;
            case TRIANGLE -> v >= -1 && v <= TRI_BASE ? (v + 1.0) / (1.0 + TRI_BASE) : -1;
            case DIAMOND -> 1.0 - Math.abs(v);
        };
    }

    /** Exact area of the shape in units of size², from the definitions above. */
    public double area() {
        return switch (this) {
            case CIRCLE -> Math.PI;
            case SQUARE -> 4 * SQUARE_HALF * SQUARE_HALF;
            case TRIANGLE -> 0.5 * 2.0 * (1.0 + TRI_BASE);
            case DIAMOND -> 2.0;
        };
    }

    /** Vertical offset of the shape's centroid from its centre, in units of the size (non-zero only for the triangle). */
    public double centroidOffsetY() {
        return this == TRIANGLE ? (-1.0 + TRI_BASE + TRI_BASE) / 3.0 : 0.0;
    }

    /** The shape named by a prompt word, or null. */
    public static ObjectShape ofWord(String w) {
        for (ObjectShape s : values()) if (s.word.equals(w)) return s;
        return null;
    }
}
