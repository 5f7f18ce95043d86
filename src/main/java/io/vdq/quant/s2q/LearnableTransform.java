package io.vdq.quant.s2q;

import io.vdq.VdqException.ConfigException;
import io.vdq.tensor.Parallel;
import io.vdq.tensor.Tensor;
import io.vdq.train.FakeQuantSTE;
import io.vdq.train.MatrixFn;
import io.vdq.train.Param;
import java.util.ArrayList;
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
        java.util.Arrays.fill(gc, 0);
        java.util.Arrays.fill(gp1, 0);
        java.util.Arrays.fill(gp2, 0);
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

    private record FnCache(float[] x, float[] u, float[] z, int rows, MatrixFn.Cache q, float[] mid) implements MatrixFn.Cache {}

    /** Transform, then an optional fake quantizer, as one differentiable map. */
    private final class Fn implements MatrixFn {
        private final boolean weightSide;
        private final FakeQuantSTE quantizer;

        Fn(boolean weightSide, FakeQuantSTE quantizer) { this.weightSide = weightSide; this.quantizer = quantizer; }

        @Override
        public Cache forward(float[] x, int rows, int cols, float[] y) {
            if (cols != d) throw new io.vdq.VdqException.ShapeException("S²Q transform of " + d + " channels applied to rows of " + cols);
            float[] u = new float[rows * d], z = new float[rows * d], mid = quantizer == null ? y : new float[rows * d];
            float[] cc = c, a1 = p1, a2 = p2;
            Parallel.range(rows, (from, to) -> {
                float[] uz = new float[d], zz = new float[d];
                for (int r = from; r < to; r++) {
                    int o = r * d;
                    for (int j = 0; j < d; j++) uz[j] = u[o + j] = weightSide ? x[o + j] * cc[j] : x[o + j] / cc[j];
                    KroneckerTransform.kron(uz, zz, mid, o, d1, d2, a1, a2);
                    System.arraycopy(zz, 0, z, o, d);
                }
            });
            MatrixFn.Cache qc = quantizer == null ? null : quantizer.forward(mid, rows, d, y);
            return new FnCache(x, u, z, rows, qc, mid);
        }

        @Override
        public void backward(Cache cache, float[] dy, float[] dx) {
            FnCache fc = (FnCache) cache;
            int rows = fc.rows();
            float[] dm = dy;
            if (quantizer != null) { dm = new float[rows * d]; quantizer.backward(fc.q(), dy, dm); }
            float[] dmid = dm;
            int chunks = (rows + CHUNK - 1) / CHUNK;
            double[][] g1 = new double[chunks][], g2 = new double[chunks][], gcs = new double[chunks][];
            float[] a1 = p1, a2 = p2, cc = c;
            Parallel.forEach(chunks, ch -> {
                double[] l1 = new double[d1 * d1], l2 = new double[d2 * d2], lc = new double[d];
                double[] dz = new double[d], du = new double[d];
                for (int r = ch * CHUNK; r < Math.min(rows, (ch + 1) * CHUNK); r++) {
                    int o = r * d;
                    // Y = P1ᵀ·Z, Z = U·P2: dZ = P1·dY, dP1 += Z·dYᵀ, dP2 += Uᵀ·dZ, dU = dZ·P2ᵀ
                    for (int i = 0; i < d1; i++)
                        for (int l = 0; l < d2; l++) {
                            double s = 0;
                            for (int k = 0; k < d1; k++) s += a1[i * d1 + k] * dmid[o + k * d2 + l];
                            dz[i * d2 + l] = s;
                        }
                    for (int i = 0; i < d1; i++)
                        for (int k = 0; k < d1; k++) {
                            double s = 0;
                            for (int l = 0; l < d2; l++) s += fc.z()[o + i * d2 + l] * dmid[o + k * d2 + l];
                            l1[i * d1 + k] += s;
                        }
                    for (int j = 0; j < d2; j++)
                        for (int l = 0; l < d2; l++) {
                            double s = 0;
                            for (int i = 0; i < d1; i++) s += fc.u()[o + i * d2 + j] * dz[i * d2 + l];
                            l2[j * d2 + l] += s;
                        }
                    for (int i = 0; i < d1; i++)
                        for (int j = 0; j < d2; j++) {
                            double s = 0;
                            for (int l = 0; l < d2; l++) s += dz[i * d2 + l] * a2[j * d2 + l];
                            du[i * d2 + j] = s;
                        }
                    for (int j = 0; j < d; j++) {
                        if (weightSide) { dx[o + j] = (float) (du[j] * cc[j]); lc[j] += du[j] * fc.x()[o + j]; }
                        else { dx[o + j] = (float) (du[j] / cc[j]); lc[j] -= du[j] * fc.u()[o + j] / cc[j]; }
                    }
                }
                g1[ch] = l1; g2[ch] = l2; gcs[ch] = lc;
            });
            for (int ch = 0; ch < chunks; ch++) {
                for (int i = 0; i < gp1.length; i++) gp1[i] += g1[ch][i];
                for (int i = 0; i < gp2.length; i++) gp2[i] += g2[ch][i];
                for (int i = 0; i < d; i++) gc[i] += gcs[ch][i];
            }
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
