package io.vdq.kernel.nat;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vdq.VdqException.ConfigException;
import io.vdq.kernel.JavaIntBackend;
import io.vdq.kernel.nat.NativeIntBackend.Isa;
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
        assertTrue(e.getMessage().contains("vdq.native='fast'") && e.getMessage().contains("avx512"), e.getMessage());
    }

    @Test
    void autoAndOnPreferAvx512VnniWhenTheCpuAndLibraryHaveIt() {
        assumeTrue(NativeLibrary.available(), () -> "native library unavailable: " + NativeLibrary.unavailableReason());
        NativeLibrary lib = NativeLibrary.get();
        Isa best = lib.avx512Unavailable() == null ? Isa.AVX512_VNNI : Isa.AVX2;
        for (String mode : new String[]{"auto", "on", " ON "}) {
            NativeIntBackend b = assertInstanceOf(NativeIntBackend.class, IntKernels.select(mode));
            assertEquals(best, b.isa(), mode);
        }
        String d = IntKernels.describe(IntKernels.select("auto"));
        assertTrue(d.startsWith(best == Isa.AVX512_VNNI ? "native AVX-512 VNNI (" : "native AVX2 ("), d);
    }

    @Test
    void explicitInstructionSetsAreHonouredOrRefusedNamingTheMissingFlag() {
        assumeTrue(NativeLibrary.available(), () -> "native library unavailable: " + NativeLibrary.unavailableReason());
        NativeIntBackend avx2 = assertInstanceOf(NativeIntBackend.class, IntKernels.select("avx2"));
        assertEquals(Isa.AVX2, avx2.isa());
        assertEquals("native-avx2", avx2.name());
        assertTrue(IntKernels.describe(avx2).startsWith("native AVX2 ("), IntKernels.describe(avx2));
        String why = NativeLibrary.get().avx512Unavailable();
        if (why == null) {
            NativeIntBackend b = assertInstanceOf(NativeIntBackend.class, IntKernels.select("AVX512"));
            assertEquals(Isa.AVX512_VNNI, b.isa());
            assertEquals("native-avx512vnni", b.name());
            assertTrue(IntKernels.describe(b).startsWith("native AVX-512 VNNI ("), IntKernels.describe(b));
        } else {
            ConfigException e = assertThrows(ConfigException.class, () -> IntKernels.select("avx512"));
            assertTrue(e.getMessage().contains("vdq.native=avx512") && e.getMessage().contains(why), e.getMessage());
        }
    }

    @Test
    void explicitNativeModesFailClearlyWithoutTheLibrary() {
        assumeTrue(!NativeLibrary.available(), "the native library is available here");
        for (String mode : new String[]{"on", "avx2", "avx512"}) {
            ConfigException e = assertThrows(ConfigException.class, () -> IntKernels.select(mode));
            assertTrue(e.getMessage().contains("vdq.native=" + mode) && e.getMessage().contains("unavailable"), e.getMessage());
        }
    }

    @Test
    void avx512NeedsEveryFlagAndNamesTheFirstMissingOne(@TempDir Path dir) throws Exception {
        String zen3 = "fpu sse2 avx avx2 fma bmi2";
        String noVnni = zen3 + " avx512f avx512dq avx512bw avx512vl avx512cd";
        String full = noVnni + " avx512_vnni avx512_bf16";
        String[][] cases = {{zen3, "avx512f"}, {noVnni, "avx512_vnni"}, {"avx2 fma avx512f avx512_vnni avx512vl", "avx512bw"},
                {full, null}, {"avx2 fma avx_vnni avx512f avx512bw avx512vl", "avx512_vnni"}};
        for (String[] c : cases) {
            Path f = dir.resolve("cpuinfo");
            Files.writeString(f, "processor\t: 0\nflags\t\t: " + c[0] + "\n");
            assertEquals(c[1], NativeLibrary.missingFlag(NativeLibrary.cpuFlags(f), NativeLibrary.AVX512_FLAGS), c[0]);
        }
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
