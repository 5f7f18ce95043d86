package io.vdq.train;

import java.util.List;

/**
 * A differentiable map of a {@code rows × cols} matrix onto one of the same shape, with its own parameters:
 * the hook through which quantizers and transforms enter a {@link LinearLayer} (on its weight or its input).
 */
public interface MatrixFn {
    /** What a forward keeps for its backward. */
    interface Cache {}

    /** Writes {@code f(x)} into {@code y} (may not alias x) and returns the cache. */
    Cache forward(float[] x, int rows, int cols, float[] y);

    /** Writes dL/dx into {@code dx} (overwritten) and adds the parameter gradients to their buffers. */
    void backward(Cache cache, float[] dy, float[] dx);

    List<Param> params();
}
