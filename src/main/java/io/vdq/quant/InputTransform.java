package io.vdq.quant;

import io.vdq.VdqException.ShapeException;
import io.vdq.tensor.Parallel;

/**
 * An invertible transform T of a linear layer's input channels applied online, {@code x ← x·T}, together with
 * its offline fold into the weights, {@code W ← W·T⁻ᵀ}, so that {@code (x·T)·(W·T⁻ᵀ)ᵀ = x·Wᵀ} in exact
 * arithmetic. Implementations: per-channel division (SmoothQuant-style smoothing) and Hadamard rotation.
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
    default InputTransform andThen(InputTransform next) {
        InputTransform first = this;
        if (next.channels() != channels())
            throw new ShapeException("chained input transforms have " + channels() + " and " + next.channels() + " channels");
        return new InputTransform() {
            @Override public int channels() { return first.channels(); }
            @Override public boolean rowLocal() { return first.rowLocal() && next.rowLocal(); }
            @Override public void apply(float[] x, int off, int rows) { first.apply(x, off, rows); next.apply(x, off, rows); }
            @Override public void foldIntoWeights(float[] w, int out) { first.foldIntoWeights(w, out); next.foldIntoWeights(w, out); }
        };
    }

    /** Smoothing: {@code x_j ← x_j / s_j} online and {@code W_ij ← W_ij · s_j} offline; s must be positive. */
    static InputTransform divideChannels(float[] s) {
        for (int j = 0; j < s.length; j++)
            if (!(s[j] > 0) || !Float.isFinite(s[j]))
                throw new ShapeException("smoothing scale " + j + " = " + s[j] + ": expected a positive finite value");
        float[] sc = s.clone();
        int k = sc.length;
        return new InputTransform() {
            @Override public int channels() { return k; }
            @Override public boolean rowLocal() { return true; }
            @Override public void apply(float[] x, int off, int rows) {
                Parallel.range(rows, (from, to) -> {
                    for (int r = from; r < to; r++) for (int j = 0, b = off + r * k; j < k; j++) x[b + j] /= sc[j];
                });
            }
            @Override public void foldIntoWeights(float[] w, int out) {
                Parallel.range(out, (from, to) -> {
                    for (int r = from; r < to; r++) for (int j = 0, b = r * k; j < k; j++) w[b + j] *= sc[j];
                });
            }
            @Override public String toString() { return "divideChannels(K=" + k + ")"; }
        };
    }

    /** Rotation by an orthogonal R: {@code x ← x·R}, {@code W ← W·R}. */
    static InputTransform hadamard(Hadamard h) {
        return new InputTransform() {
            @Override public int channels() { return h.k(); }
            @Override public boolean rowLocal() { return true; }
            @Override public void apply(float[] x, int off, int rows) { h.rotateRows(x, off, rows); }
            @Override public void foldIntoWeights(float[] w, int out) { h.rotateRows(w, 0, out); }
            @Override public String toString() {
                return "hadamard(K=" + h.k() + ", block=" + h.block() + (h.randomSigns() ? ", signs" : "") + ")";
            }
        };
    }
}
