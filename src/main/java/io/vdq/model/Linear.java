package io.vdq.model;

/**
 * A linear layer {@code y = x·Wᵀ + b} with W stored out×in (PyTorch layout). Models call layers only
 * through this interface, so a quantization method can replace any of them by name.
 */
public interface Linear {
    int inFeatures();

    int outFeatures();

    /** {@code y[rows × out] = x[rows × in] · Wᵀ + b}; rows are contiguous at the given offsets. */
    void forward(float[] x, int xOff, int rows, float[] y, int yOff);
}
