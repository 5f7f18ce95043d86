package io.vdq.kernel.nat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class NativeLibraryCacheTest {
    @TempDir Path dir;

    @Test void reusesTheCachedCopyAcrossLoads() throws Exception {
        byte[] lib = "not really an ELF file, only bytes to cache".getBytes();
        Path first = NativeLibrary.cached(lib, dir.resolve("vdq"));
        long modified = Files.getLastModifiedTime(first).toMillis();
        Path second = NativeLibrary.cached(lib, dir.resolve("vdq"));
        assertEquals(first, second);
        assertEquals(modified, Files.getLastModifiedTime(second).toMillis());
        assertTrue(first.getFileName().toString().matches("libvdqnative-[0-9a-f]{16}\\.so"), first.toString());
        try (var s = Files.list(dir.resolve("vdq"))) { assertEquals(1, s.count(), "no temporary file left"); }
    }

    @Test void reExtractsACorruptedCopy() throws Exception {
        byte[] lib = "library bytes".getBytes();
        Path p = NativeLibrary.cached(lib, dir);
        Files.write(p, "library bytez".getBytes());
        assertEquals(p, NativeLibrary.cached(lib, dir));
        assertArrayEquals(lib, Files.readAllBytes(p));
        Files.write(p, new byte[3]);    // truncated
        NativeLibrary.cached(lib, dir);
        assertArrayEquals(lib, Files.readAllBytes(p));
    }

    @Test void differentBuildsGetDifferentNames() throws Exception {
        assertNotEquals(NativeLibrary.cached("a".getBytes(), dir), NativeLibrary.cached("b".getBytes(), dir));
    }

    @Test void replacesALinkPlantedAtTheCachedName() throws Exception {
        byte[] lib = "library".getBytes();
        Path p = NativeLibrary.cached(lib, dir);
        Files.delete(p);
        Path elsewhere = Files.writeString(dir.resolve("elsewhere"), "library");
        Files.createSymbolicLink(p, elsewhere);
        NativeLibrary.cached(lib, dir);
        assertFalse(Files.isSymbolicLink(p));
        assertArrayEquals(lib, Files.readAllBytes(p));
    }
}
