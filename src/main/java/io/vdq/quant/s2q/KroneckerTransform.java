package io.vdq.quant.s2q;

import io.vdq.VdqException.ShapeException;
import io.vdq.kernel.KernelBackend;
import io.vdq.kernel.Kernels;
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
    private final float[] c, p1, p2, p1t, p2t;

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
        this.p1t = transpose(p1, d1);
        this.p2t = transpose(p2, d2);
    }

    private static float[] transpose(float[] m, int n) {
        float[] t = new float[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) t[j * n + i] = m[i * n + j];
        return t;
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

    /**
     * Scale, then the two Kronecker factors as GEMMs on the kernel backend: Z = U·P₂ on [rows·d₁, d₂], then
     * Yᵀ-blocks = Zᵀ·P₁ on the swapped [rows·d₂, d₁] layout (4 temporaries of rows·d floats).
     */
    private void rotate(float[] x, int off, int rows, boolean multiply) {
        int d = d1 * d2;
        float[] u = new float[rows * d];
        Parallel.range(rows, (from, to) -> {
            for (int r = from; r < to; r++)
                for (int j = 0, o = r * d; j < d; j++) u[o + j] = multiply ? x[off + o + j] * c[j] : x[off + o + j] / c[j];
        });
        KernelBackend kb = Kernels.get();
        float[] z = new float[rows * d], yp = new float[rows * d];
        kb.sgemm(false, true, rows * d1, d2, d2, u, 0, d2, p2t, 0, d2, 0f, z, 0, d2);
        float[] zp = LearnableTransform.swap(z, rows, d1, d2);
        kb.sgemm(false, true, rows * d2, d1, d1, zp, 0, d1, p1t, 0, d1, 0f, yp, 0, d1);
        float[] y = LearnableTransform.swap(yp, rows, d2, d1);
        System.arraycopy(y, 0, x, off, rows * d);
    }

    @Override public String toString() { return "kronecker(K=" + channels() + " = " + d1 + "×" + d2 + ", scaled)"; }
}
