package io.vdq.synth;

/**
 * Directions of motion in image coordinates (x right, y down). The four cardinal directions are the
 * default world; the diagonals are available to samplers that ask for them.
 */
public enum Direction {
    LEFT("left", -1, 0), RIGHT("right", 1, 0), UP("up", 0, -1), DOWN("down", 0, 1),
    UP_LEFT("up-left", -1, -1), UP_RIGHT("up-right", 1, -1), DOWN_LEFT("down-left", -1, 1), DOWN_RIGHT("down-right", 1, 1);

    private final String word;
    private final int sx, sy;

    Direction(String word, int sx, int sy) { this.word = word; this.sx = sx; this.sy = sy; }

    public String word() { return word; }

    /** Unit vector x component. */
    public double dx() { return sx / Math.hypot(sx, sy); }

    /** Unit vector y component (down positive). */
    public double dy() { return sy / Math.hypot(sx, sy); }

    public boolean diagonal() { return sx != 0 && sy != 0; }

    /** The direction named by a prompt word, or null. */
    public static Direction ofWord(String w) {
        for (Direction d : values()) if (d.word.equals(w)) return d;
        return null;
    }

    /**
     * The direction whose unit vector is nearest in angle to (vx, vy), among all eight (45° sectors, so
     * a cardinal direction owns ±22.5° around its axis).
     */
    public static Direction nearest(double vx, double vy) {
        Direction best = null;
        double bestDot = Double.NEGATIVE_INFINITY;
        double n = Math.hypot(vx, vy);
        for (Direction d : values()) {
            double dot = (vx * d.dx() + vy * d.dy()) / n;
            if (dot > bestDot + 1e-12) { bestDot = dot; best = d; }
        }
        return best;
    }
}
