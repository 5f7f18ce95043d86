package io.vdq.kernel;

import io.vdq.VdqException.ShapeException;

/**
 * The online activation transform of a rotated, block-scaled per-token quantizer (DVD-Quant's ARQ), as the
 * integer kernels take it, and its Java reference. Per row of K values:
 * {@code x_j ← x_j·sign_j}; a normalised Walsh–Hadamard transform on each block of {@code hblock} channels
 * (stages h = 1, 2, 4, …, then ×{@code norm}); {@code v_j = x_j · inv[j / sblock]} (inv = 1/Λ per block);
 * {@code a = max(max_j |v_j|, eps) / qmax}; {@code q_j = clamp(rint(v_j · (1.0 / a)), −qmax, qmax)} with the
 * product and rounding in double. These are exactly the operations of {@code quant.Hadamard} and
 * {@code quant.dvd.Arq}, so the codes equal ARQ's bit for bit; the native kernel ({@code src/main/c/rotquant.c})
 * performs the same operations in the same order.
 *
 * @param k      channels
 * @param signs  ±1 per channel, or null for none
 * @param hblock Hadamard block (a power of two dividing k; 1 = no rotation, with norm 1)
 * @param norm   1/√hblock as float
 * @param sblock channels per Λ block (divides k)
 */
public record RotQuant(int k, float[] signs, int hblock, float norm, int sblock) {
    public RotQuant {
        if (k < 1 || hblock < 1 || Integer.bitCount(hblock) != 1 || k % hblock != 0)
            throw new ShapeException("RotQuant: Hadamard block " + hblock + " must be a power of two dividing K = " + k);
        if (sblock < 1 || k % sblock != 0)
            throw new ShapeException("RotQuant: scale block " + sblock + " must divide K = " + k);
        if (signs != null && signs.length != k)
            throw new ShapeException("RotQuant: " + signs.length + " signs for K = " + k);
    }

    /** Number of Λ blocks. */
    public int blocks() { return k / sblock; }

    /** Rotates row {@code src[off..off+k)} into {@code buf[0..k)}. */
    void rotateInto(float[] src, int off, float[] buf) {
        if (signs != null) for (int i = 0; i < k; i++) buf[i] = src[off + i] * signs[i];
        else System.arraycopy(src, off, buf, 0, k);
        for (int b0 = 0; b0 < k; b0 += hblock) {
            for (int h = 1; h < hblock; h <<= 1)
                for (int i = b0; i < b0 + hblock; i += h << 1)
                    for (int j = i; j < i + h; j++) {
                        float a = buf[j], c = buf[j + h];
                        buf[j] = a + c;
                        buf[j + h] = a - c;
                    }
            for (int i = b0; i < b0 + hblock; i++) buf[i] *= norm;
        }
    }

    /** {@code bmax[g] = max(bmax[g], max |rotated x|)} over rows [from, to) of X (rows of k at xOff) and block g. */
    public void blockMaxRows(float[] x, int xOff, float[] bmax, int from, int to) {
        float[] buf = new float[k];
        for (int t = from; t < to; t++) {
            rotateInto(x, xOff + t * k, buf);
            for (int g = 0, j = 0; g < bmax.length; g++) {
                float mx = bmax[g];
                for (int e = j + sblock; j < e; j++) mx = Math.max(mx, Math.abs(buf[j]));
                bmax[g] = mx;
            }
        }
    }

    /**
     * Quantizes rows [from, to) of X (rows of k at xOff) into {@code a} (bits, kp and groups from a): rotate,
     * multiply by {@code inv}, per-token scale {@code a.scale[t]}, codes and group sums.
     */
    public void quantizeRows(float[] x, int xOff, float[] inv, float eps, ActQuant a, int from, int to) {
        if (a.k != k) throw new ShapeException("RotQuant: activations have K = " + a.k + ", transform has " + k);
        if (inv.length != blocks()) throw new ShapeException("RotQuant: " + inv.length + " block scales, expected " + blocks());
        if (xOff < 0 || (long) xOff + (long) a.m * k > x.length)
            throw new ShapeException("RotQuant: input needs " + a.m + "x" + k + " floats at offset " + xOff + ", array has " + x.length);
        int qmax = a.qmax(), kp = a.kp, gl = a.groupSize == 0 ? kp : a.groupSize;
        float[] buf = new float[k];
        for (int t = from; t < to; t++) {
            rotateInto(x, xOff + t * k, buf);
            float mx = 0f;
            for (int j = 0; j < k; j++) {
                float v = buf[j] * inv[j / sblock];
                buf[j] = v;
                mx = Math.max(mx, Math.abs(v));
            }
            float s = Math.max(mx, eps) / qmax;
            a.scale[t] = s;
            double ia = 1.0 / s;
            int qr = t * kp;
            for (int j = 0; j < kp; j++) {
                int v = 0;
                if (j < k) {
                    double q = Math.rint(buf[j] * ia);
                    v = (int) (q < -qmax ? -qmax : (q > qmax ? qmax : q));
                }
                a.q[qr + j] = (byte) v;
            }
            for (int g = 0; g < a.groups; g++) {
                int sum = 0;
                for (int j = g * gl, end = Math.min(kp, g * gl + gl); j < end; j++) sum += a.q[qr + j];
                a.xsum[t * a.groups + g] = sum;
            }
        }
    }
}
