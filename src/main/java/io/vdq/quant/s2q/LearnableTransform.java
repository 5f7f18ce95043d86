package io.vdq.quant.s2q;

import io.vdq.VdqException.ConfigException;
import io.vdq.tensor.Parallel;
import io.vdq.tensor.Tensor;
import io.vdq.train.FakeQuantSTE;
import io.vdq.train.MatrixFn;
import io.vdq.train.Ops;
import io.vdq.train.Param;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The trainable form of {@link KroneckerTransform} for one group of linears that read the same activation
 * (FlatQuant-style, as S²Q-VDiT's App. A describes): balancing scale {@code c = exp(s)} (log-parametrised so Adam's
 * steps are relative and c stays positive), and orthogonal factors {@code P_k = R_k·Cayley(A_k)},
 * {@code Cayley(A) = (I + A)⁻¹(I − A)}, {@code A = S − Sᵀ}, with R_k a fixed orthogonal start (normalised
 * Hadamard when d_k is a power of two, else a seeded random orthogonal matrix, or the identity) and S_k = 0 at the
 * start. {@link #inputFn} and {@link #weightFn} hook the transform (followed by a fake quantizer) onto a
 * {@code LinearLayer}; their backward passes accumulate dL/dP_k and dL/dc here; {@link #finishBackward} turns them
 * into the parameters' gradients, and {@link #refresh} recomputes P_k after an optimiser step.
 */
public final class LearnableTransform {
    /** Rows per gradient partial: partial sums are added in chunk order, so results do not depend on threads. */
    static final int CHUNK = 64;

    private final int d, d1, d2;
    private final Param logScale, skew1, skew2;
    private final double[] base1, base2;
    private float[] c, p1, p2;
    private double[] minv1, minv2, q1, q2;
    private final double[] gp1, gp2, gc;
    private final boolean learnRotation;

    /** How R_k starts. */
    public enum RotationInit { HADAMARD, RANDOM, IDENTITY }

    /**
     * @param initScale     c at the start (e.g. SmoothQuant's α = 0.3 values), positive
     * @param learnRotation false keeps P = R (then only c and the clipping learn)
     */
    public LearnableTransform(String name, float[] initScale, RotationInit init, boolean learnRotation, long seed) {
        this.d = initScale.length;
        int[] f = KroneckerTransform.factor(d);
        this.d1 = f[0];
        this.d2 = f[1];
        this.learnRotation = learnRotation;
        logScale = new Param(name + ".log_scale", Tensor.zeros(d)).decay(false);
        for (int j = 0; j < d; j++) {
            if (!(initScale[j] > 0) || !Float.isFinite(initScale[j]))
                throw new ConfigException(name + ": initial balancing scale " + j + " = " + initScale[j] + ", expected positive");
            logScale.v()[j] = (float) Math.log(initScale[j]);
        }
        skew1 = new Param(name + ".skew1", Tensor.zeros(d1, d1)).decay(false);
        skew2 = new Param(name + ".skew2", Tensor.zeros(d2, d2)).decay(false);
        SplittableRandom rng = new SplittableRandom(seed);
        base1 = orthogonal(d1, init, rng.split());
        base2 = orthogonal(d2, init, rng.split());
        gp1 = new double[d1 * d1];
        gp2 = new double[d2 * d2];
        gc = new double[d];
        refresh();
    }

    public int channels() { return d; }

    /** The trainable parameters: log-scale always, the two skew generators when the rotation learns. */
    public List<Param> params() {
        List<Param> l = new ArrayList<>(List.of(logScale));
        if (learnRotation) { l.add(skew1); l.add(skew2); }
        return l;
    }

    /** Recomputes c and P_k from the parameters (after every optimiser step). */
    public void refresh() {
        c = new float[d];
        for (int j = 0; j < d; j++) c[j] = (float) Math.exp(logScale.v()[j]);
        double[][] r1 = cayley(skew1.v(), d1), r2 = cayley(skew2.v(), d2);
        minv1 = r1[0]; q1 = r1[1];
        minv2 = r2[0]; q2 = r2[1];
        p1 = toFloat(matmul(base1, q1, d1));
        p2 = toFloat(matmul(base2, q2, d2));
    }

    /** The frozen transform with the current values. */
    public KroneckerTransform freeze() { return new KroneckerTransform(c, d1, p1, d2, p2); }

    /** Input side: {@code x ↦ Q_a((x ⊘ c)·P)} ({@code quantizer} null = no activation quantization). */
    public MatrixFn inputFn(FakeQuantSTE quantizer) { return new Fn(false, quantizer); }

    /** Weight side: {@code W ↦ Q_w((W ⊙ c)·P)}. */
    public MatrixFn weightFn(FakeQuantSTE quantizer) { return new Fn(true, quantizer); }

    /** Adds the accumulated dL/dP_k and dL/dc into the parameters' gradients and clears the accumulators. */
    public void finishBackward() {
        float[] gs = logScale.g();
        for (int j = 0; j < d; j++) gs[j] += (float) (gc[j] * c[j]);
        if (learnRotation) {
            addSkewGrad(base1, minv1, q1, gp1, d1, skew1.g());
            addSkewGrad(base2, minv2, q2, gp2, d2, skew2.g());
        }
        Arrays.fill(gc, 0);
        Arrays.fill(gp1, 0);
        Arrays.fill(gp2, 0);
    }

    /** dL/dQ = Rᵀ·G; dL/dA = −M⁻ᵀ·(dL/dQ)·(Q + I)ᵀ; dL/dS = dL/dA − (dL/dA)ᵀ. */
    private static void addSkewGrad(double[] r, double[] minv, double[] q, double[] gp, int n, float[] out) {
        double[] gq = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < n; k++) s += r[k * n + i] * gp[k * n + j];
            gq[i * n + j] = s;
        }
        double[] t = new double[n * n]; // M⁻ᵀ·gq
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) {
            double s = 0;
            for (int k = 0; k < n; k++) s += minv[k * n + i] * gq[k * n + j];
            t[i * n + j] = s;
        }
        double[] ga = new double[n * n]; // −t·(Q + I)ᵀ
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) {
            double s = t[i * n + j];
            for (int k = 0; k < n; k++) s += t[i * n + k] * q[j * n + k];
            ga[i * n + j] = -s;
        }
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) out[i * n + j] += (float) (ga[i * n + j] - ga[j * n + i]);
    }

    private record FnCache(float[] x, float[] u, float[] zp, int rows, MatrixFn.Cache q) implements MatrixFn.Cache {}

    /** [R, a, b] → [R, b, a]. */
    static float[] swap(float[] x, int rows, int a, int b) {
        float[] y = new float[x.length];
        Parallel.range(rows, (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * a * b;
                for (int i = 0; i < a; i++) for (int j = 0; j < b; j++) y[o + j * a + i] = x[o + i * b + j];
            }
        });
        return y;
    }

    private static float[] transposed(float[] m, int n) { return Ops.transpose(m, 0, n, n, n); }

    /**
     * Transform, then an optional fake quantizer, as one differentiable map. Rows are d₁×d₂ matrices U; the products
     * run as GEMMs on the training engine's kernel: Z = U·P₂ on [R·d₁, d₂], then Yᵀ-blocks = Zᵀ·P₁ on the swapped
     * [R·d₂, d₁] layout; the backward is the same products transposed.
     */
    private final class Fn implements MatrixFn {
        private final boolean weightSide;
        private final FakeQuantSTE quantizer;

        Fn(boolean weightSide, FakeQuantSTE quantizer) { this.weightSide = weightSide; this.quantizer = quantizer; }

        @Override
        public Cache forward(float[] x, int rows, int cols, float[] y) {
            if (cols != d) throw new io.vdq.VdqException.ShapeException("S²Q transform of " + d + " channels applied to rows of " + cols);
            float[] cc = c, u = new float[rows * d];
            Parallel.range(rows, (from, to) -> {
                for (int r = from; r < to; r++)
                    for (int j = 0, o = r * d; j < d; j++) u[o + j] = weightSide ? x[o + j] * cc[j] : x[o + j] / cc[j];
            });
            float[] z = new float[rows * d];
            Ops.nt(rows * d1, d2, d2, u, 0, d2, transposed(p2, d2), 0, d2, 0f, z, 0, d2);   // Z = U·P₂
            float[] zp = swap(z, rows, d1, d2), yp = new float[rows * d];
            Ops.nt(rows * d2, d1, d1, zp, 0, d1, transposed(p1, d1), 0, d1, 0f, yp, 0, d1);  // Yᵀ = Zᵀ·P₁
            float[] mid = swap(yp, rows, d2, d1);
            MatrixFn.Cache qc = null;
            if (quantizer == null) System.arraycopy(mid, 0, y, 0, rows * d);
            else qc = quantizer.forward(mid, rows, d, y);
            return new FnCache(x, u, zp, rows, qc);
        }

        @Override
        public void backward(Cache cache, float[] dy, float[] dx) {
            FnCache fc = (FnCache) cache;
            int rows = fc.rows();
            float[] dm = dy;
            if (quantizer != null) { dm = new float[rows * d]; quantizer.backward(fc.q(), dy, dm); }
            float[] dyp = swap(dm, rows, d1, d2), dzp = new float[rows * d], g1 = new float[d1 * d1], g2 = new float[d2 * d2];
            Ops.nt(rows * d2, d1, d1, dyp, 0, d1, p1, 0, d1, 0f, dzp, 0, d1);                       // dZᵀ = dYᵀ·P₁ᵀ
            Ops.tn(d1, d1, rows * d2, fc.zp(), 0, d1, dyp, 0, d1, 0f, g1, 0, d1);          // dP₁ = Σ Z·dYᵀ
            float[] dz = swap(dzp, rows, d2, d1), du = new float[rows * d];
            Ops.tn(d2, d2, rows * d1, fc.u(), 0, d2, dz, 0, d2, 0f, g2, 0, d2);           // dP₂ = Σ Uᵀ·dZ
            Ops.nt(rows * d1, d2, d2, dz, 0, d2, p2, 0, d2, 0f, du, 0, d2);                          // dU = dZ·P₂ᵀ
            int chunks = (rows + CHUNK - 1) / CHUNK;
            double[][] gcs = new double[chunks][];
            float[] cc = c;
            Parallel.forEach(chunks, ch -> {
                double[] lc = new double[d];
                for (int r = ch * CHUNK; r < Math.min(rows, (ch + 1) * CHUNK); r++)
                    for (int j = 0, o = r * d; j < d; j++) {
                        if (weightSide) { dx[o + j] = du[o + j] * cc[j]; lc[j] += (double) du[o + j] * fc.x()[o + j]; }
                        else { dx[o + j] = du[o + j] / cc[j]; lc[j] -= (double) du[o + j] * fc.u()[o + j] / cc[j]; }
                    }
                gcs[ch] = lc;
            });
            for (int i = 0; i < gp1.length; i++) gp1[i] += g1[i];
            for (int i = 0; i < gp2.length; i++) gp2[i] += g2[i];
            for (int ch = 0; ch < chunks; ch++) for (int i = 0; i < d; i++) gc[i] += gcs[ch][i];
        }

        @Override
        public List<Param> params() {
            List<Param> l = new ArrayList<>(LearnableTransform.this.params());
            if (quantizer != null) l.addAll(quantizer.params());
            return l;
        }
    }

    /** {M⁻¹, Q} with M = I + A, Q = M⁻¹(I − A), A = S − Sᵀ, in double (Gauss–Jordan with partial pivoting). */
    static double[][] cayley(float[] s, int n) {
        double[] m = new double[n * n], inv = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) m[i * n + j] = (i == j ? 1 : 0) + s[i * n + j] - s[j * n + i];
        for (int i = 0; i < n; i++) inv[i * n + i] = 1;
        for (int col = 0; col < n; col++) {
            int piv = col;
            for (int r = col + 1; r < n; r++) if (Math.abs(m[r * n + col]) > Math.abs(m[piv * n + col])) piv = r;
            if (piv != col) for (int j = 0; j < n; j++) {
                double t = m[col * n + j]; m[col * n + j] = m[piv * n + j]; m[piv * n + j] = t;
                t = inv[col * n + j]; inv[col * n + j] = inv[piv * n + j]; inv[piv * n + j] = t;
            }
            double p = m[col * n + col];
            for (int j = 0; j < n; j++) { m[col * n + j] /= p; inv[col * n + j] /= p; }
            for (int r = 0; r < n; r++) {
                if (r == col) continue;
                double f = m[r * n + col];
                if (f == 0) continue;
                for (int j = 0; j < n; j++) { m[r * n + j] -= f * m[col * n + j]; inv[r * n + j] -= f * inv[col * n + j]; }
            }
        }
        double[] q = new double[n * n]; // M⁻¹·(I − A) = M⁻¹·(2I − M) = 2M⁻¹ − I
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) q[i * n + j] = 2 * inv[i * n + j] - (i == j ? 1 : 0);
        return new double[][]{inv, q};
    }

    static double[] orthogonal(int n, RotationInit init, SplittableRandom rng) {
        double[] r = new double[n * n];
        if (init == RotationInit.IDENTITY) { for (int i = 0; i < n; i++) r[i * n + i] = 1; return r; }
        if (init == RotationInit.HADAMARD && Integer.bitCount(n) == 1) {
            double s = 1 / Math.sqrt(n);
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) r[i * n + j] = (Integer.bitCount(i & j) % 2 == 0 ? s : -s);
            return r;
        }
        // Gram–Schmidt (twice) on Gaussian rows: a seeded random orthogonal matrix
        for (int i = 0; i < n * n; i++) {
            double u1 = rng.nextDouble(), u2 = rng.nextDouble();
            r[i] = Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
        }
        for (int pass = 0; pass < 2; pass++)
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < i; k++) {
                    double dot = 0;
                    for (int j = 0; j < n; j++) dot += r[i * n + j] * r[k * n + j];
                    for (int j = 0; j < n; j++) r[i * n + j] -= dot * r[k * n + j];
                }
                double nrm = 0;
                for (int j = 0; j < n; j++) nrm += r[i * n + j] * r[i * n + j];
                nrm = Math.sqrt(nrm);
                for (int j = 0; j < n; j++) r[i * n + j] /= nrm;
            }
        return r;
    }

    private static double[] matmul(double[] a, double[] b, int n) {
        double[] c = new double[n * n];
        for (int i = 0; i < n; i++) for (int k = 0; k < n; k++) {
            double v = a[i * n + k];
            for (int j = 0; j < n; j++) c[i * n + j] += v * b[k * n + j];
        }
        return c;
    }

    private static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }
}
