package io.vdq.quant.gguf;

import io.vdq.io.gguf.GgmlBlocks;
import io.vdq.io.gguf.GgmlRefQuant;
import io.vdq.io.gguf.GgmlType;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The figures of docs/GGUF.md: relative weight error ‖W − Ŵ‖/‖W‖ of ggml's reference encoder and of
 * {@link GgufBgr} on a heavy-tailed random matrix (Student-t, 3 degrees of freedom, with per-row scales), per type,
 * and the share of blocks where BGR is strictly better. Run:
 * {@code java -cp target/classes:target/test-classes io.vdq.quant.gguf.GgufErrorTable [ROWS COLS SEED]}.
 */
public final class GgufErrorTable {
    public static final GgmlType[] TYPES = {GgmlType.Q8_0, GgmlType.Q6_K, GgmlType.Q5_K, GgmlType.Q5_0, GgmlType.Q4_K,
            GgmlType.Q4_1, GgmlType.Q4_0, GgmlType.Q3_K, GgmlType.Q2_K};

    /** Student-t(ν) samples times a per-row scale drawn log-uniformly from [0.01, 0.1]. */
    public static float[] studentT(int rows, int cols, double nu, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] w = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            double scale = Math.exp(Math.log(0.01) + r.nextDouble() * Math.log(10));
            for (int j = 0; j < cols; j++) {
                double chi = 0;
                for (int k = 0; k < (int) nu; k++) { double g = gauss(r); chi += g * g; }
                w[i * cols + j] = (float) (scale * gauss(r) / Math.sqrt(chi / nu));
            }
        }
        return w;
    }

    static double gauss(SplittableRandom r) {
        double u = r.nextDouble(), v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    }

    /** {ref relative error, bgr relative error, share of blocks strictly improved, blocks where bgr is worse}. */
    public static double[] compare(GgmlType t, float[] w, int rows, int cols) {
        GgufBgr.Encoder e = new GgufBgr.Encoder(t);
        double ref = 0, bgr = 0, norm = 0;
        long better = 0, worse = 0, blocks = 0;
        for (int i = 0; i < rows; i++) {
            for (int b = 0; b < cols / t.blockSize; b++) {
                int off = i * cols + b * t.blockSize;
                e.encode(w, off, null, 0);
                ref += e.refError;
                bgr += e.bestError;
                if (e.bestError < e.refError) better++;
                if (e.bestError > e.refError) worse++;
                blocks++;
            }
        }
        for (float v : w) norm += (double) v * v;
        return new double[]{Math.sqrt(ref / norm), Math.sqrt(bgr / norm), (double) better / blocks, worse};
    }

    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        int cols = args.length > 1 ? Integer.parseInt(args[1]) : 1536;
        long seed = args.length > 2 ? Long.parseLong(args[2]) : 7;
        float[] w = studentT(rows, cols, 3, seed);
        System.out.printf(Locale.ROOT, "Student-t(3) matrix %d x %d, seed %d%n", rows, cols, seed);
        System.out.printf(Locale.ROOT, "%-5s %6s %12s %12s %8s %10s %7s%n", "type", "bits", "ref rel.err", "bgr rel.err", "change", "blocks<ref", "s");
        for (GgmlType t : TYPES) {
            long t0 = System.nanoTime();
            double[] c = compare(t, w, rows, cols);
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "%-5s %6.2f %12.5f %12.5f %7.2f%% %9.1f%% %7.2f%s%n", t, t.bitsPerWeight(), c[0], c[1],
                    100 * (c[1] / c[0] - 1), 100 * c[2], s, c[3] > 0 ? "  WORSE in " + (long) c[3] + " blocks" : "");
        }
        // sanity: the packed bytes decode to the same error the encoder reported
        byte[] q = GgufBgr.encode(GgmlType.Q4_K, w, 0, cols);
        float[] y = GgmlBlocks.decode(GgmlType.Q4_K, q, cols);
        double e = 0;
        for (int i = 0; i < cols; i++) e += (double) (w[i] - y[i]) * (w[i] - y[i]);
        System.out.printf(Locale.ROOT, "check: row 0 Q4_K decoded error %.6g (ref %.6g)%n", e, err(GgmlType.Q4_K, w, cols));
    }

    static double err(GgmlType t, float[] w, int n) {
        float[] y = GgmlBlocks.decode(t, GgmlRefQuant.encode(t, w, 0, n), n);
        double e = 0;
        for (int i = 0; i < n; i++) e += (double) (w[i] - y[i]) * (w[i] - y[i]);
        return e;
    }
}
