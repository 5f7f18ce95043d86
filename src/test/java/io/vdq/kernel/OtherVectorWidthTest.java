package io.vdq.kernel;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The vector code must be right at every vector width, not only this host's. The preferred species is fixed
 * per JVM, so this test starts a child JVM with {@code -XX:MaxVectorSize=16} (128-bit vectors, 4 lanes, so
 * NR = 8 and the tails differ) and runs {@link #main} there: each op against the scalar oracle.
 */
class OtherVectorWidthTest {

    @Test
    void backendAgreesWithScalarOracleAt128BitVectors() throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "-XX:MaxVectorSize=16",
                "--add-modules=jdk.incubator.vector", "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                OtherVectorWidthTest.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        boolean done = p.waitFor(120, TimeUnit.SECONDS);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!done) p.destroyForcibly();
        assertTrue(done, "child JVM finished");
        assertTrue(out.contains("vector bits 128"), "child ran with 128-bit vectors: " + out);
        assertEquals(0, p.exitValue(), out);
    }

    /** Child-JVM entry: prints the width, compares every op with the oracle, exits 1 on the first mismatch. */
    public static void main(String[] args) {
        System.out.println("vector bits " + VectorGemm.S.vectorBitSize());
        KernelBackend v = VectorBackend.INSTANCE, s = ScalarBackend.INSTANCE;
        SplittableRandom r = new SplittableRandom(1);
        try {
            for (int[] sh : new int[][]{{1, 1, 1}, {7, 9, 13}, {33, 17, 300}, {130, 8, 5}, {2, 70, 257}}) {
                int m = sh[0], n = sh[1], k = sh[2];
                float[] x = VectorGemmTest.rand(r, m * k), w = VectorGemmTest.rand(r, n * k), b = VectorGemmTest.rand(r, n);
                float[] y = new float[m * n], ys = new float[m * n];
                v.gemm(x, 0, m, v.pack(w, 0, n, k), b, y, 0);
                s.gemm(x, 0, m, s.pack(w, 0, n, k), b, ys, 0);
                close(ys, y, 1e-4f, "gemm " + m + "x" + n + "x" + k);
                for (int t = 0; t < 4; t++) {
                    boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                    float[] c = VectorGemmTest.rand(new SplittableRandom(t), m * n), cs = c.clone();
                    v.sgemm(ta, tb, m, n, k, x, 0, ta ? m : k, w, 0, tb ? k : n, 0.5f, c, 0, n);
                    s.sgemm(ta, tb, m, n, k, x, 0, ta ? m : k, w, 0, tb ? k : n, 0.5f, cs, 0, n);
                    close(cs, c, 1e-4f, "sgemm trans " + ta + "," + tb);
                }
            }
            int rows = 3, dim = 29;
            float[] x = VectorOpsTest.spread(r, rows * dim, 5), g = VectorGemmTest.rand(r, dim), bb = VectorGemmTest.rand(r, dim);
            float[] a1 = x.clone(), a2 = x.clone();
            v.softmax(a1, 0, rows, dim); s.softmax(a2, 0, rows, dim); close(a2, a1, 1e-5f, "softmax");
            byte[] q1 = new byte[rows * 32], q2 = new byte[rows * 32];
            float[] sc1 = new float[rows], sc2 = new float[rows];
            int[] cs1 = new int[rows], cs2 = new int[rows];
            v.softmaxInt8(x, 0, rows, dim, q1, 32, sc1, cs1); s.softmaxInt8(x, 0, rows, dim, q2, 32, sc2, cs2);
            for (int i = 0; i < rows; i++) { sc1[i] = 1 / sc1[i]; sc2[i] = 1 / sc2[i]; } // 127·Σe, relative check
            close(sc2, sc1, 1e-5f, "softmaxInt8 scales");
            for (int i = 0; i < q1.length; i++)
                if (Math.abs(q1[i] - q2[i]) > 1) throw new AssertionError("softmaxInt8 code " + i + ": " + q1[i] + " vs " + q2[i]);
            a1 = new float[x.length]; a2 = new float[x.length];
            v.layerNorm(x, 0, a1, 0, rows, dim, g, bb, 1e-5f); s.layerNorm(x, 0, a2, 0, rows, dim, g, bb, 1e-5f); close(a2, a1, 1e-4f, "layerNorm");
            v.rmsNorm(x, 0, a1, 0, rows, dim, g, 1e-5f); s.rmsNorm(x, 0, a2, 0, rows, dim, g, 1e-5f); close(a2, a1, 1e-4f, "rmsNorm");
            a1 = x.clone(); a2 = x.clone(); v.geluTanh(a1, 0, a1.length); s.geluTanh(a2, 0, a2.length); close(a2, a1, 1e-5f, "gelu");
            float[] gd = VectorGemmTest.rand(r, x.length);
            a1 = new float[x.length]; a2 = new float[x.length];
            v.geluTanhBackward(x, gd, a1, x.length); s.geluTanhBackward(x, gd, a2, x.length); close(a2, a1, 1e-5f, "gelu backward");
            a1 = x.clone(); a2 = x.clone(); v.silu(a1, 0, a1.length); s.silu(a2, 0, a2.length); close(a2, a1, 1e-5f, "silu");
            float[] cs = VectorGemmTest.rand(r, 3 * 7), sn = VectorGemmTest.rand(r, 3 * 7);
            a1 = x.clone(); a2 = x.clone();
            v.rope(a1, 0, 3, 2, 14, dim, cs, sn); s.rope(a2, 0, 3, 2, 14, dim, cs, sn); close(a2, a1, 0f, "rope");
            for (int[] sh : new int[][]{{5, 9, 2, 12}, {45, 150, 1, 20}, {1, 3, 3, 7}}) {
                int nq = sh[0], nk = sh[1], h = sh[2], d = sh[3], wd = h * d;
                float[] q = VectorGemmTest.rand(r, nq * wd), k = VectorGemmTest.rand(r, nk * wd), vv = VectorGemmTest.rand(r, nk * wd);
                float[] o1 = new float[nq * wd], o2 = new float[nq * wd];
                v.attention(q, 0, wd, k, 0, wd, vv, 0, wd, o1, 0, wd, nq, nk, h, d, 0.3f);
                s.attention(q, 0, wd, k, 0, wd, vv, 0, wd, o2, 0, wd, nq, nk, h, d, 0.3f);
                close(o2, o1, 2e-5f, "attention " + java.util.Arrays.toString(sh));
            }
        } catch (AssertionError e) {
            System.out.println("MISMATCH: " + e.getMessage());
            System.exit(1);
        }
        System.out.println("all ops agree");
        System.exit(0);
    }

    private static void close(float[] expected, float[] got, float tol, String what) {
        for (int i = 0; i < expected.length; i++)
            if (!(Math.abs(expected[i] - got[i]) <= tol * (1 + Math.abs(expected[i]))))
                throw new AssertionError(what + " at " + i + ": expected " + expected[i] + ", got " + got[i]);
    }
}
