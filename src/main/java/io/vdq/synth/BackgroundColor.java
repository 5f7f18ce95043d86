package io.vdq.synth;

/**
 * Muted background colours, named with words that are not object colours so prompts parse unambiguously.
 * A gradient background runs from this colour to the colour lightened by {@link Background#GRADIENT_LIFT}.
 */
public enum BackgroundColor {
    GRAY("gray", 0.42f, 0.42f, 0.42f),
    NAVY("navy", 0.10f, 0.12f, 0.32f),
    BROWN("brown", 0.36f, 0.24f, 0.14f),
    FOREST("forest", 0.12f, 0.30f, 0.16f),
    PLUM("plum", 0.30f, 0.16f, 0.32f),
    BLACK("black", 0.04f, 0.04f, 0.04f);

    private final String word;
    private final float r, g, b;

    BackgroundColor(String word, float r, float g, float b) { this.word = word; this.r = r; this.g = g; this.b = b; }

    public String word() { return word; }

    /** A fresh {r, g, b} array in [0, 1]. */
    public float[] rgb() { return new float[]{r, g, b}; }

    /** The colour named by a prompt word, or null. */
    public static BackgroundColor ofWord(String w) {
        for (BackgroundColor c : values()) if (c.word.equals(w)) return c;
        return null;
    }
}
