package io.vdq.io.gguf;

/**
 * ggml's reference quantizers ({@code quantize_row_*_ref}, the path {@code ggml_quantize_chunk} takes without an
 * importance matrix), written for vdq from the published algorithm and matching its float arithmetic step by
 * step: f32 operations in ggml's order, {@code 1/d} from the f32 scale before fp16 rounding, truncation where C
 * casts to int, {@link #nearestInt} (round half to even through the 1.5·2²³ trick) in the K-quants, and round
 * half away from zero in Q8_0. The K-quants search sub-block scales (and minima) first, then quantize those to
 * 4/6/8 bits against an fp16 super-block scale, then re-round every code against the quantized scales.
 */
public final class GgmlRefQuant {
    private GgmlRefQuant() {}

    static final float GROUP_MAX_EPS = 1e-15f;

    /** ggml's nearest_int: adds 1.5·2²³ and reads the mantissa, i.e. round half to even for |x| < 2²². */
    public static int nearestInt(float x) {
        int i = Float.floatToRawIntBits(x + 12582912f);
        return (i & 0x007fffff) - 0x00400000;
    }

    /** Encodes {@code n} values (a multiple of the block size) of {@code x[off..]} as type {@code t}. */
    public static byte[] encode(GgmlType t, float[] x, int off, int n) {
        byte[] out = new byte[Math.toIntExact(t.rowBytes(n))];
        switch (t) {
            case F32 -> { for (int i = 0; i < n; i++) putInt(out, 4 * i, Float.floatToRawIntBits(x[off + i])); }
            case F16 -> { for (int i = 0; i < n; i++) putShort(out, 2 * i, Float.floatToFloat16(x[off + i])); }
            case BF16 -> { for (int i = 0; i < n; i++) putShort(out, 2 * i, GgmlBlocks.f2bf(x[off + i])); }
            default -> {
                QBlock k = new QBlock(t);
                for (int b = 0; b < n / t.blockSize; b++) {
                    quantizeBlock(x, off + b * t.blockSize, k);
                    GgmlBlocks.pack(k, out, b * t.typeSize);
                }
            }
        }
        return out;
    }

    private static void putInt(byte[] b, int i, int v) { for (int k = 0; k < 4; k++) b[i + k] = (byte) (v >>> (8 * k)); }

    private static void putShort(byte[] b, int i, short v) { b[i] = (byte) v; b[i + 1] = (byte) (v >> 8); }

    /** Fills {@code k} with the reference quantization of the block at {@code x[off]}. */
    public static void quantizeBlock(float[] x, int off, QBlock k) {
        k.clear();
        switch (k.type) {
            case Q8_0 -> q8_0(x, off, k);
            case Q4_0 -> symmetricLegacy(x, off, k, 8, 15);
            case Q5_0 -> symmetricLegacy(x, off, k, 16, 31);
            case Q4_1 -> affineLegacy(x, off, k, 15, true);
            case Q5_1 -> affineLegacy(x, off, k, 31, false);
            case Q2_K -> q2K(x, off, k);
            case Q3_K -> q3K(x, off, k);
            case Q4_K -> q45K(x, off, k, 15, -1f, 20);
            case Q5_K -> q45K(x, off, k, 31, -0.5f, 15);
            case Q6_K -> q6K(x, off, k);
            default -> throw new IllegalArgumentException(k.type.name());
        }
    }

    private static void q8_0(float[] x, int off, QBlock k) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[off + j]));
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        k.d = GgmlBlocks.f2h(d);
        for (int j = 0; j < 32; j++) {
            float v = x[off + j] * id;   // roundf: half away from zero (exact in double for these magnitudes)
            k.q[j] = (int) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
        }
    }

    /** Q4_0 / Q5_0: the signed extreme maps to code 0, d = max / −zero. */
    private static void symmetricLegacy(float[] x, int off, QBlock k, int zero, int maxq) {
        float amax = 0, max = 0;
        for (int j = 0; j < 32; j++) {
            float v = x[off + j];
            if (amax < Math.abs(v)) { amax = Math.abs(v); max = v; }
        }
        float d = max / -zero;
        float id = d != 0 ? 1.0f / d : 0.0f;
        k.d = GgmlBlocks.f2h(d);
        float bias = zero + 0.5f;
        for (int j = 0; j < 32; j++) k.q[j] = Math.min(maxq, (byte) (int) (x[off + j] * id + bias)) & 0xff;
    }

    /** Q4_1 / Q5_1: d = (max − min)/maxq, m = min; Q4_1 clamps codes at 15, Q5_1 does not. */
    private static void affineLegacy(float[] x, int off, QBlock k, int maxq, boolean clamp) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[off + j];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        float d = (max - min) / maxq;
        float id = d != 0 ? 1.0f / d : 0.0f;
        k.d = GgmlBlocks.f2h(d);
        k.dmin = GgmlBlocks.f2h(min);
        for (int j = 0; j < 32; j++) {
            float v = (x[off + j] - min) * id;
            k.q[j] = clamp ? Math.min(maxq, (byte) (int) (v + 0.5f)) & 0xff : ((int) (v + 0.5f)) & 0xff;
        }
    }

    // ---- K-quants -------------------------------------------------------------------------------------------

    /**
     * Scale and minimum search for codes 0..nmax (ggml's make_qkx2_quants): start from the min/max grid, then try
     * nstep+1 scales (rmin + rdelta·is + nmax)/(max − min), fitting scale and minimum by weighted least squares
     * on each trial's codes, and keep the one of least weighted error (squared, or absolute with {@code mad}).
     * Writes the codes to {@code L[lOff..]}, returns {scale, −min}.
     */
    static float[] makeQkx2(int n, int nmax, float[] x, int xo, float[] w, int[] L, int lo, float rmin, float rdelta,
                            int nstep, boolean mad) {
        float min = x[xo], max = x[xo];
        float sumW = w[0];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; i++) {
            float v = x[xo + i];
            if (v < min) min = v;
            if (v > max) max = v;
            sumW += w[i];
            sumX += w[i] * v;
        }
        if (min > 0) min = 0;
        if (max == min) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return new float[]{0f, -min};
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (x[xo + i] - min))));
            L[lo + i] = l;
            float diff = scale * l + min - x[xo + i];
            diff = mad ? Math.abs(diff) : diff * diff;
            bestError += w[i] * diff;
        }
        if (nstep < 1) return new float[]{scale, -min};
        int[] aux = new int[n];
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (x[xo + i] - min))));
                aux[i] = l;
                sumL += w[i] * l;
                sumL2 += w[i] * l * l;
                sumXL += w[i] * l * x[xo + i];
            }
            float den = sumW * sumL2 - sumL * sumL;
            if (den > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / den;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / den;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float err = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * aux[i] + thisMin - x[xo + i];
                    diff = mad ? Math.abs(diff) : diff * diff;
                    err += w[i] * diff;
                }
                if (err < bestError) {
                    System.arraycopy(aux, 0, L, lo, n);
                    bestError = err;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        return new float[]{scale, -min};
    }

    /** The element of largest magnitude (the first on ties), with its sign; 0 for an all-zero row. */
    private static float signedAbsMax(float[] x, int xo, int n) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) { amax = ax; max = x[xo + i]; }
        }
        return max;
    }

    /** A signed code in −nmax..nmax−1: {@code v} rounded as ggml's nearest_int and clamped. */
    private static int code(float v, int nmax) { return Math.max(-nmax, Math.min(nmax - 1, nearestInt(v))); }

    /**
     * Symmetric scale search for codes −nmax..nmax−1 weighted by x² (ggml's make_qx_quants with rmse_type 1 and
     * no importance): least-squares scale for the grid −nmax/max, then 18 nearby grids ±0.1·is, keeping the
     * one that maximises (Σw·x·l)²/Σw·l². Codes (offset by +nmax) go to {@code L[lo..]}.
     */
    static float makeQx(int n, int nmax, float[] x, int xo, int[] L, int lo) {
        float max = signedAbsMax(x, xo, n);
        if (Math.abs(max) < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xo + i];
            int l = code(iscale * v, nmax);
            L[lo + i] = l + nmax;
            float w = v * v;
            sumlx += w * v * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0;
            suml2 = 0;
            for (int i = 0; i < n; i++) {
                float v = x[xo + i];
                int l = code(iscale * v, nmax);
                float w = v * v;
                sumlx += w * v * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++)
                    L[lo + i] = nmax + code(iscale * x[xo + i], nmax);
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /**
     * Q3_K's sub-block search (ggml's make_q3_quants with rmse): codes −nmax..nmax−1 from the grid −nmax/max,
     * then up to five sweeps moving single codes when that raises (Σw·x·l)²/Σw·l², weights x².
     */
    static float makeQ3(int n, int nmax, float[] x, int xo, int[] L, int lo) {
        float max = signedAbsMax(x, xo, n);
        if (Math.abs(max) < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xo + i];
            int l = code(iscale * v, nmax);
            L[lo + i] = l;
            float w = v * v;
            sumlx += w * v * l;
            suml2 += w * l * l;
        }
        for (int itry = 0; itry < 5; itry++) {
            int changed = 0;
            for (int i = 0; i < n; i++) {
                float v = x[xo + i];
                float w = v * v;
                float slx = sumlx - w * v * L[lo + i];
                if (slx > 0) {
                    float sl2 = suml2 - w * L[lo + i] * L[lo + i];
                    int nl = code(v * sl2 / slx, nmax);
                    if (nl != L[lo + i]) {
                        slx += w * v * nl;
                        sl2 += w * nl * nl;
                        if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                            L[lo + i] = nl;
                            sumlx = slx;
                            suml2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) break;
        }
        for (int i = 0; i < n; i++) L[lo + i] += nmax;
        return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
    }

    private static void q2K(float[] x, int off, QBlock k) {
        float[] scales = new float[16], mins = new float[16], w = new float[16];
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 16; j++) {
            for (int l = 0; l < 16; l++) w[l] = Math.abs(x[off + 16 * j + l]);
            float[] sm = makeQkx2(16, 3, x, off + 16 * j, w, k.q, 16 * j, -0.5f, 0.1f, 15, true);
            scales[j] = sm[0];
            mins[j] = sm[1];
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        if (maxScale > 0) {
            float iscale = 15f / maxScale;
            for (int j = 0; j < 16; j++) k.sc[j] = nearestInt(iscale * scales[j]) & 0xff;
            k.d = GgmlBlocks.f2h(maxScale / 15f);
        } else {
            k.d = GgmlBlocks.f2h(0f);
        }
        if (maxMin > 0) {
            float iscale = 15f / maxMin;
            for (int j = 0; j < 16; j++) k.mn[j] = nearestInt(iscale * mins[j]) & 0xff;
            k.dmin = GgmlBlocks.f2h(maxMin / 15f);
        } else {
            k.dmin = GgmlBlocks.f2h(0f);
        }
        // the packed byte keeps the scale's low nibble and, shifted, the min: what ggml later reads back
        for (int j = 0; j < 16; j++) {
            int packed = (k.sc[j] | (k.mn[j] << 4)) & 0xff;
            k.sc[j] = packed & 15;
            k.mn[j] = packed >> 4;
        }
        float dd = GgmlBlocks.h2f(k.d), dm = GgmlBlocks.h2f(k.dmin);
        for (int j = 0; j < 16; j++) {
            float d = dd * k.sc[j];
            if (d == 0) continue;
            float m = dm * k.mn[j];
            for (int i = 0; i < 16; i++)
                k.q[16 * j + i] = Math.max(0, Math.min(3, nearestInt((x[off + 16 * j + i] + m) / d)));
        }
    }

    private static void q3K(float[] x, int off, QBlock k) {
        float[] scales = new float[16];
        float maxScale = 0, amax = 0;
        for (int j = 0; j < 16; j++) {
            scales[j] = makeQ3(16, 4, x, off + 16 * j, k.q, 16 * j);
            float s = Math.abs(scales[j]);
            if (s > amax) { amax = s; maxScale = scales[j]; }
        }
        if (maxScale != 0) {
            float iscale = -32f / maxScale;
            for (int j = 0; j < 16; j++) {
                int l = (byte) nearestInt(iscale * scales[j]);
                k.sc[j] = Math.max(-32, Math.min(31, l)) + 32;
            }
            k.d = GgmlBlocks.f2h(1 / iscale);
        } else {
            k.d = GgmlBlocks.f2h(0f);   // scales stay 0 in the packed bytes, which decodes as −32
        }
        float dd = GgmlBlocks.h2f(k.d);
        for (int j = 0; j < 16; j++) {
            float d = dd * (k.sc[j] - 32);
            if (d == 0) continue;
            for (int i = 0; i < 16; i++)
                k.q[16 * j + i] = Math.max(-4, Math.min(3, nearestInt(x[off + 16 * j + i] / d))) + 4;
        }
    }

    private static void q45K(float[] x, int off, QBlock k, int nmax, float rmin, int nstep) {
        float[] scales = new float[8], mins = new float[8], w = new float[32];
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 8; j++) {
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) sumX2 += x[off + 32 * j + l] * x[off + 32 * j + l];
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) w[l] = avX + Math.abs(x[off + 32 * j + l]);
            float[] sm = makeQkx2(32, nmax, x, off + 32 * j, w, k.q, 32 * j, rmin, 0.1f, nstep, false);
            scales[j] = sm[0];
            mins[j] = sm[1];
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        for (int j = 0; j < 8; j++) {
            k.sc[j] = Math.min(63, nearestInt(invScale * scales[j]) & 0xff);
            k.mn[j] = Math.min(63, nearestInt(invMin * mins[j]) & 0xff);
        }
        k.d = GgmlBlocks.f2h(maxScale / 63f);
        k.dmin = GgmlBlocks.f2h(maxMin / 63f);
        float dd = GgmlBlocks.h2f(k.d), dm = GgmlBlocks.h2f(k.dmin);
        for (int j = 0; j < 8; j++) {
            float d = dd * k.sc[j];
            if (d == 0) continue;
            float m = dm * k.mn[j];
            for (int i = 0; i < 32; i++)
                k.q[32 * j + i] = Math.max(0, Math.min(nmax, nearestInt((x[off + 32 * j + i] + m) / d)));
        }
    }

    private static void q6K(float[] x, int off, QBlock k) {
        float[] scales = new float[16];
        float maxScale = 0, maxAbs = 0;
        for (int j = 0; j < 16; j++) {
            scales[j] = makeQx(16, 32, x, off + 16 * j, k.q, 16 * j);
            float a = Math.abs(scales[j]);
            if (a > maxAbs) { maxAbs = a; maxScale = scales[j]; }
        }
        if (maxAbs < GROUP_MAX_EPS) {   // ggml writes an all-zero block
            k.clear();
            return;
        }
        float iscale = -128f / maxScale;
        k.d = GgmlBlocks.f2h(1 / iscale);
        for (int j = 0; j < 16; j++) k.sc[j] = (byte) Math.min(127, nearestInt(iscale * scales[j]));
        float dd = GgmlBlocks.h2f(k.d);
        for (int j = 0; j < 16; j++) {
            float d = dd * k.sc[j];
            if (d == 0) continue;
            for (int i = 0; i < 16; i++)
                k.q[16 * j + i] = Math.max(-32, Math.min(31, nearestInt(x[off + 16 * j + i] / d))) + 32;
        }
    }
}
