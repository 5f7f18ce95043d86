package io.vdq.model;

/**
 * A replacement for a model's self-attention kernel ({@code softmax(scale·Q·Kᵀ)·V}, layouts as
 * {@link io.vdq.kernel.KernelBackend#attention}), e.g. int8 attention chosen by a quantization recipe.
 */
@FunctionalInterface
public interface AttentionKernel {
    void attention(float[] q, int qOff, int qStride, float[] k, int kOff, int kStride, float[] v, int vOff, int vStride,
                   float[] out, int outOff, int outStride, int nq, int nk, int heads, int headDim, float scale);

    /** A model whose self-attention kernel can be replaced (null restores the float kernel). */
    interface Configurable {
        void setSelfAttention(AttentionKernel kernel);
    }
}
