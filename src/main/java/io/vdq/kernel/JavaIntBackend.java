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
    public void quantize(float[] x, int xOff, ActQuant out) {
        Parallel.range(out.m, (from, to) -> IntGemm.quantizeRows(x, xOff, out, from, to));
    }

    @Override
    public void gemm(ActQuant a, PackedInt w, float[] y, int yOff) {
        if (!NAME.equals(w.backend()))
            throw new IllegalArgumentException("weights packed by '" + w.backend() + "' given to integer backend " + NAME);
        a.requireFits(w.weights(), y, yOff);
        Parallel.range(a.m, (from, to) -> IntGemm.gemmRows(a, w.weights(), y, yOff, from, to));
    }
}
