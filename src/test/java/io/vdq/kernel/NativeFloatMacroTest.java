package io.vdq.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vdq.kernel.nat.IntKernels;
import io.vdq.kernel.nat.NativeFloatMacro;
import io.vdq.tensor.Parallel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The native FP32 macro-kernel for this JVM's panel width (native-avx2 for NR = 16, native-avx512 for NR = 32) gives
 * VectorGemm exactly the bits of its Vector API micro-kernel: every transpose of sgemm, accumulate (beta 1) or not,
 * edge tiles in both directions, several K blocks (k > KC) and row blocks (m > MC), prepacked weights with bias, 1
 * and 2 threads, and attention. Skipped where the library, or the kernel for this width (avx512f for NR = 32), is
 * missing: the Vector API kernel then runs everywhere. On a host with 512-bit vectors, child JVMs also check the
 * AVX2 kernel at 256-bit vectors and the choice under -Dvdq.cpuinfo and -Dvdq.native.
 */
class NativeFloatMacroTest {
    @Test
    void theKernelFitsThePanelWidth() {
        FloatMacroKernel nat = NativeFloatMacro.loadOrNull(VectorGemm.NR);
        assumeTrue(nat != null, "native FP32 macro-kernel unavailable here");
        assertEquals(VectorGemm.NR, nat.panelWidth());
        assertEquals(VectorGemm.NR == 32 ? "native-avx512" : "native-avx2", nat.name());
        if (IntKernels.nativeAllowed())
            assertEquals("vector+" + nat.name() + " gemm", Kernels.describe(VectorBackend.INSTANCE));
    }

    @Test
    void sameBitsAsTheVectorApiKernel() {
        FloatMacroKernel nat = NativeFloatMacro.loadOrNull(VectorGemm.NR);
        assumeTrue(nat != null, "native FP32 macro-kernel unavailable here");
        sameBitsInGemm(nat, new int[]{1, 2});
    }

    /** Vector API vs {@code nat} for sgemm (every transpose, accumulate or not) and prepacked gemm with bias. */
    static void sameBitsInGemm(FloatMacroKernel nat, int[] threadCounts) {
        FloatMacroKernel saved = VectorGemm.macroKernel();
        int savedThreads = Parallel.threads();
        SplittableRandom r = new SplittableRandom(11);
        try {
            // odd sizes, full and partial panels of 16 and 32 columns, k over 1 to 5 K blocks (KC = 256)
            int[][] shapes = {{1, 1, 1}, {3, 17, 5}, {4, 16, 256}, {7, 33, 300}, {130, 50, 513}, {9, 200, 64},
                    {260, 16, 40}, {8, 64, 257}, {37, 97, 1031}};
            for (int threads : threadCounts) {
                Parallel.setThreads(threads);
                for (int[] sh : shapes) {
                    int m = sh[0], n = sh[1], k = sh[2];
                    for (int t = 0; t < 8; t++) {
                        boolean ta = (t & 1) != 0, tb = (t & 2) != 0, acc = (t & 4) != 0;
                        float[] a = VectorGemmTest.rand(r, m * k), b = VectorGemmTest.rand(r, n * k), c0 = VectorGemmTest.rand(r, m * n);
                        float[] cj = c0.clone(), cn = c0.clone();
                        VectorGemm.setMacroKernel(null);
                        VectorBackend.INSTANCE.sgemm(ta, tb, m, n, k, a, 0, ta ? m : k, b, 0, tb ? k : n, acc ? 1f : 0f, cj, 0, n);
                        VectorGemm.setMacroKernel(nat);
                        VectorBackend.INSTANCE.sgemm(ta, tb, m, n, k, a, 0, ta ? m : k, b, 0, tb ? k : n, acc ? 1f : 0f, cn, 0, n);
                        assertArrayEquals(cj, cn, m + "×" + n + "×" + k + " transA " + ta + " transB " + tb + " accumulate " + acc + ", " + threads + " threads");
                    }
                    float[] x = VectorGemmTest.rand(r, m * k + 2), w = VectorGemmTest.rand(r, n * k), bias = VectorGemmTest.rand(r, n);
                    float[] yj = new float[m * n + 1], yn = new float[m * n + 1];
                    PackedWeights pw = VectorBackend.INSTANCE.pack(w, 0, n, k);
                    VectorGemm.setMacroKernel(null);
                    VectorBackend.INSTANCE.gemm(x, 2, m, pw, bias, yj, 1);
                    VectorGemm.setMacroKernel(nat);
                    VectorBackend.INSTANCE.gemm(x, 2, m, pw, bias, yn, 1);
                    assertArrayEquals(yj, yn, "prepacked " + m + "×" + n + "×" + k);
                    assertEquals(0f, yn[0], "nothing written before the output offset");
                }
            }
        } finally {
            VectorGemm.setMacroKernel(saved);
            Parallel.setThreads(savedThreads);
        }
    }

    /** Attention's Q·Kᵀ and P·V go through the macro-kernel too: same bits, for key tails and head dims not a multiple of 16. */
    @Test
    void attentionSameBitsAsTheVectorApiKernel() {
        FloatMacroKernel nat = NativeFloatMacro.loadOrNull(VectorGemm.NR);
        assumeTrue(nat != null, "native FP32 macro-kernel unavailable here");
        sameBitsInAttention(nat);
    }

    static void sameBitsInAttention(FloatMacroKernel nat) {
        FloatMacroKernel saved = VectorGemm.macroKernel();
        FlashKernel savedFlash = ExecutionContext.flashAttention();
        ExecutionContext.setFlashAttention(null); // the blockwise Vector API attention, whose products use the macro-kernel
        SplittableRandom r = new SplittableRandom(13);
        try {
            // nq, nk, heads, headDim: one key block, a partial second block, several blocks; d = 8, 40, 64, 128
            int[][] shapes = {{1, 1, 1, 8}, {33, 129, 2, 40}, {70, 300, 3, 64}, {32, 256, 1, 128}, {5, 1000, 2, 16}};
            for (int[] sh : shapes) {
                int nq = sh[0], nk = sh[1], h = sh[2], d = sh[3], w = h * d;
                float[] q = VectorGemmTest.rand(r, nq * w), k = VectorGemmTest.rand(r, nk * w), v = VectorGemmTest.rand(r, nk * w);
                float[] oj = new float[nq * w], on = new float[nq * w];
                float scale = (float) (1 / Math.sqrt(d));
                VectorGemm.setMacroKernel(null);
                VectorBackend.INSTANCE.attention(q, 0, w, k, 0, w, v, 0, w, oj, 0, w, nq, nk, h, d, scale);
                VectorGemm.setMacroKernel(nat);
                VectorBackend.INSTANCE.attention(q, 0, w, k, 0, w, v, 0, w, on, 0, w, nq, nk, h, d, scale);
                assertArrayEquals(oj, on, "attention " + java.util.Arrays.toString(sh));
                double sum = 0;
                for (float x : on) sum += Math.abs(x);
                assertEquals(true, sum > 0, "non-zero output " + java.util.Arrays.toString(sh));
            }
        } finally {
            VectorGemm.setMacroKernel(saved);
            ExecutionContext.setFlashAttention(savedFlash);
        }
    }

    /**
     * On a host with 512-bit vectors and the AVX-512 kernel, child JVMs with other vector widths and CPU flags: a
     * copy of the cpuinfo without the avx512 flags (-Dvdq.cpuinfo) and 256-bit vectors (-XX:MaxVectorSize=32) make
     * an AVX2 host, which gets the AVX2 kernel, with the Vector API's bits; the same cpuinfo with 512-bit vectors gets
     * no native kernel, as does -Dvdq.native=avx2 (the AVX2 kernel cannot take 32-column panels).
     */
    @Test
    void otherVectorWidthsAndCpuFlagsInChildJvms(@TempDir Path dir) throws Exception {
        assumeTrue(VectorGemm.NR == 32 && NativeFloatMacro.loadOrNull(32) != null, "needs 512-bit vectors and the AVX-512 kernel");
        String flags = "\\b(avx512\\w*)";
        Path cpuinfo = dir.resolve("cpuinfo");
        StringBuilder b = new StringBuilder();
        for (String line : Files.readAllLines(Path.of(System.getProperty("vdq.cpuinfo", "/proc/cpuinfo"))))
            b.append(line.startsWith("flags") ? line.replaceAll(flags, "") : line).append('\n');
        Files.writeString(cpuinfo, b);
        String noAvx512 = "-Dvdq.cpuinfo=" + cpuinfo;

        String out = child("-XX:MaxVectorSize=32", noAvx512);
        assertTrue(out.contains("vector bits 256, macro native-avx2, describe vector+native-avx2 gemm") && out.contains("same bits"), out);
        out = child(noAvx512);
        assertTrue(out.contains("vector bits 512, macro none, describe vector\n"), out);
        out = child("-Dvdq.native=avx2");
        assertTrue(out.contains("vector bits 512, macro none, describe vector\n"), out);
        out = child();
        assertTrue(out.contains("vector bits 512, macro native-avx512, describe vector+native-avx512 gemm") && out.contains("same bits"), out);
    }

    private static String child(String... flags) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx512m"));
        cmd.addAll(List.of(flags));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), NativeFloatMacroTest.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        boolean done = p.waitFor(180, TimeUnit.SECONDS);
        if (!done) p.destroyForcibly();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(done, "child JVM " + List.of(flags) + " finished: " + out);
        assertEquals(0, p.exitValue(), List.of(flags) + ": " + out);
        return out;
    }

    /** Child-JVM entry: prints the width and the kernel chosen; with a kernel, checks its bits; exit 1 on a mismatch. */
    public static void main(String[] args) {
        FloatMacroKernel nat = VectorGemm.macroKernel();
        System.out.println("vector bits " + VectorGemm.S.vectorBitSize() + ", macro " + (nat == null ? "none" : nat.name())
                + ", describe " + Kernels.describe(VectorBackend.INSTANCE));
        if (nat == null) System.exit(0);
        try {
            sameBitsInGemm(nat, new int[]{1});
            sameBitsInAttention(nat);
        } catch (AssertionError e) {
            System.out.println("MISMATCH: " + e.getMessage());
            System.exit(1);
        }
        System.out.println("same bits");
        System.exit(0);
    }
}
