package io.vdq.train;

import io.vdq.VdqException.ShapeException;
import io.vdq.kernel.Kernels;

/**
 * Rotary tables for one example's tokens: {@code cos/sin[t·headDim/2 + p]} rotate the interleaved pair
 * (x[2p], x[2p+1]) of every head of token t. Forward rotates by +θ, backward by −θ (the transpose).
 */
public record RopeTable(int tokens, int headDim, float[] cos, float[] sin, float[] negSin) {

    public RopeTable {
        if (cos.length != tokens * headDim / 2 || sin.length != cos.length || negSin.length != cos.length)
            throw new ShapeException("rope table: expected " + tokens + "×" + headDim / 2 + " entries, got " + cos.length);
    }

    public static RopeTable of(int tokens, int headDim, float[] cos, float[] sin) {
        float[] ns = new float[sin.length];
        for (int i = 0; i < sin.length; i++) ns[i] = -sin[i];
        return new RopeTable(tokens, headDim, cos, sin, ns);
    }

    /**
     * Wan2.1's 3D table (diffusers {@code WanRotaryPosEmbed}) for a grid of f×h×w patches in (f, h, w) order:
     * head_dim split into h = w = 2·⌊headDim/6⌋ and t = the rest; axis frequencies 1/θ^(2i/d_axis) in double;
     * positions are the integer patch indices; pairs concatenated [t | h | w].
     */
    public static RopeTable wan(int headDim, int f, int h, int w, double theta) {
        if (headDim % 2 != 0) throw new ShapeException("rope: head_dim " + headDim + " must be even");
        int hd = 2 * (headDim / 6), td = headDim - 2 * hd, half = headDim / 2;
        int n = f * h * w;
        float[] cos = new float[n * half], sin = new float[n * half];
        for (int fi = 0; fi < f; fi++)
            for (int hi = 0; hi < h; hi++)
                for (int wi = 0; wi < w; wi++) {
                    int t = (fi * h + hi) * w + wi, o = t * half;
                    o = fill(cos, sin, o, fi, td, theta);
                    o = fill(cos, sin, o, hi, hd, theta);
                    fill(cos, sin, o, wi, hd, theta);
                }
        return of(n, headDim, cos, sin);
    }

    private static int fill(float[] cos, float[] sin, int o, int pos, int axisDim, double theta) {
        for (int i = 0; i < axisDim / 2; i++) {
            double a = pos * (1.0 / Math.pow(theta, (2.0 * i) / axisDim));
            cos[o + i] = (float) Math.cos(a);
            sin[o + i] = (float) Math.sin(a);
        }
        return o + axisDim / 2;
    }

    /** Rotates a copy of x: {@code batch} examples of {@code tokens} rows of {@code heads·headDim}. */
    public float[] apply(float[] x, int batch, int heads, boolean inverse) {
        float[] y = x.clone();
        int inner = heads * headDim;
        for (int b = 0; b < batch; b++)
            Kernels.get().rope(y, b * tokens * inner, tokens, heads, headDim, inner, cos, inverse ? negSin : sin);
        return y;
    }
}
