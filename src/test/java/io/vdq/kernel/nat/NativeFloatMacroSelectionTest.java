package io.vdq.kernel.nat;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ConfigException;
import io.vdq.kernel.FloatMacroKernel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which native FP32 macro-kernel {@code -Dvdq.native} selects for a panel width (16: 256-bit vectors, 32: 512-bit);
 * runs with or without the library and on any CPU, checking against what this host reports.
 */
class NativeFloatMacroSelectionTest {

    @Test
    void offAndUnfittingWidthsSelectNone() {
        for (int w : new int[]{8, 16, 32}) {
            assertNull(NativeFloatMacro.select("off", w));
            assertNull(NativeFloatMacro.select(" OFF ", w));
        }
        assertNull(NativeFloatMacro.select("auto", 8));
        assertNull(NativeFloatMacro.select("avx2", 32), "the AVX2 kernel cannot take 32-column panels");
        ConfigException e = assertThrows(ConfigException.class, () -> NativeFloatMacro.select("on", 8));
        assertTrue(e.getMessage().contains("8-column panels"), e.getMessage());
    }

    @Test
    void rejectsAnUnknownMode() {
        ConfigException e = assertThrows(ConfigException.class, () -> NativeFloatMacro.select("fast", 32));
        assertTrue(e.getMessage().contains("vdq.native='fast'") && e.getMessage().contains("avx512"), e.getMessage());
        assertNull(NativeFloatMacro.loadOrNull("fast", 32), "loadOrNull logs instead of throwing");
    }

    @Test
    void sixteenColumnPanelsGetTheAvx2KernelWhenTheLibraryLoads() {
        for (String mode : new String[]{"auto", "on", "avx2", "avx512"}) {
            if (NativeLibrary.available()) {
                FloatMacroKernel k = NativeFloatMacro.select(mode, 16);
                assertEquals("native-avx2", k.name(), mode);
                assertEquals(16, k.panelWidth());
            } else if (mode.equals("auto")) {
                assertNull(NativeFloatMacro.select(mode, 16));
            } else {
                ConfigException e = assertThrows(ConfigException.class, () -> NativeFloatMacro.select(mode, 16));
                assertTrue(e.getMessage().contains("vdq.native=" + mode) && e.getMessage().contains("cannot run"), e.getMessage());
            }
        }
    }

    @Test
    void thirtyTwoColumnPanelsGetTheAvx512KernelExactlyWhenTheCpuAndLibraryHaveIt() {
        String why = NativeLibrary.available() ? NativeLibrary.get().sgemmAvx512Unavailable() : NativeLibrary.unavailableReason();
        for (String mode : new String[]{"auto", "on", "AVX512"}) {
            if (why == null) {
                FloatMacroKernel k = NativeFloatMacro.select(mode, 32);
                assertEquals("native-avx512", k.name(), mode);
                assertEquals(32, k.panelWidth());
            } else if (mode.equals("auto")) {
                assertNull(NativeFloatMacro.select(mode, 32));
            } else {
                ConfigException e = assertThrows(ConfigException.class, () -> NativeFloatMacro.select(mode, 32));
                assertTrue(e.getMessage().contains(why) && e.getMessage().contains("32-column panels"), e.getMessage());
                assertNull(NativeFloatMacro.loadOrNull(mode, 32));
            }
        }
    }

    @Test
    void theAvx512KernelNeedsOnlyAvx512f(@TempDir Path dir) throws Exception {
        String[][] cases = {{"fpu sse2 avx avx2 fma bmi2", "avx512f"}, {"avx2 fma avx512f", null},
                {"avx2 fma avx512f avx512bw avx512vl avx512_vnni", null}, {"avx2 fma avx512bw avx512vl avx_vnni", "avx512f"}};
        for (String[] c : cases) {
            Path f = dir.resolve("cpuinfo");
            Files.writeString(f, "processor\t: 0\nflags\t\t: " + c[0] + "\n");
            assertEquals(c[1], NativeLibrary.missingFlag(NativeLibrary.cpuFlags(f), NativeLibrary.AVX512F_FLAGS), c[0]);
        }
    }
}
