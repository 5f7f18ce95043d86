package io.vdq.kernel.nat;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ConfigException;
import io.vdq.kernel.JavaIntBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Backend selection; runs with or without the native library. */
class IntKernelsTest {

    @Test
    void offSelectsTheJavaReference() {
        assertSame(JavaIntBackend.INSTANCE, IntKernels.select("off"));
        assertSame(JavaIntBackend.INSTANCE, IntKernels.select(" OFF "));
    }

    @Test
    void autoFallsBackToJavaExactlyWhenTheLibraryIsUnavailable() {
        boolean nativeUsed = IntKernels.select("auto") instanceof NativeIntBackend;
        assertEquals(NativeLibrary.available(), nativeUsed);
        if (!NativeLibrary.available()) {
            ConfigException e = assertThrows(ConfigException.class, () -> IntKernels.select("on"));
            assertTrue(e.getMessage().contains("unavailable"), e.getMessage());
        }
    }

    @Test
    void rejectsAnUnknownMode() {
        ConfigException e = assertThrows(ConfigException.class, () -> IntKernels.select("fast"));
        assertTrue(e.getMessage().contains("vdq.native='fast'"), e.getMessage());
    }

    @Test
    void readsCpuFlagsFromCpuinfo(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("cpuinfo");
        Files.writeString(f, "processor\t: 0\nmodel name\t: X\nflags\t\t: fpu sse2 avx avx2 fma bmi2\n\nprocessor\t: 1\nflags\t: fpu\n");
        Set<String> flags = NativeLibrary.cpuFlags(f);
        assertTrue(flags.containsAll(Set.of("avx2", "fma", "fpu")));
        assertFalse(flags.contains("avx512_vnni"));
        assertEquals(Set.of(), NativeLibrary.cpuFlags(dir.resolve("missing")));
    }
}
