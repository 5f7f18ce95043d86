package io.vdq.quant;

import io.vdq.VdqException.ShapeException;
import io.vdq.tensor.Parallel;

/**
 * An invertible transform T of a linear layer's input channels applied online, {@code x ← x·T}, together with
 * its offline fold into the weights, {@code W ← W·T⁻ᵀ}, so that {@code (x·T)·(W·T⁻ᵀ)ᵀ = x·Wᵀ} in exact
 * arithmetic. Built-in implementations are the named records {@link DivideChannels} (SmoothQuant-style
 * smoothing), {@link HadamardRotation} and {@link Chain}, which checkpoints can describe; other implementations
 * work in memory but cannot be saved.
 */
public interface InputTransform {
    /** Number of input channels K. */
    int channels();

    /** {@code x ← x·T} for rows × K values at {@code off}, in place. */
    void apply(float[] x, int off, int rows);

    /** {@code W ← W·T⁻ᵀ} for the out × K weight matrix, in place. */
    void foldIntoWeights(float[] w, int out);

    /**
     * True when each row's result depends on that row alone, so callers may transform a call's rows in chunks.
     * Default false (e.g. a scale computed over all tokens of the call).
     */
    default boolean rowLocal() { return false; }

    /** First this, then {@code next} (x·A·B; weights folded by A then B). */
    default InputTransform andThen(InputTransform next) { return new Chain(this, next); }

    /** Smoothing: {@code x_j ← x_j / s_j} online and {@code W_ij ← W_ij · s_j} offline; s must be positive. */
    static InputTransform divideChannels(float[] s) { return new DivideChannels(s); }

    /** Rotation by an orthogonal R: {@code x ← x·R}, {@code W ← W·R}. */
    static InputTransform hadamard(Hadamard h) { return new HadamardRotation(h); }

    /**
     * {@link #andThen}: x·A·B. Named (like the other built-in transforms) so that checkpoints can describe it.
     */
    record Chain(InputTransform first, InputTransform next) implements InputTransform {
        public Chain {
            if (next.channels() != first.channels())
                throw new ShapeException("chained input transforms have " + first.channels() + " and " + next.channels() + " channels");
        }
        @Override public int channels() { return first.channels(); }
        @Override public boolean rowLocal() { return first.rowLocal() && next.rowLocal(); }
        @Override public void apply(float[] x, int off, int rows) { first.apply(x, off, rows); next.apply(x, off, rows); }
        @Override public void foldIntoWeights(float[] w, int out) { first.foldIntoWeights(w, out); next.foldIntoWeights(w, out); }
    }

    /** {@link #divideChannels}: the positive divisors s (a private copy; {@link #divisors} returns another). */
    record DivideChannels(float[] divisors) implements InputTransform {
        public DivideChannels {
            for (int j = 0; j < divisors.length; j++)
                if (!(divisors[j] > 0) || !Float.isFinite(divisors[j]))
                    throw new ShapeException("smoothing scale " + j + " = " + divisors[j] + ": expected a positive finite value");
            divisors = divisors.clone();
        }
        @Override public float[] divisors() { return divisors.clone(); }
        @Override public int channels() { return divisors.length; }
        @Override public boolean rowLocal() { return true; }
        @Override public void apply(float[] x, int off, int rows) {
            float[] sc = divisors;
            int k = sc.length;
            Parallel.range(rows, (from, to) -> {
                for (int r = from; r < to; r++) for (int j = 0, b = off + r * k; j < k; j++) x[b + j] /= sc[j];
            });
        }
        @Override public void foldIntoWeights(float[] w, int out) {
            float[] sc = divisors;
            int k = sc.length;
            Parallel.range(out, (from, to) -> {
                for (int r = from; r < to; r++) for (int j = 0, b = r * k; j < k; j++) w[b + j] *= sc[j];
            });
        }
        @Override public String toString() { return "divideChannels(K=" + divisors.length + ")"; }
    }

    /** {@link #hadamard}: the rotation (K, block and sign seed describe it). */
    record HadamardRotation(Hadamard hadamard) implements InputTransform {
        @Override public int channels() { return hadamard.k(); }
        @Override public boolean rowLocal() { return true; }
        @Override public void apply(float[] x, int off, int rows) { hadamard.rotateRows(x, off, rows); }
        @Override public void foldIntoWeights(float[] w, int out) { hadamard.rotateRows(w, 0, out); }
        @Override public String toString() {
            return "hadamard(K=" + hadamard.k() + ", block=" + hadamard.block() + (hadamard.randomSigns() ? ", signs" : "") + ")";
        }
    }
}
