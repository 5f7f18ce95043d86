package io.vdq.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.kernel.nat.IntKernels;
import io.vdq.kernel.nat.NativeIntBackend;
import io.vdq.kernel.nat.NativeLibrary;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchIntCommandTest {

    @Test
    void smallRunReportsEveryKernelAndNativeEqualsTheReference() {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc;
        try {
            System.setOut(new PrintStream(buf, true));
            rc = Main.run("bench", "int", "--m", "9", "--n", "20", "--k", "36", "--reps", "1", "--ref-reps", "1");
        } finally {
            System.setOut(saved);
        }
        String out = buf.toString();
        assertEquals(0, rc, out);
        assertTrue(out.contains("W8A8 Java integer reference"), out);
        assertTrue(out.contains("FP32 Kernels.get().gemm"), out);
        if (NativeLibrary.available() && IntKernels.nativeAllowed()) {
            // every instruction set this host runs, each bit-identical to the Java reference and to AVX2
            List<NativeIntBackend> natives = NativeIntBackend.everyUsable();
            for (NativeIntBackend nb : natives)
                for (String kind : new String[]{"W8A8", "W4A8", "W4A4"})
                    assertTrue(out.contains(kind + " " + nb.isa().label() + " (gemm)"), out);
            assertEquals(2 * natives.size(), out.lines().filter(l -> l.contains("vs Java reference: bit-identical")).count(), out);
            assertEquals(3 * (natives.size() - 1), out.lines().filter(l -> l.contains("vs native AVX2: bit-identical")).count(), out);
            assertFalse(out.contains("mismatches"), out);
            assertTrue(out.contains("ratios of GOP/cpu-s within this run"), out);
            if (natives.size() == 1) assertTrue(out.contains("AVX-512 VNNI kernels skipped: "), out);
        } else {
            assertTrue(out.contains("native kernels skipped"), out);
        }
    }

    @Test
    void rejectsNonPositiveSizes() {
        assertNotEquals(0, Main.run("bench", "int", "--m", "0"));
    }
}
