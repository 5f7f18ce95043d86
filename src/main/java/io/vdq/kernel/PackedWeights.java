package io.vdq.kernel;

/**
 * A weight matrix W (n outputs × k inputs, PyTorch layout) prepacked once for one backend's GEMM.
 * {@code layout} names the packing so a backend can refuse another's; {@code data} is backend-owned.
 */
public record PackedWeights(String layout, int n, int k, float[] data) {}
