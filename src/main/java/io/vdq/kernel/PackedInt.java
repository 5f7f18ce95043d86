package io.vdq.kernel;

/**
 * Integer weights prepacked once for one {@link IntBackend}: {@code backend} names the packer so another
 * backend can refuse them, {@code data} is backend-owned (null for the Java reference, which reads
 * {@code weights} directly).
 */
public record PackedInt(String backend, IntWeights weights, Object data) {
    public int n() { return weights.n(); }
    public int k() { return weights.k(); }
    public int bits() { return weights.bits(); }
}
