package io.vdq.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.kernel.nat.IntKernels;
import io.vdq.kernel.nat.NativeLibrary;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
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
            assertTrue(out.contains("W4A4 native AVX2"), out);
            assertEquals(2, out.lines().filter(l -> l.contains("native vs Java reference: bit-identical")).count(), out);
        } else {
            assertTrue(out.contains("native kernels skipped"), out);
        }
    }

    @Test
    void rejectsNonPositiveSizes() {
        assertNotEquals(0, Main.run("bench", "int", "--m", "0"));
    }
}
