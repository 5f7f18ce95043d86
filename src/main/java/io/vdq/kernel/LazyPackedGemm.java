package io.vdq.kernel;

/**
 * {@code Y = X·Wᵀ (+ bias)} for one fixed weight matrix (n×k, out×in), packed on first use for the current
 * backend and packed again only if {@link Kernels#set} switches backends. Backend and packing are published as
 * one value, so a reader never pairs weights packed for one backend with another.
 */
public final class LazyPackedGemm {
    private record Packed(KernelBackend backend, PackedWeights weights) {}

    private final float[] weight;
    private final float[] bias;
    private final int n, k;
    private volatile Packed packed;

    /** {@code weight} (n×k) and {@code bias} (n, or null) are used as given, not copied. */
    public LazyPackedGemm(float[] weight, float[] bias, int n, int k) {
        this.weight = weight;
        this.bias = bias;
        this.n = n;
        this.k = k;
    }

    /** {@code y[rows × n] = x[rows × k] · Wᵀ + bias}. */
    public void gemm(float[] x, int xOff, int rows, float[] y, int yOff) {
        KernelBackend b = Kernels.get();
        Packed p = packed;
        if (p == null || p.backend() != b) {
            synchronized (this) {
                p = packed;
                if (p == null || p.backend() != b) packed = p = new Packed(b, b.pack(weight, 0, n, k));
            }
        }
        b.gemm(x, xOff, rows, p.weights(), bias, y, yOff);
    }
}
