package io.vdq.kernel;

import io.vdq.VdqException.ShapeException;

/**
 * The integer reference: plain Java loops for the per-token activation quantizer and the W8A8 / W4A8 / W4A4
 * GEMM with int32 accumulation. The native kernels must reproduce it bit for bit, so the float operations
 * and their order here are the contract (see {@link #gemmRows}).
 */
public final class IntGemm {
    private IntGemm() {}

    /**
     * Quantizes rows [from, to) of X (m×k at xOff, row stride k) into {@code a}: scale = max|x| / qmax,
     * q = clamp(rint(x / scale), −qmax, qmax) (round half to even), a zero row gets scale 0 and q = 0.
     * Inputs must be finite.
     */
    public static void quantizeRows(float[] x, int xOff, ActQuant a, int from, int to) {
        int k = a.k, kp = a.kp, qmax = a.qmax();
        if (xOff < 0 || (long) xOff + (long) a.m * k > x.length)
            throw new ShapeException("quantize: input needs " + a.m + "x" + k + " floats at offset " + xOff + ", array has " + x.length);
        int gl = a.groupSize == 0 ? kp : a.groupSize;
        for (int t = from; t < to; t++) {
            int xr = xOff + t * k, qr = t * kp;
            float maxAbs = 0f;
            for (int j = 0; j < k; j++) maxAbs = Math.max(maxAbs, Math.abs(x[xr + j]));
            float s = maxAbs / qmax;
            a.scale[t] = s;
            for (int j = 0; j < kp; j++) {
                int v = 0;
                if (s != 0f && j < k) v = (int) Math.max(-qmax, Math.min(qmax, Math.rint(x[xr + j] / s)));
                a.q[qr + j] = (byte) v;
            }
            for (int g = 0; g < a.groups; g++) {
                int sum = 0;
                for (int j = g * gl, end = Math.min(kp, g * gl + gl); j < end; j++) sum += a.q[qr + j];
                a.xsum[t * a.groups + g] = sum;
            }
        }
    }

    /**
     * Rows [from, to) of {@code Y = dequant(X)·dequant(W)ᵀ + b}, Y rows at stride n from yOff. Per output
     * (t, o), exactly: {@code acc = 0f; for g: acc += scale[o][g] · (float)(Σ_{k∈g} q_t[k]·w_o[k] − zero[o][g]·xsum[t][g]);
     * y = ascale[t] · acc (+ bias[o])}, the dot product and the correction in int32 (wrapping) arithmetic.
     */
    public static void gemmRows(ActQuant a, IntWeights w, float[] y, int yOff, int from, int to) {
        gemmRows(a, w, null, y, yOff, from, to);
    }

    /**
     * As {@link #gemmRows(ActQuant, IntWeights, float[], int, int, int)}, with the weight scale of group g
     * multiplied by {@code groupScale[g]} first ({@code scale[o][g] · groupScale[g]}, one float product) when
     * groupScale is not null: block scales that sit inside the K sum and change per call (ARQ's Λ) are applied
     * to the group partial sums in the epilogue this way.
     */
    public static void gemmRows(ActQuant a, IntWeights w, float[] groupScale, float[] y, int yOff, int from, int to) {
        a.requireFits(w, y, yOff);
        if (groupScale != null && groupScale.length != a.groups)
            throw new ShapeException("integer GEMM: " + groupScale.length + " group scales for " + a.groups + " groups");
        int n = w.n(), k = w.k(), kp = a.kp, groups = a.groups;
        int gl = w.groupSize() == 0 ? k : w.groupSize();
        byte[] q = a.q, wq = w.q();
        float[] ws = w.scale(), bias = w.bias();
        int[] wz = w.zero();
        for (int t = from; t < to; t++) {
            int qr = t * kp;
            for (int o = 0; o < n; o++) {
                int wr = o * k;
                float acc = 0f;
                for (int g = 0; g < groups; g++) {
                    int isum = 0;
                    for (int j = g * gl, end = Math.min(k, g * gl + gl); j < end; j++) isum += q[qr + j] * wq[wr + j];
                    int z = wz == null ? 0 : wz[o * groups + g];
                    float sc = groupScale == null ? ws[o * groups + g] : ws[o * groups + g] * groupScale[g];
                    acc += sc * (float) (isum - z * a.xsum[t * groups + g]);
                }
                float r = a.scale[t] * acc;
                if (bias != null) r += bias[o];
                y[yOff + t * n + o] = r;
            }
        }
    }
}
