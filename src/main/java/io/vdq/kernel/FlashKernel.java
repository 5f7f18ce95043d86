package io.vdq.kernel;

/**
 * A native flash-attention kernel for the vector backend's {@link KernelBackend#attention} (issue #29 item 4;
 * {@code attention_avx2.c}, {@code attention_avx512.c}): {@link VectorAttention} packs K and V once per head
 * ({@link #packKV}) and hands each block of up to {@link #queryBlock()} queries of one head to {@link #block}, one
 * call per task on the worker threads. The kernel is self-contained (its own packing, register tiles and softmax),
 * so it does not depend on the JVM's vector width; its bits differ from the Vector API blockwise kernel's (a base-2
 * softmax with its own exponential), within the tolerance its tests state against a double-precision reference.
 */
public interface FlashKernel {
    /** A short name for logs and benchmarks. */
    String name();

    /** Keys per packed K panel (the kernel's register tile height). */
    int keyPanel();

    /** The most queries one {@link #block} call takes. */
    int queryBlock();

    /**
     * Packs key panels [p0, p1) (keyPanel() keys each, keys past nk zero) of one head: K into {@code kp} (needs
     * round_up(nk, keyPanel())·d floats) and V into {@code vp} (round_up(nk, keyPanel())·round_up(d, keyPanel())).
     */
    void packKV(float[] k, int kOff, int kStride, float[] v, int vOff, int vStride, int nk, int d,
                float[] kp, float[] vp, int p0, int p1);

    /**
     * {@code out = softmax(scale·Q·Kᵀ)·V} for query rows [0, nq) (nq ≤ queryBlock()) of one head: Q and out start at
     * the head's first column of their first row; kp / vp as {@link #packKV} left them for this head.
     */
    void block(float[] q, int qOff, int qStride, int nq, float[] kp, float[] vp, int nk, int d, float scale,
               float[] out, int outOff, int outStride);
}
