package io.vdq.kernel;

import io.vdq.VdqException.ConfigException;
import io.vdq.tensor.Parallel;

/**
 * Reduced-precision self-attention on {@link Int16FlashKernel} (issue #29 item 4): the flash kernel's blocking and
 * float softmax, with Q·Kᵀ from integer codes (K smoothed by its per-channel mean, which softmax ignores, then
 * quantized symmetric per key; Q per query) and optionally P·V from integer codes (V per head dimension, P as
 * round(p·pqmax) of the probabilities relative to the running maximum, p ≤ 1). Codes are int16 in memory and
 * multiplied pairwise by {@code vpmaddwd} into int32 sums, so any width up to the int32 bound can be used:
 * {@code qkBits} for Q and K (d·qmax² < 2³¹), {@code vBits} for V (at most 13) and the largest P code the bound
 * 128·pqmax·vqmax < 2³¹ then allows (pqmax ≤ 32 767; at least 4 095). 8-bit codes give int8 attention's error; 12-bit codes cost
 * the same time and cut the error by about 10×.
 */
public final class Int16Attention {
    private Int16Attention() {}

    /** The largest code of a symmetric {@code bits}-bit quantizer. */
    static int qmax(int bits) { return (1 << (bits - 1)) - 1; }

    /** P's largest code for V codes up to vqmax: the int32 sums over a key block must not overflow. */
    static int pqmax(int vqmax, int keyBlock) { return (int) Math.min(32767, (Integer.MAX_VALUE - 1L) / ((long) keyBlock * vqmax)); }

    /**
     * {@code out = softmax(scale·Q·Kᵀ)·V}, layouts as {@link KernelBackend#attention}, with Q·Kᵀ from {@code qkBits}-bit
     * codes and, when {@code vBits > 0}, P·V from {@code vBits}-bit V codes (else float P·V).
     */
    public static void attention(Int16FlashKernel fk, int qkBits, int vBits, float[] q, int qOff, int qStride, float[] k, int kOff,
                                 int kStride, float[] v, int vOff, int vStride, float[] out, int outOff, int outStride,
                                 int nq, int nk, int heads, int d, float scale) {
        if (nq < 1 || nk < 1 || heads < 1 || d < 1)
            throw new ConfigException("int16 attention: nq, nk, heads and headDim must be positive, got " + nq + ", " + nk + ", " + heads + ", " + d);
        if (qkBits < 2 || qkBits > 16 || (long) d * qmax(qkBits) * qmax(qkBits) >= Integer.MAX_VALUE)
            throw new ConfigException("int16 attention: " + qkBits + "-bit Q·Kᵀ codes at head dim " + d
                    + " overflow int32 sums (need d·qmax² < 2^31)");
        if (vBits != 0 && (vBits < 2 || vBits > 15 || pqmax(qmax(vBits), fk.keyBlock()) < 4095))
            throw new ConfigException("int16 attention: " + vBits + "-bit V codes leave P's codes fewer than 12 bits "
                    + "(int32 sums over " + fk.keyBlock() + " keys; V codes of 2..13 bits)");
        int mr = fk.keyPanel(), qb = fk.queryBlock(), qm = qmax(qkBits);
        int panels = (nk + mr - 1) / mr, nkp = Math.multiplyExact(panels, mr), dp = VectorGemm.roundUp(d, mr), dq2 = (d + 1) / 2;
        short[] kq = new short[Math.multiplyExact(nkp, 2 * dq2)];
        float[] ksc = new float[nkp], mean = new float[d], vsc = new float[dp];
        float[] vp = vBits == 0 ? new float[Math.multiplyExact(nkp, dp)] : null;
        short[] vq = vBits == 0 ? null : new short[Math.multiplyExact(nkp, dp)];
        int vqm = vBits == 0 ? 0 : qmax(vBits), pqm = vBits == 0 ? 0 : pqmax(vqm, fk.keyBlock());
        int qBlocks = (nq + qb - 1) / qb;
        for (int h = 0; h < heads; h++) {
            int kh = kOff + h * d, vh = vOff + h * d, qh = qOff + h * d, oh = outOff + h * d;
            fk.kMean(k, kh, kStride, nk, d, mean);
            Parallel.range(panels, (p0, p1) -> fk.packK(k, kh, kStride, nk, d, qm, scale, mean, kq, ksc, p0, p1));
            if (vq != null) fk.packV(v, vh, vStride, nk, d, vqm, vq, vsc);
            else Parallel.range(panels, (p0, p1) -> fk.packVFloat(v, vh, vStride, nk, d, vp, p0, p1));
            Parallel.forEachDynamic(qBlocks, b -> fk.block(q, qh + b * qb * qStride, qStride, Math.min(qb, nq - b * qb),
                    kq, ksc, qm, vp, vq, vsc, pqm, nk, d, out, oh + b * qb * outStride, outStride));
        }
    }
}
