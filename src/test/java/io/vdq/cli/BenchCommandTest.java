package io.vdq.cli;

import io.vdq.quant.QuantMethods;
import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code vdq bench gemm|attention} on tiny sizes: a result line per backend and thread count, clear errors. */
class BenchCommandTest {

    private static String[] runCapturing(String... args) {
        PrintStream old = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = Main.run(args);
        } finally {
            System.setOut(old);
            System.setErr(oldErr);
        }
        return new String[]{Integer.toString(code), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void benchQuantRecipeSuffixesSetTheAttentionOptions() {
        var pv = BenchQuantCommand.recipe("w4a4-minmax:w8a8+attn8pv");
        assertEquals(8, pv.weightBits());
        assertTrue(QuantMethods.attention(pv).equals(new QuantMethods.Int8Attention(true, true)));
        var qk = BenchQuantCommand.recipe("w4a4-minmax+attn8");
        assertEquals(new QuantMethods.Int8Attention(true, false), QuantMethods.attention(qk));
        assertEquals(new QuantMethods.Int8Attention(false, false), QuantMethods.attention(BenchQuantCommand.recipe("w4a4-minmax")));
    }

    @Test
    void attentionBenchPrintsTheThreeKernelsWithTheirErrors() {
        String[] r = runCapturing("bench", "quant", "--attention", "--tokens", "64", "--heads", "2", "--head-dim", "32", "--reps", "1");
        assertEquals("0", r[0], r[2]);
        String row = r[1].lines().filter(l -> l.trim().startsWith("64 ")).findFirst().orElseThrow(() -> new AssertionError(r[1]));
        String[] f = row.trim().split("\\s+");
        assertEquals(9, f.length, row);
        double eQK = Double.parseDouble(f[4]), ePV = Double.parseDouble(f[7]);
        assertTrue(eQK > 0 && eQK < 3e-2 && ePV > eQK && ePV < 6e-2, row);
    }

    @Test
    void gemmPrintsOneCheckedLinePerBackendAndThreadCount() {
        String[] r = runCapturing("bench", "gemm", "--m", "7", "--n", "9", "--k", "13", "--reps", "3",
                "--warmup", "1", "--warmup-seconds", "0", "--threads", "1,2", "--backend", "all");
        assertEquals("0", r[0], r[2]);
        for (String b : new String[]{"vector", "scalar"})
            for (String t : new String[]{"1", "2"})
                assertTrue(r[1].lines().anyMatch(l -> l.matches(b + "\\s+" + t + "\\s+.*")), b + " " + t + " in:\n" + r[1]);
    }

    @Test
    void attentionVariantsPrintOneCheckedLineEachAndTheGemmAnchor() {
        String[] r = runCapturing("bench", "attention", "--tokens", "70", "--heads", "2", "--head-dim", "24", "--reps", "2",
                "--warmup", "1", "--warmup-seconds", "0", "--threads", "1", "--variants", "blockwise,int8-qk", "--gemm", "16,16,16");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].lines().anyMatch(l -> l.matches("fp32-gemm\\s+-\\s+1\\s+.*")), r[1]);
        for (String v : new String[]{"blockwise", "int8-qk"}) {
            String row = r[1].lines().filter(l -> l.startsWith(v + " ")).findFirst().orElseThrow(() -> new AssertionError(r[1]));
            String[] f = row.trim().split("\\s+");
            assertEquals(9, f.length, row);
            double rel = Double.parseDouble(f[8]);
            // float: rounding only; int8 Q·Kᵀ: about 1 % (Int8AttentionTest's bound 2e-2)
            assertTrue(v.equals("blockwise") ? rel < 1e-5 : rel > 1e-4 && rel < 2e-2, row);
        }
        String[] bad = runCapturing("bench", "attention", "--tokens", "8", "--variants", "fast");
        assertEquals("1", bad[0]);
        assertTrue(bad[2].contains("--variants 'fast' unknown"), bad[2]);
        assertEquals(1, bad[2].strip().lines().count(), bad[2]);
    }

    @Test
    void attentionRunsAndUnknownBackendIsAOneLineError() {
        String[] ok = runCapturing("bench", "attention", "--tokens", "33", "--heads", "2", "--head-dim", "12",
                "--reps", "2", "--warmup", "1", "--warmup-seconds", "0", "--threads", "1", "--backend", "vector");
        assertEquals("0", ok[0], ok[2]);
        assertTrue(ok[1].lines().anyMatch(l -> l.startsWith("vector ")), ok[1]);
        String[] bad = runCapturing("bench", "gemm", "--backend", "gpu", "--m", "2", "--n", "2", "--k", "2");
        assertEquals("1", bad[0]);
        assertTrue(bad[2].contains("--backend 'gpu' unknown"), bad[2]);
        assertEquals(1, bad[2].strip().lines().count(), bad[2]);
    }
}
