package io.vdq.model.wan;

/**
 * Wan's 3D rotary table ({@code WanRotaryPosEmbed}): the head dimension is split into t | h | w parts
 * (h = w = d/3, t = the rest); pair i of an axis with d_a channels turns by {@code pos · θ^(−2i/d_a)}, θ = 10000,
 * with pos the integer latent-patch index along that axis. Angles are computed in double and rounded to float,
 * as diffusers does (float64 tables cast to float32).
 */
public final class WanRope {
    public static final double THETA = 10000.0;

    private WanRope() {}

    /** cos and sin, each {@code tokens × headDim/2}, tokens ordered (f, h, w). */
    public record Table(float[] cos, float[] sin, int tokens, int half) {}

    /** The angle of pair {@code i} (0 ≤ i < d_axis/2) at position {@code pos} of an axis with {@code dAxis} channels. */
    public static double angle(int pos, int i, int dAxis) {
        return pos * (1.0 / Math.pow(THETA, (double) (2 * i) / dAxis));
    }

    public static Table table(WanConfig c, int frames, int height, int width) {
        int ppf = frames / c.patchT(), pph = height / c.patchH(), ppw = width / c.patchW();
        int maxPos = Math.max(ppf, Math.max(pph, ppw));
        if (maxPos > c.ropeMaxSeqLen())
            throw new io.vdq.VdqException.ShapeException("latent grid " + ppf + "×" + pph + "×" + ppw
                    + " exceeds rope_max_seq_len " + c.ropeMaxSeqLen());
        int dt = c.ropeTDim(), dh = c.ropeHDim();
        int half = c.attentionHeadDim() / 2, ht = dt / 2, hh = dh / 2;
        int tokens = ppf * pph * ppw;
        float[] cos = new float[tokens * half], sin = new float[tokens * half];
        int tok = 0;
        for (int f = 0; f < ppf; f++)
            for (int h = 0; h < pph; h++)
                for (int w = 0; w < ppw; w++, tok++) {
                    int base = tok * half;
                    for (int i = 0; i < ht; i++) put(cos, sin, base + i, angle(f, i, dt));
                    for (int i = 0; i < hh; i++) put(cos, sin, base + ht + i, angle(h, i, dh));
                    for (int i = 0; i < hh; i++) put(cos, sin, base + ht + hh + i, angle(w, i, dh));
                }
        return new Table(cos, sin, tokens, half);
    }

    private static void put(float[] cos, float[] sin, int idx, double a) {
        cos[idx] = (float) Math.cos(a);
        sin[idx] = (float) Math.sin(a);
    }
}
