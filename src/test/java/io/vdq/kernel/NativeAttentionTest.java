package io.vdq.kernel;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vdq.kernel.VectorAttentionTest.Problem;
import io.vdq.kernel.nat.NativeAttention;
import io.vdq.tensor.Parallel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The native flash-attention kernels ({@code attention_avx2.c}, {@code attention_avx512.c}, each where it can run)
 * through the vector backend's attention, held to {@link VectorAttentionTest}'s tolerances against the same
 * double-precision softmax(scale·Q·Kᵀ)·V: 2e-5 absolute on outputs that are convex combinations of V entries in
 * [−1, 1] (the kernel's errors: float32 dot products over d ≤ 128 terms, its 2^x with relative error ≤ 1.0e-7, and
 * float sums over ≤ 30 000 keys; measured ≈ 1.5e-7 at 4 096 keys, d = 128), 4e-5 against the scalar oracle. Shapes
 * cover query counts that end mid-panel and mid-block, key counts that end mid-panel and mid-block, head dims that
 * are not a multiple of the tile height, padded row strides, scores whose maximum moves from block to block, and
 * identical bits for 1 and 2 threads. Skipped where the library does not load.
 */
class NativeAttentionTest {
    private static final KernelBackend V = VectorBackend.INSTANCE, SC = ScalarBackend.INSTANCE;

    static List<FlashKernel> kernels() {
        List<FlashKernel> ks = new ArrayList<>();
        if (!ExecutionContext.nativeAllowed()) return ks;
        for (String n : new String[]{"avx2", "avx512"}) {
            FlashKernel k = NativeAttention.byName(n);
            if (k != null) ks.add(k);
        }
        return ks;
    }

    /** Runs {@code body} once per available kernel, with that kernel selected. */
    static void withEachKernel(java.util.function.Consumer<FlashKernel> body) {
        List<FlashKernel> ks = kernels();
        assumeTrue(!ks.isEmpty(), "no native attention kernel here");
        FlashKernel saved = ExecutionContext.flashAttention();
        int threads = Parallel.threads();
        try {
            for (FlashKernel k : ks) {
                ExecutionContext.setFlashAttention(k);
                body.accept(k);
            }
        } finally {
            ExecutionContext.setFlashAttention(saved);
            Parallel.setThreads(threads);
        }
    }

    @Property(tries = 40, seed = "2026120701")
    void matchesDoubleReferenceAndScalarOracle(@ForAll @IntRange(min = 1, max = 200) int nq, @ForAll @IntRange(min = 1, max = 300) int nk,
                                               @ForAll @IntRange(min = 1, max = 3) int heads, @ForAll @IntRange(min = 1, max = 72) int d,
                                               @ForAll long seed) {
        if (kernels().isEmpty()) return;
        Problem pr = Problem.random(new SplittableRandom(seed), nq, nk, heads, d, 4);
        FlashKernel saved = ExecutionContext.flashAttention();
        ExecutionContext.setFlashAttention(null);
        float[] outS;
        try {
            outS = pr.run(SC);
        } finally {
            ExecutionContext.setFlashAttention(saved);
        }
        withEachKernel(k -> {
            float[] out = pr.run(V);
            pr.assertMatches(out, VectorAttentionTest.allRows(nq), 2e-5, k.name());
            for (int i = 0; i < out.length; i++)
                if (!Float.isNaN(outS[i])) assertEquals(outS[i], out[i], 4e-5, k.name() + " vs scalar at " + i);
        });
    }

    @Test
    void wanHeadDimAndPeakedScoresAcrossBlocks() {
        SplittableRandom r = new SplittableRandom(5);
        Problem wan = Problem.random(r, 197, 3 * 128 + 37, 2, 128, 2);
        // Large logits whose maximum moves from block to block: the running-max correction must be exact.
        Problem peaked = Problem.random(r, 17, 3 * 128 + 5, 2, 24, 60);
        withEachKernel(k -> {
            wan.assertMatches(wan.run(V), VectorAttentionTest.allRows(197), 2e-5, k.name() + " d=128");
            peaked.assertMatches(peaked.run(V), VectorAttentionTest.allRows(17), 2e-5, k.name() + " peaked");
        });
    }

    @Test
    void thirtyThousandKeysAndQueries() {
        SplittableRandom r = new SplittableRandom(8);
        Problem longKeys = Problem.random(r, 3, 30_001, 1, 16, 2);
        Problem longQueries = Problem.random(r, 30_001, 5, 1, 8, 2);
        withEachKernel(k -> {
            longKeys.assertMatches(longKeys.run(V), VectorAttentionTest.allRows(3), 5e-5, k.name() + " 30 001 keys");
            longQueries.assertMatches(longQueries.run(V), new int[]{0, 1, 95, 96, 12_345, 29_999, 30_000}, 1e-5,
                    k.name() + " 30 001 queries");
        });
    }

    @Test
    void sameBitsForOneAndTwoThreads() {
        SplittableRandom r = new SplittableRandom(12);
        List<Problem> ps = new ArrayList<>();
        for (int[] s : new int[][]{{301, 257, 3, 40}, {1, 500, 2, 64}, {130, 1, 1, 8}, {200, 300, 1, 128}})
            ps.add(Problem.random(r, s[0], s[1], s[2], s[3], 3));
        withEachKernel(k -> {
            for (Problem pr : ps) {
                Parallel.setThreads(1);
                float[] o1 = pr.run(V);
                Parallel.setThreads(2);
                float[] o2 = pr.run(V);
                assertArrayEquals(o1, o2, k.name() + " nq=" + pr.nq() + " nk=" + pr.nk());
            }
        });
    }

    @Test
    void avx2AndAvx512KernelsGiveTheSameBits() {
        // same operations per element in the same order (only the tile shapes differ), so the same bits
        List<FlashKernel> ks = kernels();
        assumeTrue(ks.size() == 2, "needs both kernels (an AVX-512 host)");
        SplittableRandom r = new SplittableRandom(21);
        FlashKernel saved = ExecutionContext.flashAttention();
        try {
            for (int[] s : new int[][]{{1, 1, 1, 1}, {97, 131, 2, 40}, {200, 300, 1, 128}, {5, 1000, 3, 17}}) {
                Problem pr = Problem.random(r, s[0], s[1], s[2], s[3], 4);
                ExecutionContext.setFlashAttention(ks.get(0));
                float[] a = pr.run(V);
                ExecutionContext.setFlashAttention(ks.get(1));
                assertArrayEquals(a, pr.run(V), java.util.Arrays.toString(s));
            }
        } finally {
            ExecutionContext.setFlashAttention(saved);
        }
    }

    @Test
    void negativeScaleFallsBackToTheBlockwiseKernel() {
        // the kernels need scale > 0 (the max of unscaled scores); any other scale takes the Vector API kernel
        Problem pr = Problem.random(new SplittableRandom(3), 40, 70, 2, 16, 2);
        Problem neg = new Problem(pr.nq(), pr.nk(), pr.heads(), pr.d(), pr.qs(), pr.ks(), pr.vs(), pr.os(), pr.q(), pr.k(), pr.v(), -0.7f);
        withEachKernel(k -> neg.assertMatches(neg.run(V), VectorAttentionTest.allRows(40), 2e-5, k.name() + " scale < 0"));
    }

    @Test
    void autoPicksAKernelWhereTheLibraryLoads() {
        assumeTrue(!kernels().isEmpty(), "no native attention kernel here");
        FlashKernel sel = ExecutionContext.flashAttention();
        assertNotNull(sel, "-Dvdq.native=" + ExecutionContext.nativeMode());
    }
}
