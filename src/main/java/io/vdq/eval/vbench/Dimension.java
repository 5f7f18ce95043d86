package io.vdq.eval.vbench;

/** The eight VBench-lite dimensions, in report order; each per-video value is in [0, 1]. */
public enum Dimension {
    COLOR("color_accuracy", "colour accuracy"),
    SHAPE("shape_accuracy", "shape accuracy"),
    DIRECTION("direction_accuracy", "direction accuracy"),
    SMOOTHNESS("motion_smoothness", "motion smoothness"),
    SUBJECT("subject_consistency", "subject consistency"),
    BACKGROUND("background_consistency", "background consistency"),
    DYNAMIC("dynamic_degree", "dynamic degree"),
    IMAGING("imaging_quality", "imaging quality");

    private final String key, label;

    Dimension(String key, String label) { this.key = key; this.label = label; }

    /** Machine name (JSON key). */
    public String key() { return key; }

    /** Human name (table row). */
    public String label() { return label; }
}
