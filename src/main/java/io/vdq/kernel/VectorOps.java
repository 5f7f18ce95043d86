package io.vdq.kernel;

import io.vdq.tensor.Parallel;
import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row-wise and element-wise float32 ops on the Vector API: softmax, LayerNorm, RMSNorm, GELU (tanh), SiLU,
 * RoPE on interleaved pairs, add/mul/axpy. Rows are independent and each row's reductions run in one fixed
 * order (vector lanes, then a fixed lane reduction, then the scalar tail), so results do not depend on the
 * thread count. Each method keeps its vectors local: nothing vector-typed crosses a call.
 */
final class VectorOps {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Element-wise ops run in parallel above this many elements (below, the pool hand-off costs more). */
    static final int PAR_MIN = 1 << 15;
    /** Swaps the two floats of each interleaved pair: lane i takes lane i xor 1. */
    private static final VectorShuffle<Float> PAIR_SWAP = VectorShuffle.fromOp(S, i -> i ^ 1);

    private VectorOps() {}

    // exp(x) from basic arithmetic only. VectorOperators.EXP/TANH are not used: the interpreter and C1 compute
    // them lane by lane with StrictMath while C2 calls an SVML stub, so the same call gave different bits
    // before and after JIT compilation (seen as 1-ulp differences between two runs of one attention call).
    // + − × and fma are exactly rounded everywhere, so this is bit-reproducible. Cephes-style: x = n·ln2 + r,
    // |r| ≤ ln2/2, e^r by a degree-7 polynomial, 2^n added to the exponent bits. About 2 ulp.
    private static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    // Limits keep 2^n a normal float: n in [−125, 127].
    private static final float EXP_HI = 88.0f, EXP_LO = -86.5f;
    private static final float ROUND_MAGIC = 12582912f; // 1.5·2^23: adding it rounds to an integer
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /** e^x lane-wise (see the note above); x above 88 gives +∞, below −86.5 gives 0 (e^−86.5 ≈ 2.7e−38), NaN stays NaN. */
    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(EXP_LO).min(EXP_HI);
        FloatVector t = xc.fma(LOG2E, ROUND_MAGIC);
        FloatVector n = t.sub(ROUND_MAGIC);
        FloatVector r = xc.sub(n.mul(LN2_HI)).sub(n.mul(LN2_LO));
        FloatVector p = r.fma(P0, P1);
        p = p.mul(r).add(P2);
        p = p.mul(r).add(P3);
        p = p.mul(r).add(P4);
        p = p.mul(r).add(P5);
        p = p.fma(r.mul(r), r).add(1f);
        IntVector bits = p.reinterpretAsInts().add(t.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUND_MAGIC)).lanewise(VectorOperators.LSHL, 23));
        FloatVector e = bits.reinterpretAsFloats();
        e = e.blend(0f, x.compare(VectorOperators.LT, EXP_LO));
        e = e.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, EXP_HI));
        return e.blend(x, x.test(VectorOperators.IS_NAN));
    }

    /** The scalar twin of {@link #exp(FloatVector)}: same operations, same bits, for loop tails. */
    static float exp(float x) {
        if (Float.isNaN(x)) return x;
        if (x < EXP_LO) return 0f;
        if (x > EXP_HI) return Float.POSITIVE_INFINITY;
        float t = Math.fma(x, LOG2E, ROUND_MAGIC);
        float n = t - ROUND_MAGIC;
        float r = x - n * LN2_HI - n * LN2_LO;
        float p = Math.fma(r, P0, P1);
        p = p * r + P2;
        p = p * r + P3;
        p = p * r + P4;
        p = p * r + P5;
        p = Math.fma(p, r * r, r) + 1f;
        return Float.intBitsToFloat(Float.floatToRawIntBits(p) + ((Float.floatToRawIntBits(t) - Float.floatToRawIntBits(ROUND_MAGIC)) << 23));
    }

    static void softmax(float[] x, int off, int rows, int cols) {
        Parallel.range(rows, (from, to) -> {
            for (int r = from; r < to; r++) softmaxRow(x, off + r * cols, cols);
        });
    }

    /** max of x[o..o+cols). */
    static float rowMax(float[] x, int o, int cols) {
        int vb = S.loopBound(cols), i = 0;
        float max = Float.NEGATIVE_INFINITY;
        if (vb > 0) {
            FloatVector mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (; i < vb; i += L) mv = mv.max(FloatVector.fromArray(S, x, o + i));
            max = mv.reduceLanes(VectorOperators.MAX);
        }
        for (; i < cols; i++) max = Math.max(max, x[o + i]);
        return max;
    }

    static void softmaxRow(float[] x, int o, int cols) {
        int vb = S.loopBound(cols), i = 0;
        float max = rowMax(x, o, cols);
        float sum = 0f;
        if (vb > 0) {
            FloatVector mx = FloatVector.broadcast(S, max), sv = FloatVector.zero(S);
            for (; i < vb; i += L) {
                FloatVector e = exp(FloatVector.fromArray(S, x, o + i).sub(mx));
                e.intoArray(x, o + i);
                sv = sv.add(e);
            }
            sum = sumLanes(sv);
        }
        for (; i < cols; i++) { float e = exp(x[o + i] - max); x[o + i] = e; sum += e; }
        scale(x, o, cols, 1f / sum);
    }

    /**
     * Ints and bytes with one lane per float lane (16 lanes: 512 and 128 bits; 8 lanes: 256 and 64 bits). With 4
     * lanes (128-bit vectors) there is no 32-bit byte vector: BS is null and the codes are stored lane by lane.
     */
    private static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, S.vectorShape());
    private static final VectorSpecies<Byte> BS = L >= 8 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : null;

    /** Softmax rows straight to int8 codes, as {@link KernelBackend#softmaxInt8}. */
    static void softmaxInt8(float[] x, int off, int rows, int cols, byte[] q, int qStride, float[] scale, int[] codeSum) {
        Parallel.range(rows, (from, to) -> {
            for (int r = from; r < to; r++) softmaxInt8Row(x, off + r * cols, cols, q, r * qStride, qStride, scale, codeSum, r);
        });
    }

    /** One row: a max pass, then one pass computing e = exp(x − max), its sum, the codes and their sum. */
    static void softmaxInt8Row(float[] x, int o, int cols, byte[] q, int qo, int qStride, float[] scale, int[] codeSum, int r) {
        int vb = S.loopBound(cols), i = 0;
        float max = rowMax(x, o, cols);
        float sum = 0f;
        int cs = 0;
        if (vb > 0) {
            FloatVector mx = FloatVector.broadcast(S, max), sv = FloatVector.zero(S);
            IntVector cv = IntVector.zero(IS);
            for (; i < vb; i += L) {
                FloatVector e = exp(FloatVector.fromArray(S, x, o + i).sub(mx));
                sv = sv.add(e);
                IntVector c = (IntVector) e.fma(127f, 0.5f).convert(VectorOperators.F2I, 0);
                cv = cv.add(c);
                if (BS != null) ((ByteVector) c.convertShape(VectorOperators.I2B, BS, 0)).intoArray(q, qo + i);
                else for (int l = 0; l < L; l++) q[qo + i + l] = (byte) c.lane(l);
            }
            sum = sumLanes(sv);
            cs = cv.reduceLanes(VectorOperators.ADD);
        }
        for (; i < cols; i++) {
            float e = exp(x[o + i] - max);
            sum += e;
            int c = (int) Math.fma(e, 127f, 0.5f);
            q[qo + i] = (byte) c;
            cs += c;
        }
        Arrays.fill(q, qo + cols, qo + qStride, (byte) 0);
        scale[r] = 1f / (127f * sum);
        codeSum[r] = cs;
    }

    /**
     * Sum of the lanes in lane order. Not {@code reduceLanes(ADD)}: its order is unspecified, and C2's
     * reduction need not add in the order of the interpreter's fallback, so results could change with JIT state.
     */
    static float sumLanes(FloatVector v) {
        float s = 0f;
        for (int l = 0; l < L; l++) s += v.lane(l);
        return s;
    }

    /** x[o..o+n) *= s. */
    static void scale(float[] x, int o, int n, float s) {
        int vb = S.loopBound(n), i = 0;
        for (; i < vb; i += L) FloatVector.fromArray(S, x, o + i).mul(s).intoArray(x, o + i);
        for (; i < n; i++) x[o + i] *= s;
    }

    /** Sum of x[o..o+n) in the fixed order described in the class comment. */
    static float sum(float[] x, int o, int n) {
        int vb = S.loopBound(n), i = 0;
        float s = 0f;
        if (vb > 0) {
            FloatVector acc = FloatVector.zero(S);
            for (; i < vb; i += L) acc = acc.add(FloatVector.fromArray(S, x, o + i));
            s = sumLanes(acc);
        }
        for (; i < n; i++) s += x[o + i];
        return s;
    }

    /** Σ (x − c)² over x[o..o+n). */
    static float sumSqDev(float[] x, int o, int n, float c) {
        int vb = S.loopBound(n), i = 0;
        float s = 0f;
        if (vb > 0) {
            FloatVector acc = FloatVector.zero(S), cv = FloatVector.broadcast(S, c);
            for (; i < vb; i += L) { FloatVector d = FloatVector.fromArray(S, x, o + i).sub(cv); acc = d.fma(d, acc); }
            s = sumLanes(acc);
        }
        for (; i < n; i++) { float d = x[o + i] - c; s += d * d; }
        return s;
    }

    static void layerNorm(float[] x, int xOff, float[] y, int yOff, int rows, int dim, float[] gamma, float[] beta, float eps) {
        Parallel.range(rows, (from, to) -> {
            for (int r = from; r < to; r++) {
                int xo = xOff + r * dim, yo = yOff + r * dim;
                float mean = sum(x, xo, dim) / dim;
                float var = sumSqDev(x, xo, dim, mean) / dim;
                float inv = (float) (1.0 / Math.sqrt(var + eps));
                normRow(x, xo, y, yo, dim, mean, inv, gamma, beta);
            }
        });
    }

    static void rmsNorm(float[] x, int xOff, float[] y, int yOff, int rows, int dim, float[] gamma, float eps) {
        Parallel.range(rows, (from, to) -> {
            for (int r = from; r < to; r++) {
                int xo = xOff + r * dim, yo = yOff + r * dim;
                float ss = sumSqDev(x, xo, dim, 0f);
                float inv = (float) (1.0 / Math.sqrt(ss / dim + eps));
                normRow(x, xo, y, yo, dim, 0f, inv, gamma, null);
            }
        });
    }

    /** y = (x − mean)·inv (·gamma) (+beta); y may alias x (element i is read before it is written). */
    private static void normRow(float[] x, int xo, float[] y, int yo, int dim, float mean, float inv, float[] gamma, float[] beta) {
        int vb = S.loopBound(dim), i = 0;
        FloatVector mv = FloatVector.broadcast(S, mean), iv = FloatVector.broadcast(S, inv);
        for (; i < vb; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i).sub(mv).mul(iv);
            if (gamma != null) v = v.mul(FloatVector.fromArray(S, gamma, i));
            if (beta != null) v = v.add(FloatVector.fromArray(S, beta, i));
            v.intoArray(y, yo + i);
        }
        for (; i < dim; i++) {
            float v = (x[xo + i] - mean) * inv;
            if (gamma != null) v *= gamma[i];
            if (beta != null) v += beta[i];
            y[yo + i] = v;
        }
    }

    static void geluTanh(float[] x, int off, int n) {
        elementwise(n, (from, to) -> geluRange(x, off + from, to - from));
    }

    /** 0.5·v·(1 + tanh(u)) = v·sigmoid(2u) = v / (1 + e^(−2u)), u = √(2/π)·(v + 0.044715·v³): no cancellation. */
    private static void geluRange(float[] x, int o, int n) {
        int vb = S.loopBound(n), i = 0;
        for (; i < vb; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, o + i);
            FloatVector u2 = v.mul(v).mul(v).mul(0.044715f).add(v).mul(-1.5957691216057308f);
            v.div(exp(u2).add(1f)).intoArray(x, o + i);
        }
        for (; i < n; i++) {
            float v = x[o + i];
            x[o + i] = v / (exp((v * v * v * 0.044715f + v) * -1.5957691216057308f) + 1f);
        }
    }

    static void geluTanhBackward(float[] x, float[] dy, float[] dx, int n) {
        elementwise(n, (from, to) -> geluBackwardRange(x, dy, dx, from, to - from));
    }

    /** s = 1/(1 + e^(−2u)); gelu' = s + 2x·s(1 − s)·√(2/π)(1 + 0.134145x²) (see KernelBackend). */
    private static void geluBackwardRange(float[] x, float[] dy, float[] dx, int o, int n) {
        final float k0 = 0.7978845608028654f, k1 = 0.044715f, k3 = 3 * 0.044715f;
        int vb = S.loopBound(n), i = 0;
        for (; i < vb; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, o + i);
            FloatVector v2 = v.mul(v);
            FloatVector s = exp(v2.mul(k1).mul(v).add(v).mul(-2 * k0)).add(1f);
            s = FloatVector.broadcast(S, 1f).div(s);
            FloatVector du = v2.fma(FloatVector.broadcast(S, k3), FloatVector.broadcast(S, 1f)).mul(2 * k0);
            FloatVector d = s.sub(s.mul(s)).mul(v).fma(du, s);
            d.mul(FloatVector.fromArray(S, dy, o + i)).intoArray(dx, o + i);
        }
        for (; i < n; i++) {
            float v = x[o + i], s = 1f / (exp((v * v * k1 * v + v) * (-2 * k0)) + 1f);
            float d = (s - s * s) * v * ((v * v * k3 + 1f) * (2 * k0)) + s;
            dx[o + i] = dy[o + i] * d;
        }
    }

    static void silu(float[] x, int off, int n) {
        elementwise(n, (from, to) -> siluRange(x, off + from, to - from));
    }

    private static void siluRange(float[] x, int o, int n) {
        int vb = S.loopBound(n), i = 0;
        for (; i < vb; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, o + i);
            v.div(exp(v.neg()).add(1f)).intoArray(x, o + i);
        }
        for (; i < n; i++) { float v = x[o + i]; x[o + i] = v / (exp(-v) + 1f); }
    }

    static void rope(float[] x, int off, int tokens, int heads, int headDim, int rowStride, float[] cos, float[] sin) {
        int half = headDim / 2;
        Parallel.range(tokens, (from, to) -> {
            // Per token: cos duplicated over each pair, sin signed (−s, +s), shared by all heads.
            float[] cd = new float[headDim], sd = new float[headDim];
            for (int t = from; t < to; t++) {
                for (int p = 0; p < half; p++) {
                    float c = cos[t * half + p], s = sin[t * half + p];
                    cd[2 * p] = c; cd[2 * p + 1] = c; sd[2 * p] = -s; sd[2 * p + 1] = s;
                }
                for (int h = 0; h < heads; h++) ropeHead(x, off + t * rowStride + h * headDim, 2 * half, cd, sd);
            }
        });
    }

    /** (a, b) ← (a·c − b·s, b·c + a·s) pairwise: x·cd + swap(x)·sd. */
    private static void ropeHead(float[] x, int base, int n, float[] cd, float[] sd) {
        int vb = S.loopBound(n), i = 0;
        for (; i < vb; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, base + i);
            FloatVector sw = v.rearrange(PAIR_SWAP);
            v.mul(FloatVector.fromArray(S, cd, i)).add(sw.mul(FloatVector.fromArray(S, sd, i))).intoArray(x, base + i);
        }
        for (; i < n; i += 2) {
            float a = x[base + i], b = x[base + i + 1];
            x[base + i] = a * cd[i] + b * sd[i];
            x[base + i + 1] = b * cd[i + 1] + a * sd[i + 1];
        }
    }

    static void add(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        elementwise(n, (from, to) -> {
            int vb = from + S.loopBound(to - from), i = from;
            for (; i < vb; i += L)
                FloatVector.fromArray(S, a, aOff + i).add(FloatVector.fromArray(S, b, bOff + i)).intoArray(out, outOff + i);
            for (; i < to; i++) out[outOff + i] = a[aOff + i] + b[bOff + i];
        });
    }

    static void mul(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        elementwise(n, (from, to) -> {
            int vb = from + S.loopBound(to - from), i = from;
            for (; i < vb; i += L)
                FloatVector.fromArray(S, a, aOff + i).mul(FloatVector.fromArray(S, b, bOff + i)).intoArray(out, outOff + i);
            for (; i < to; i++) out[outOff + i] = a[aOff + i] * b[bOff + i];
        });
    }

    /** y += alpha·x, computed as y + alpha·x with the product rounded first (same as the scalar oracle). */
    static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        elementwise(n, (from, to) -> {
            int vb = from + S.loopBound(to - from), i = from;
            for (; i < vb; i += L)
                FloatVector.fromArray(S, x, xOff + i).mul(alpha).add(FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
            for (; i < to; i++) y[yOff + i] += alpha * x[xOff + i];
        });
    }

    /** c[cOff..cOff+n) += b[bOff..bOff+n) (bias rows). */
    static void addInPlace(float[] c, int cOff, float[] b, int bOff, int n) {
        int vb = S.loopBound(n), i = 0;
        for (; i < vb; i += L)
            FloatVector.fromArray(S, c, cOff + i).add(FloatVector.fromArray(S, b, bOff + i)).intoArray(c, cOff + i);
        for (; i < n; i++) c[cOff + i] += b[bOff + i];
    }

    private static void elementwise(int n, Parallel.RangeBody body) {
        if (n <= 0) return;
        if (n < PAR_MIN) body.run(0, n);
        else Parallel.range(n, 4 * L, body);
    }
}
