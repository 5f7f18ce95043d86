package io.vdq.quant.s2q;

import io.vdq.VdqException.ShapeException;
import io.vdq.quant.InputTransform;
import io.vdq.tensor.Parallel;

/**
 * The deployed S²Q transform of one linear input: {@code x ← (x ⊘ c)·(P₁ ⊗ P₂)} online and
 * {@code W ← (W ⊙ c)·(P₁ ⊗ P₂)} folded into the weights, with c a positive per-channel balancing scale and P₁ (d₁×d₁),
 * P₂ (d₂×d₂), d = d₁·d₂, orthogonal, so (P₁⊗P₂)⁻ᵀ = P₁⊗P₂ and {@code (x·T)·(W·T⁻ᵀ)ᵀ = x·Wᵀ}. A row of d values is
 * read as a d₁×d₂ matrix X (row-major) and becomes {@code P₁ᵀ·X·P₂}: two small products instead of a d×d one.
 * Frozen values (copies); {@link #scale()}, {@link #p1()}, {@link #p2()} describe it completely (for serialization).
 */
public final class KroneckerTransform implements InputTransform {
    private final int d1, d2;
    private final float[] c, p1, p2;

    public KroneckerTransform(float[] scale, int d1, float[] p1, int d2, float[] p2) {
        if (scale.length != d1 * d2 || p1.length != d1 * d1 || p2.length != d2 * d2)
            throw new ShapeException("Kronecker transform: scale of " + scale.length + ", factors of " + p1.length + " and " + p2.length
                    + " values; expected d1·d2 = " + d1 * d2 + ", d1² = " + d1 * d1 + ", d2² = " + d2 * d2);
        for (int j = 0; j < scale.length; j++)
            if (!(scale[j] > 0) || !Float.isFinite(scale[j]))
                throw new ShapeException("Kronecker transform scale " + j + " = " + scale[j] + ": expected a positive finite value");
        this.d1 = d1;
        this.d2 = d2;
        this.c = scale.clone();
        this.p1 = p1.clone();
        this.p2 = p2.clone();
    }

    /** d₁·d₂ = d with d₁ the largest divisor of d not above √d (16×16 for 256, 32×32 for 1024, 24×32 for 768). */
    public static int[] factor(int d) {
        int a = (int) Math.floor(Math.sqrt(d));
        while (d % a != 0) a--;
        return new int[]{a, d / a};
    }

    @Override public int channels() { return d1 * d2; }
    @Override public boolean rowLocal() { return true; }
    public int d1() { return d1; }
    public int d2() { return d2; }
    /** The per-channel divisor c (copy). */
    public float[] scale() { return c.clone(); }
    /** P₁, d₁×d₁ row-major (copy). */
    public float[] p1() { return p1.clone(); }
    /** P₂, d₂×d₂ row-major (copy). */
    public float[] p2() { return p2.clone(); }

    @Override
    public void apply(float[] x, int off, int rows) { rotate(x, off, rows, false); }

    @Override
    public void foldIntoWeights(float[] w, int out) { rotate(w, 0, out, true); }

    private void rotate(float[] x, int off, int rows, boolean multiply) {
        int d = d1 * d2;
        Parallel.range(rows, (from, to) -> {
            float[] u = new float[d], z = new float[d];
            for (int r = from; r < to; r++) {
                int o = off + r * d;
                for (int j = 0; j < d; j++) u[j] = multiply ? x[o + j] * c[j] : x[o + j] / c[j];
                kron(u, z, x, o, d1, d2, p1, p2);
            }
        });
    }

    /** y[o..o+d) = vec(P₁ᵀ·U·P₂) for the d₁×d₂ matrix U; z is scratch of d values (float accumulation). */
    static void kron(float[] u, float[] z, float[] y, int o, int d1, int d2, float[] p1, float[] p2) {
        for (int i = 0; i < d1; i++)
            for (int l = 0; l < d2; l++) {
                float s = 0f;
                for (int j = 0; j < d2; j++) s += u[i * d2 + j] * p2[j * d2 + l];
                z[i * d2 + l] = s;
            }
        for (int k = 0; k < d1; k++)
            for (int l = 0; l < d2; l++) {
                float s = 0f;
                for (int i = 0; i < d1; i++) s += p1[i * d1 + k] * z[i * d2 + l];
                y[o + k * d2 + l] = s;
            }
    }

    @Override public String toString() { return "kronecker(K=" + channels() + " = " + d1 + "×" + d2 + ", scaled)"; }
}
