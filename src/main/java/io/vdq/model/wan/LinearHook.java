package io.vdq.model.wan;

import io.vdq.model.Linear;
import io.vdq.model.LinearRegistry;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Observes the input and output rows of linear layers by name (calibration statistics, Hessians, per-layer
 * errors). Install with {@link #install}, which wraps every layer of a {@link LinearRegistry} and returns a
 * handle that puts the original layers back. Arrays are live buffers: read them, do not keep or modify them.
 */
public interface LinearHook {
    /** Before the layer runs: {@code rows × in} values at {@code x[xOff..]}. */
    default void input(String name, float[] x, int xOff, int rows, int in) {}

    /** After the layer ran: {@code rows × out} values at {@code y[yOff..]}. */
    default void output(String name, float[] y, int yOff, int rows, int out) {}

    /** Wraps every linear of {@code model} with this hook; closing the handle restores the wrapped layers. */
    default AutoCloseable install(LinearRegistry model) {
        Map<String, Linear> originals = new LinkedHashMap<>(model.linears());
        for (var e : originals.entrySet()) model.replaceLinear(e.getKey(), new Observed(e.getKey(), e.getValue(), this));
        return () -> originals.forEach(model::replaceLinear);
    }

    /** A linear that reports to a hook around its delegate. */
    record Observed(String name, Linear delegate, LinearHook hook) implements Linear {
        @Override public int inFeatures() { return delegate.inFeatures(); }
        @Override public int outFeatures() { return delegate.outFeatures(); }

        @Override
        public void forward(float[] x, int xOff, int rows, float[] y, int yOff) {
            hook.input(name, x, xOff, rows, delegate.inFeatures());
            delegate.forward(x, xOff, rows, y, yOff);
            hook.output(name, y, yOff, rows, delegate.outFeatures());
        }
    }
}
