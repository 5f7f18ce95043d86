package io.vdq.kernel;

import io.vdq.tensor.Parallel;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * FP32 GEMM on the Vector API, GotoBLAS-style: B (the weights, or op(B) for sgemm) is packed into panels of
 * {@link #NR} columns, blocked by {@link #KC} along K; blocks of A ({@link #MC} rows × KC) are packed per
 * thread into row panels of {@link #MR}; one register micro-tile of MR × NR (4 × 2 vectors = 8 accumulators,
 * sized for 16 ymm registers, see {@link #kernel}) does the work, or a native macro-kernel with the same bits
 * ({@link FloatMacroKernel}; one for NR = 16 and one for NR = 32, i.e. 256- and 512-bit vectors; they use larger
 * register tiles over the same packed panels, 6 × 16 and 12 × 32, and pack A in C).
 *
 * <p>Determinism: every output element is one FMA chain over k in increasing order (the accumulator is stored
 * and reloaded as float between K blocks, which is lossless), whatever the thread split or the element's
 * position in a tile. Edge tiles go through a scratch tile so the same micro-kernel serves every shape.
 *
 * <p>Block sizes can be overridden for tuning with {@code -Dvdq.gemm.kc / mc / nc} (read once at start-up).
 *
 * <p>Packed B layout, for column panel p (columns p·NR .. p·NR+NR−1, zero-padded past n) and K block starting
 * at pc with length kc: {@code pc·panels·NR + p·kc·NR + kk·NR + j}. So one K block of all panels is contiguous.
 */
final class VectorGemm {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Micro-tile rows (broadcast A values). */
    static final int MR = 4;
    /** Micro-tile columns: two vectors. */
    static final int NR = 2 * L;
    /** K block: one B micro-panel KC×NR (16 KB at 8 lanes) stays in L1. */
    static final int KC = Math.max(8, Integer.getInteger("vdq.gemm.kc", 256));
    /** Row block: the packed A block MC×KC (128 KB) stays in L2. */
    static final int MC = Math.max(1, Integer.getInteger("vdq.gemm.mc", 128) / MR) * MR;
    /** Column block in panels: the B block KC × (NCP·NR) (about 3 MB) is shared through L3. */
    static final int NCP = Math.max(1, Integer.getInteger("vdq.gemm.nc", 3072) / NR);

    /**
     * The native macro-kernel for NR-column panels (same bits) when available, else null: {@code native-avx2}
     * for NR = 16, {@code native-avx512} for NR = 32, from {@link ExecutionContext} (the native kernels register it);
     * {@code -Dvdq.native=off} keeps the Vector API kernel. Resolved once; {@link #setMacroKernel} replaces it
     * (tests, benchmarks).
     */
    private static FloatMacroKernel macro = ExecutionContext.floatMacro(NR);

    /** Replaces the macro-kernel (null: the Vector API micro-kernel). */
    static void setMacroKernel(FloatMacroKernel k) {
        if (k != null && k.panelWidth() != NR)
            throw new IllegalStateException(k.name() + " needs " + k.panelWidth() + "-column panels, this JVM packs " + NR);
        macro = k;
    }

    /** The macro-kernel in use, or null for the Vector API micro-kernel. */
    static FloatMacroKernel macroKernel() { return macro; }

    /** Read-only zeros: the initial accumulators of a tile that does not add to C. */
    private static final float[] ZERO_TILE = new float[MR * NR];

    private VectorGemm() {}

    static int panels(int n) { return (n + NR - 1) / NR; }

    /**
     * Packs op(B) (k × n) into the panel layout. {@code trans}: B is stored n × k (row j holds column j of
     * op(B)), as PyTorch weights are; otherwise B is stored k × n. Leading dimension ldb.
     */
    static float[] packB(boolean trans, float[] b, int bOff, int ldb, int n, int k) {
        int np = panels(n);
        float[] d = new float[Math.multiplyExact(np * NR, Math.max(k, 0))];
        if (k == 0 || n == 0) return d;
        int grain = Math.max(1, (1 << 16) / Math.max(1, k * NR));
        Parallel.range(np, grain, (p0, p1) -> {
            for (int p = p0; p < p1; p++) packPanel(trans, b, bOff, ldb, n, k, np, p, d);
        });
        return d;
    }

    private static void packPanel(boolean trans, float[] b, int bOff, int ldb, int n, int k, int np, int p, float[] d) {
        int col0 = p * NR, nv = Math.min(NR, n - col0);
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            int base = pc * np * NR + p * kc * NR;
            if (trans) {
                for (int j = 0; j < nv; j++) {
                    int src = bOff + (col0 + j) * ldb + pc;
                    for (int kk = 0; kk < kc; kk++) d[base + kk * NR + j] = b[src + kk];
                }
            } else {
                for (int kk = 0; kk < kc; kk++)
                    System.arraycopy(b, bOff + (pc + kk) * ldb + col0, d, base + kk * NR, nv);
            }
        }
    }

    /**
     * {@code C = op(A)·B (+ C if accumulate) (+ bias)} with B packed by {@link #packB}. op(A) is m × k:
     * stored m × k (lda) or, with {@code transA}, k × m. {@code bias} (length n) may be null.
     */
    static void multiply(int m, int n, int k, float[] a, int aOff, int lda, boolean transA, float[] bp,
                         float[] c, int cOff, int ldc, boolean accumulate, float[] bias) {
        if (m <= 0 || n <= 0) return;
        int np = panels(n);
        int rowTiles = (m + MR - 1) / MR;
        int threads = Parallel.threads();
        if (rowTiles >= 4 * threads || rowTiles >= np) {
            Parallel.range(m, MR, (r0, r1) ->
                    block(r0, r1, 0, np, n, k, a, aOff, lda, transA, bp, c, cOff, ldc, accumulate, bias));
        } else {
            Parallel.range(np, (p0, p1) ->
                    block(0, m, p0, p1, n, k, a, aOff, lda, transA, bp, c, cOff, ldc, accumulate, bias));
        }
    }

    /** Rows [r0, r1) × column panels [p0, p1) of C: one thread's share. */
    private static void block(int r0, int r1, int p0, int p1, int n, int k, float[] a, int aOff, int lda,
                              boolean transA, float[] bp, float[] c, int cOff, int ldc, boolean accumulate,
                              float[] bias) {
        int np = panels(n);
        if (k == 0) {
            if (!accumulate) for (int i = r0; i < r1; i++)
                Arrays.fill(c, cOff + i * ldc + p0 * NR, cOff + i * ldc + Math.min(n, p1 * NR), 0f);
        } else {
            float[] ap = new float[Math.min(MC, roundUp(r1 - r0, MR)) * Math.min(KC, k)];
            float[] tile = new float[MR * NR];
            FloatMacroKernel mk = macro;
            for (int jp = p0; jp < p1; jp += NCP) {
                int jpEnd = Math.min(p1, jp + NCP);
                for (int pc = 0; pc < k; pc += KC) {
                    int kc = Math.min(KC, k - pc);
                    boolean load = accumulate || pc > 0;
                    for (int ic = r0; ic < r1; ic += MC) {
                        int mc = Math.min(MC, r1 - ic);
                        if (mk != null && !transA) mk.packA(a, aOff + ic * lda + pc, lda, mc, kc, ap);
                        else packA(a, aOff, lda, transA, ic, mc, pc, kc, ap);
                        if (mk != null) {
                            mk.run(ap, 0, mc, kc, bp, pc * np * NR, jp, jpEnd, n, c, cOff + ic * ldc, ldc, load);
                            continue;
                        }
                        for (int p = jp; p < jpEnd; p++) {
                            int bOff = pc * np * NR + p * kc * NR;
                            int col0 = p * NR, nv = Math.min(NR, n - col0);
                            for (int ir = 0; ir < mc; ir += MR) {
                                int mr = Math.min(MR, mc - ir);
                                int ci = cOff + (ic + ir) * ldc + col0;
                                if (mr == MR && nv == NR) {
                                    kernel(kc, ap, ir * kc, bp, bOff, c, ci, ldc, load);
                                } else {
                                    if (load) copyTile(c, ci, ldc, tile, 0, NR, mr, nv);
                                    kernel(kc, ap, ir * kc, bp, bOff, tile, 0, NR, load);
                                    copyTile(tile, 0, NR, c, ci, ldc, mr, nv);
                                }
                            }
                        }
                    }
                }
            }
        }
        if (bias != null) {
            int c0 = p0 * NR, c1 = Math.min(n, p1 * NR);
            for (int i = r0; i < r1; i++) VectorOps.addInPlace(c, cOff + i * ldc + c0, bias, c0, c1 - c0);
        }
    }

    static int roundUp(int x, int m) { return (x + m - 1) / m * m; }

    private static void copyTile(float[] src, int so, int ls, float[] dst, int d0, int ld, int rows, int cols) {
        for (int r = 0; r < rows; r++) System.arraycopy(src, so + r * ls, dst, d0 + r * ld, cols);
    }

    /**
     * Packs op(A)[ic..ic+mc) × [pc..pc+kc) into row panels of MR: {@code ap[ir·kc + kk·MR + r]}, rows past mc
     * zero.
     */
    static void packA(float[] a, int aOff, int lda, boolean transA, int ic, int mc, int pc, int kc, float[] ap) {
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir), base = ir * kc;
            if (transA && mr == MR) { // unrolled: 3.2× faster than the loop below (0.45 vs 1.43 ns per element)
                for (int kk = 0, src = aOff + pc * lda + ic + ir, dst = base; kk < kc; kk++, src += lda, dst += MR) {
                    ap[dst] = a[src]; ap[dst + 1] = a[src + 1]; ap[dst + 2] = a[src + 2]; ap[dst + 3] = a[src + 3];
                }
            } else if (transA) {
                for (int kk = 0; kk < kc; kk++) {
                    int src = aOff + (pc + kk) * lda + ic + ir, dst = base + kk * MR;
                    for (int r = 0; r < mr; r++) ap[dst + r] = a[src + r];
                    for (int r = mr; r < MR; r++) ap[dst + r] = 0f;
                }
            } else {
                for (int r = 0; r < mr; r++) {
                    int src = aOff + (ic + ir + r) * lda + pc;
                    for (int kk = 0; kk < kc; kk++) ap[base + kk * MR + r] = a[src + kk];
                }
                for (int r = mr; r < MR; r++)
                    for (int kk = 0; kk < kc; kk++) ap[base + kk * MR + r] = 0f;
            }
        }
    }

    /**
     * The register micro-tile: {@code C[4 × NR] (+)= A[4 × kc] · B[kc × NR]}, A packed as [kc][4] and B as
     * [kc][NR]. Eight accumulators + two B vectors + four broadcasts = 14 of the 16 ymm registers even when C2
     * hoists every broadcast to the top of the loop (it does). Measured on this AVX2 host: 6×16 and 5×16 tiles
     * made C2 keep one or two accumulators on the stack inside the loop (load-FMA-store every step) and ran at
     * 40–50 % of this tile's speed. Only arrays and ints cross the call (no boxing).
     */
    static void kernel(int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc, boolean load) {
        int r1 = cOff + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
        // Initial values come from C or from a zero tile; one load path keeps the vectors' exact type known
        // to C2 (merging zero() and fromArray() results in a branch made it box the accumulators).
        float[] src = load ? c : ZERO_TILE;
        int s0 = load ? cOff : 0, sl = load ? ldc : NR;
        FloatVector c00 = FloatVector.fromArray(S, src, s0), c01 = FloatVector.fromArray(S, src, s0 + L);
        FloatVector c10 = FloatVector.fromArray(S, src, s0 + sl), c11 = FloatVector.fromArray(S, src, s0 + sl + L);
        FloatVector c20 = FloatVector.fromArray(S, src, s0 + 2 * sl), c21 = FloatVector.fromArray(S, src, s0 + 2 * sl + L);
        FloatVector c30 = FloatVector.fromArray(S, src, s0 + 3 * sl), c31 = FloatVector.fromArray(S, src, s0 + 3 * sl + L);
        for (int p = 0; p < kc; p++) {
            int bo = bOff + p * NR, ao = aOff + p * MR;
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector av = FloatVector.broadcast(S, a[ao]);
            c00 = av.fma(b0, c00); c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, a[ao + 1]);
            c10 = av.fma(b0, c10); c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, a[ao + 2]);
            c20 = av.fma(b0, c20); c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, a[ao + 3]);
            c30 = av.fma(b0, c30); c31 = av.fma(b1, c31);
        }
        c00.intoArray(c, cOff); c01.intoArray(c, cOff + L);
        c10.intoArray(c, r1); c11.intoArray(c, r1 + L);
        c20.intoArray(c, r2); c21.intoArray(c, r2 + L);
        c30.intoArray(c, r3); c31.intoArray(c, r3 + L);
    }
}
