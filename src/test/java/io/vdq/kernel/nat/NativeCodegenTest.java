package io.vdq.kernel.nat;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs src/main/c/check-spills.sh on the built library: the register-tiled inner loops of the AVX2 and (when the
 * library has them) AVX-512 VNNI integer kernels, and of the AVX2 and (when built) AVX-512 FP32 macro-kernels, must
 * not touch the stack, nor may the flash-attention tiles and softmax loops (a spill there halves the kernel's speed,
 * measured when the kernels were written). Only disassembles, so the AVX-512 loops are checked on any CPU. Skipped without the
 * library, a file-system copy of it, objdump or perl.
 */
class NativeCodegenTest {

    @Test
    void hotLoopsHaveNoStackAccesses() throws Exception {
        assumeTrue(IntKernels.nativeAllowed(), "vdq.native=off");
        assumeTrue(NativeLibrary.available(), "native library unavailable");
        Path lib = NativeLibrary.get().path(), script = Path.of("src/main/c/check-spills.sh");
        assumeTrue(Files.isRegularFile(script), "check-spills.sh not found from " + Path.of("").toAbsolutePath());
        for (String tool : new String[]{"objdump", "perl"})
            assumeTrue(new ProcessBuilder("sh", "-c", "command -v " + tool).start().waitFor() == 0, tool + " missing");
        Process p = new ProcessBuilder("bash", script.toString(), lib.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        // AVX2: a 4-row tile and its 1..3-row edges; AVX-512 (when built): 1..8 rows, each with 2 and 1 panels
        assertTrue(hotLoops(out, "vdq_gemm_w8a8_avx2") >= 4 && hotLoops(out, "vdq_gemm_w4_avx2") >= 4,
                "expected the 4 row variants of both AVX2 kernels, got:\n" + out);
        if (NativeLibrary.get().gemmW8A8Avx512 != null)
            assertTrue(hotLoops(out, "vdq_gemm_w8a8_avx512") >= 8 && hotLoops(out, "vdq_gemm_w4_avx512") >= 8,
                    "expected the 8 row variants of both AVX-512 kernels, got:\n" + out);
        // FP32 macro-kernels: the 4-row tile inlined twice (full tiles and the scratch edge tile), 8 FMAs per k step
        assertTrue(fmaLoops(out, "vdq_sgemm_macro") >= 2, "expected the AVX2 FP32 tile loops, got:\n" + out);
        if (NativeLibrary.get().sgemmMacroAvx512 != null)
            assertTrue(fmaLoops(out, "vdq_sgemm_macro_avx512") >= 2, "expected the AVX-512 FP32 tile loops, got:\n" + out);
        // flash attention (attention_impl.h): the S and P.V tiles, 4 x 24 (12 FMAs per step) in AVX2, 8 x 48 (24) in
        // AVX-512, and the int16 variant's 2-row vpmaddwd tiles
        assertTrue(count(out, "vdq_attn_block_avx2 loop", " 12 vfmadd*ps,") >= 2, "expected the AVX2 attention tiles, got:\n" + out);
        assertTrue(count(out, "vdq_attn_block_q16_avx2 loop", " 6 vpmadd*/vpdpbusd,") >= 4, "expected the int16 attention tiles, got:\n" + out);
        if (NativeLibrary.get().attnBlockAvx512 != null)
            assertTrue(count(out, "vdq_attn_block_avx512 loop", " 24 vfmadd*ps,") >= 2, "expected the AVX-512 attention tiles, got:\n" + out);
    }

    private static long fmaLoops(String report, String function) {
        return report.lines().filter(l -> l.startsWith(function + " loop ") && l.contains(" 8 vfmadd*ps,")).count();
    }

    private static long count(String report, String prefix, String what) {
        return report.lines().filter(l -> l.startsWith(prefix) && l.contains(what)).count();
    }

    private static long hotLoops(String report, String function) {
        return report.lines().filter(l -> l.startsWith(function + " loop ")).count();
    }
}
