package io.vdq.synth;

/**
 * A background: a muted colour, plain or as a linear gradient. A vertical gradient goes from the colour at
 * the top edge (y = 0) to the colour plus {@link #GRADIENT_LIFT} on every channel at the bottom edge
 * (y = H); a horizontal one does the same from left (x = 0) to right (x = W). Pixel centres sit at
 * (x + ½, y + ½), so the pixel value is linear in the pixel index.
 */
public record Background(BackgroundColor color, Gradient gradient) {
    /** How much lighter (per channel) the far end of a gradient is. */
    public static final float GRADIENT_LIFT = 0.2f;

    /** Plain, vertical or horizontal. */
    public enum Gradient {
        PLAIN(null), VERTICAL("vertical"), HORIZONTAL("horizontal");

        private final String word;

        Gradient(String word) { this.word = word; }

        /** The prompt word ("vertical", "horizontal"), null for plain. */
        public String word() { return word; }

        public static Gradient ofWord(String w) {
            for (Gradient g : values()) if (g.word != null && g.word.equals(w)) return g;
            return null;
        }
    }

    public Background {
        if (color == null || gradient == null) throw new NullPointerException("background colour and gradient");
    }

    /** The words after "on a": "gray background" or "gray vertical gradient background". */
    public String phrase() {
        return gradient == Gradient.PLAIN ? color.word() + " background"
                : color.word() + " " + gradient.word() + " gradient background";
    }

    /** Gradient position t in [0, 1] of the pixel centre (x + ½, y + ½) in an H×W frame (0 for plain). */
    public float t(int y, int x, int height, int width) {
        return switch (gradient) {
            case PLAIN -> 0f;
            case VERTICAL -> (y + 0.5f) / height;
            case HORIZONTAL -> (x + 0.5f) / width;
        };
    }
}
