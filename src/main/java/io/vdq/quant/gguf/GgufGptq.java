package io.vdq.quant.gguf;

import io.vdq.VdqException.ConfigException;
import io.vdq.io.gguf.GgmlBlocks;
import io.vdq.io.gguf.GgmlRefQuant;
import io.vdq.io.gguf.GgmlType;
import io.vdq.io.gguf.QBlock;
import io.vdq.quant.HessianFactor;
import io.vdq.tensor.Parallel;

/**
 * GPTQ (Frantar et al., 2023) on ggml's block grids: error feedback through the layer's calibration Hessian
 * H = Σ xxᵀ over input channels (ggml's row direction), with codes that land exactly on a ggml block's grid.
 * <ol>
 * <li>Dead inputs (H_ii = 0) get weight 0 and H_ii = 1; H is damped by {@code damp · mean(diag H)}; U is the upper
 *     Cholesky factor of H⁻¹ ({@link HessianFactor}, as {@code quant.gptq.Gptq}).</li>
 * <li>Each row walks its input columns in natural order, one ggml block at a time (32 columns, or the 256-column
 *     super-block of the K-quants). At the first column of a block, the block's scales and minima (d, dmin and the
 *     integer sub-block scales) are chosen from the <em>current, error-updated</em> weights by ggml's reference
 *     search or by {@link GgufBgr} weighted by diag(H) (normalised as {@link GgufBgr#weights}).</li>
 * <li>Inside the block, each column's code is the nearest grid point for those fixed scales, its value is what
 *     ggml's decoder computes for that code ({@link GgmlBlocks#dequantize}, same float operations), and the error
 *     (w_i − ŵ_i)/U_ii is spread over the later columns j by {@code w_j −= err · U_ij}.</li>
 * <li>The codes and scales are packed as ggml bytes ({@link GgmlBlocks#pack}); they decode to exactly the values the
 *     error feedback used ({@link Result#dequantized}).</li>
 * </ol>
 * Rows are independent and run in parallel; the result does not depend on the thread count.
 */
public final class GgufGptq {
    private GgufGptq() {}

    /** Default dampening, as {@code quant.gptq}: 1 % of the mean of diag(H). */
    public static final double DEFAULT_DAMP = 0.01;
    /** Rows walked together (each row of U is read once per tile). */
    static final int TILE = 16;

    /** How each block's scales are chosen at its first column. */
    public enum Search { REF, BGR }

    /** The ggml bytes (rows × rowBytes) and the values they decode to (rows × cols). */
    public record Result(byte[] bytes, float[] dequantized) {}

    /**
     * @param w       rows × cols weights, row-major (out × in)
     * @param hessian cols × cols, Σ xxᵀ over calibration inputs (any positive scale: it is normalised by its mean diagonal)
     */
    public static Result encode(String layer, GgmlType t, float[] w, int rows, int cols, double[] hessian, double damp, Search search) {
        if (!t.quantized()) throw new ConfigException(layer + ": GPTQ on the ggml grid needs a quantized type, got " + t);
        if (cols % t.blockSize != 0)
            throw new ConfigException(layer + ": " + t + " row length " + cols + " is not a multiple of the block size " + t.blockSize);
        if (w.length != (long) rows * cols) throw new ConfigException(layer + ": " + w.length + " weights, expected " + rows + "×" + cols);
        if (hessian.length != (long) cols * cols)
            throw new ConfigException(layer + ": Hessian has " + hessian.length + " entries, expected " + cols + "²");
        if (!(damp >= 0)) throw new ConfigException(layer + ": damp = " + damp + ": expected >= 0");
        int k = cols;
        double[] h = hessian.clone();
        boolean[] dead = new boolean[k];
        float[] diag = new float[k];
        for (int i = 0; i < k; i++) {
            diag[i] = (float) h[i * k + i];
            if (h[i * k + i] == 0) { dead[i] = true; h[i * k + i] = 1; }
        }
        double mean = 0;
        for (int i = 0; i < k; i++) mean += h[i * k + i];
        mean /= k;
        for (int i = 0; i < k; i++) h[i * k + i] += damp * mean;
        double[] u = HessianFactor.upperCholeskyOfInverse(h, k, "GGUF GPTQ " + layer);
        float[] importance = GgufBgr.weights(diag);

        GgufBgr.Grid g = GgufBgr.Grid.of(t);
        int bs = t.blockSize, blocks = k / bs, sub = g.subSize();
        long rowBytes = t.rowBytes(k);
        byte[] out = new byte[Math.toIntExact(Math.multiplyExact(rowBytes, (long) rows))];
        float[] deq = new float[rows * k];
        Parallel.range(rows, TILE, (from, to) -> {
            double[] wr = new double[TILE * k];
            double[] err = new double[TILE];
            float[] xb = new float[bs];
            QBlock[] kb = new QBlock[TILE];
            for (int i = 0; i < TILE; i++) kb[i] = new QBlock(t);
            GgufBgr.Encoder enc = search == Search.BGR ? new GgufBgr.Encoder(t) : null;
            for (int t0 = from; t0 < to; t0 += TILE) {
                int nt = Math.min(TILE, to - t0);
                for (int r = 0; r < nt; r++)
                    for (int i = 0; i < k; i++) wr[r * k + i] = dead[i] ? 0 : w[(t0 + r) * k + i];
                for (int b = 0; b < blocks; b++) {
                    int b0 = b * bs;
                    for (int r = 0; r < nt; r++) {   // this block's scales, from the updated weights
                        for (int i = 0; i < bs; i++) xb[i] = (float) wr[r * k + b0 + i];
                        if (enc != null) {
                            enc.encode(xb, 0, importance, b0);
                            kb[r].copyFrom(enc.best);
                        } else {
                            GgmlRefQuant.quantizeBlock(xb, 0, kb[r]);
                        }
                    }
                    for (int c = 0; c < bs; c++) {
                        int i = b0 + c, j = c / sub;
                        for (int r = 0; r < nt; r++) {
                            QBlock q = kb[r];
                            float D = GgufBgr.h2f(q.d), M = GgufBgr.h2f(q.dmin);
                            float dl = g.dl(q, D, j), ml = g.ml(q, M, j);
                            double x = wr[r * k + i];
                            int code = 0;
                            if (dl != 0 && Float.isFinite(dl)) {
                                double v = Math.rint((x + ml) / dl);
                                code = (int) Math.max(g.qMin() - g.qOff(), Math.min(g.qMax() - g.qOff(), v));
                            }
                            q.q[c] = code + g.qOff();
                            float y = dl * code - ml;   // the decoder's value for this code
                            deq[(t0 + r) * k + i] = y;
                            err[r] = (x - y) / u[i * k + i];
                        }
                        int bu = i * k;
                        for (int r = 0; r < nt; r++) {
                            double e = err[r];
                            int br = r * k;
                            for (int m = i + 1; m < k; m++) wr[br + m] -= e * u[bu + m];
                        }
                    }
                    for (int r = 0; r < nt; r++) GgmlBlocks.pack(kb[r], out, Math.toIntExact((t0 + r) * rowBytes + (long) b * t.typeSize));
                }
            }
        });
        return new Result(out, deq);
    }
}
