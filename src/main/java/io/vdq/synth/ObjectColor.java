package io.vdq.synth;

/**
 * The object palette: saturated or bright colours, pairwise at least 0.35 apart in RGB (Euclidean, [0,1]
 * per channel) and at least 0.35 from every background colour including its gradient end
 * (see {@code PaletteTest}). VBench-lite classifies an object's colour as the nearest entry.
 */
public enum ObjectColor {
    RED("red", 0.90f, 0.10f, 0.10f),
    ORANGE("orange", 1.00f, 0.55f, 0.05f),
    YELLOW("yellow", 0.95f, 0.90f, 0.10f),
    GREEN("green", 0.10f, 0.80f, 0.20f),
    CYAN("cyan", 0.10f, 0.85f, 0.90f),
    BLUE("blue", 0.15f, 0.25f, 0.95f),
    MAGENTA("magenta", 0.85f, 0.15f, 0.85f),
    WHITE("white", 0.97f, 0.97f, 0.97f);

    private final String word;
    private final float r, g, b;

    ObjectColor(String word, float r, float g, float b) { this.word = word; this.r = r; this.g = g; this.b = b; }

    public String word() { return word; }

    /** A fresh {r, g, b} array in [0, 1]. */
    public float[] rgb() { return new float[]{r, g, b}; }

    /** The colour named by a prompt word, or null. */
    public static ObjectColor ofWord(String w) {
        for (ObjectColor c : values()) if (c.word.equals(w)) return c;
        return null;
    }

    /** The palette entry nearest (Euclidean RGB) to the given colour; ties go to the earlier entry. */
    public static ObjectColor nearest(double r, double g, double b) {
        ObjectColor best = null;
        double bestD = Double.POSITIVE_INFINITY;
        for (ObjectColor c : values()) {
            double dr = r - c.r, dg = g - c.g, db = b - c.b, d = dr * dr + dg * dg + db * db;
            if (d < bestD) { bestD = d; best = c; }
        }
        return best;
    }
}
