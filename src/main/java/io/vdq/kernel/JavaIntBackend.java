package io.vdq.kernel;

import io.vdq.tensor.Parallel;

/** The integer reference ({@link IntGemm}) behind {@link IntBackend}, parallel over activation rows. */
public final class JavaIntBackend implements IntBackend {
    public static final JavaIntBackend INSTANCE = new JavaIntBackend();
    static final String NAME = "java";

    private JavaIntBackend() {}

    @Override public String name() { return NAME; }

    @Override public PackedInt pack(IntWeights w) { return new PackedInt(NAME, w, null); }

    @Override
    public long packedBytes(PackedInt p) {
        IntWeights w = p.weights();
        return w.q().length + 4L * (w.scale().length + (w.zero() == null ? 0 : w.zero().length) + (w.bias() == null ? 0 : w.bias().length));
    }

    @Override
    public void quantize(float[] x, int xOff, ActQuant out) {
        Parallel.range(out.m, (from, to) -> IntGemm.quantizeRows(x, xOff, out, from, to));
    }

    @Override
    public void gemm(ActQuant a, PackedInt w, float[] groupScale, float[] y, int yOff) {
        if (!NAME.equals(w.backend()))
            throw new IllegalArgumentException("weights packed by '" + w.backend() + "' given to integer backend " + NAME);
        a.requireFits(w.weights(), y, yOff);
        Parallel.range(a.m, (from, to) -> IntGemm.gemmRows(a, w.weights(), groupScale, y, yOff, from, to));
    }

    @Override
    public float[] rotBlockMax(float[] x, int xOff, int rows, RotQuant r) { return blockMax(x, xOff, rows, r); }

    /** The Λ pass on the Java reference, parallel over rows (max is order-free, so thread-count independent). */
    public static float[] blockMax(float[] x, int xOff, int rows, RotQuant r) {
        float[] s = new float[r.blocks()];
        Object lock = new Object();
        Parallel.range(rows, (from, to) -> {
            float[] m = new float[s.length];
            r.blockMaxRows(x, xOff, m, from, to);
            synchronized (lock) { for (int g = 0; g < s.length; g++) s[g] = Math.max(s[g], m[g]); }
        });
        return s;
    }

    @Override
    public void rotQuantize(float[] x, int xOff, RotQuant r, float[] inv, float eps, ActQuant out) {
        Parallel.range(out.m, (from, to) -> r.quantizeRows(x, xOff, inv, eps, out, from, to));
    }
}
