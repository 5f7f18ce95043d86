package io.vdq.kernel.nat;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs src/main/c/check-spills.sh on the built library: the register-tiled inner loops must not touch the
 * stack (a spill there halves the kernel's speed, cpu-kernels.md §4.5). Skipped without the library, a
 * file-system copy of it, objdump or perl.
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
        long hot = out.lines().filter(l -> l.contains(" loop ")).count();
        assertTrue(hot >= 8, "expected the 4 row variants of both kernels, got:\n" + out);
    }
}
