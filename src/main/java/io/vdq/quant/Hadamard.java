package io.vdq.quant;

import io.vdq.VdqException.ConfigException;
import io.vdq.tensor.Parallel;
import java.util.SplittableRandom;

/**
 * An orthogonal rotation R = D·H_b of the K input channels: optional random ±1 signs D, then a normalised
 * block-diagonal Walsh–Hadamard transform with blocks of b = 2^j channels (fast, in place, O(K log b)).
 * Because R is orthogonal, {@code (x·R)·(W·R)ᵀ = x·Wᵀ}: weights are rotated once offline
 * ({@link #rotateRows} on W, out×in) and activations online ({@link #rotateRows} on X).
 */
public final class Hadamard {
    private final int k, block;
    private final long seed;
    private final float[] signs; // null = no sign flips
    private final float norm;

    /**
     * @param k     number of channels
     * @param block power-of-two block size dividing k
     * @param seed  seed of the random signs, or 0 for none
     */
    public Hadamard(int k, int block, long seed) {
        if (block < 1 || Integer.bitCount(block) != 1 || k % block != 0)
            throw new ConfigException("Hadamard block " + block + " must be a power of two dividing K = " + k);
        this.k = k;
        this.block = block;
        this.seed = seed;
        this.norm = (float) (1.0 / Math.sqrt(block));
        if (seed != 0) {
            SplittableRandom r = new SplittableRandom(seed);
            signs = new float[k];
            for (int i = 0; i < k; i++) signs[i] = r.nextBoolean() ? 1f : -1f;
        } else {
            signs = null;
        }
    }

    /** The largest power of two dividing k, capped at {@code cap} (the default block rule). */
    public static int defaultBlock(int k, int cap) {
        int b = Integer.lowestOneBit(Math.max(k, 1));
        return Math.min(b, Integer.highestOneBit(Math.max(cap, 1)));
    }

    public int k() { return k; }
    public int block() { return block; }
    public boolean randomSigns() { return signs != null; }
    /** The seed of the random signs (0 = none): with k and block it rebuilds this rotation (checkpoints). */
    public long seed() { return seed; }
    /** A copy of the ±1 signs, or null without random signs. */
    public float[] signs() { return signs == null ? null : signs.clone(); }
    /** The normalisation 1/√block applied after each block transform (as float). */
    public float norm() { return norm; }

    /** Rotates {@code rows} contiguous rows of length K in place: row ← row·R. */
    public void rotateRows(float[] x, int off, int rows) {
        Parallel.range(rows, (from, to) -> {
            for (int r = from; r < to; r++) rotateRow(x, off + r * k);
        });
    }

    /** Rotates one row of length K in place (single thread): row ← row·D·H. */
    public void rotateRow(float[] x, int off) {
        if (signs != null) for (int i = 0; i < k; i++) x[off + i] *= signs[i];
        blockFwht(x, off);
    }

    /** Applies the inverse rotation to one row in place: row ← row·Rᵀ = row·H·D. */
    public void inverseRotateRow(float[] x, int off) {
        blockFwht(x, off);
        if (signs != null) for (int i = 0; i < k; i++) x[off + i] *= signs[i];
    }

    /** Normalised Walsh–Hadamard transform of each block of the row (H is symmetric and its own inverse). */
    private void blockFwht(float[] x, int off) {
        for (int b0 = off; b0 < off + k; b0 += block) {
            for (int h = 1; h < block; h <<= 1) {
                for (int i = b0; i < b0 + block; i += h << 1) {
                    for (int j = i; j < i + h; j++) {
                        float a = x[j], c = x[j + h];
                        x[j] = a + c;
                        x[j + h] = a - c;
                    }
                }
            }
            for (int i = b0; i < b0 + block; i++) x[i] *= norm;
        }
    }
}
