package io.vdq.kernel;

/**
 * The reduced-precision variant of the native flash attention ({@code vdq_attn_block_q16_avx2}, issue #29 item 4):
 * Q·Kᵀ, and optionally P·V, as int32 sums of int16 code products by {@code vpmaddwd} (two products per 32-bit lane,
 * AVX2 without VNNI), the softmax in float as in {@link FlashKernel}. {@link Int16Attention} drives it.
 */
public interface Int16FlashKernel {
    String name();

    /** Keys per packed K panel. */
    int keyPanel();

    /** The most queries one {@link #block} call takes. */
    int queryBlock();

    /** Keys per block inside the kernel: the int32 P·V sums run over at most this many keys. */
    int keyBlock();

    /** K's per-channel mean over its nk keys (the smoothing subtracted before quantizing). */
    void kMean(float[] k, int kOff, int kStride, int nk, int d, float[] mean);

    /** K − mean as codes in [−qmax, qmax], one scale per key (times {@code scale}), key panels [p0, p1). */
    void packK(float[] k, int kOff, int kStride, int nk, int d, int qmax, float scale, float[] mean, short[] kq, float[] ksc, int p0, int p1);

    /** V as codes in [−vqmax, vqmax], one scale per head dimension, all keys. */
    void packV(float[] v, int vOff, int vStride, int nk, int d, int vqmax, short[] vq, float[] vsc);

    /** V in float for a float P·V ({@link FlashKernel#packKV}'s V layout with this kernel's key panel), key panels [p0, p1). */
    void packVFloat(float[] v, int vOff, int vStride, int nk, int d, float[] vp, int p0, int p1);

    /**
     * Query rows [0, nq) of one head: Q quantized per query to [−qmax, qmax] inside; P·V from vq / vsc with P's codes
     * round(p·pqmax) when vq is not null, else in float from vp.
     */
    void block(float[] q, int qOff, int qStride, int nq, short[] kq, float[] ksc, int qmax, float[] vp, short[] vq,
               float[] vsc, int pqmax, int nk, int d, float[] out, int outOff, int outStride);
}
