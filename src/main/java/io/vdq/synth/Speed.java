package io.vdq.synth;

/**
 * Speed classes. A scene's speed is its travel: how far the centre moves over the whole clip, as a
 * fraction of min(H, W), so one spec renders alike at any resolution and frame count. The ranges are
 * half-open [min, max) except that FAST includes its max.
 */
public enum Speed {
    SLOW("slowly", 0.25, 0.40), FAST("quickly", 0.40, 0.50);

    private final String word;
    private final double min, max;

    Speed(String word, double min, double max) { this.word = word; this.min = min; this.max = max; }

    public String word() { return word; }
    public double min() { return min; }
    public double max() { return max; }

    /** The class of a travel value (below SLOW's range counts as SLOW, above FAST's as FAST). */
    public static Speed of(double travel) { return travel < SLOW.max ? SLOW : FAST; }

    public static Speed ofWord(String w) {
        for (Speed s : values()) if (s.word.equals(w)) return s;
        return null;
    }
}
