package io.vdq.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Atomic writes leave readable files: rw-r--r-- for a new file, the old file's permissions for a replaced one. */
class AtomicFilesTest {
    @TempDir Path dir;

    @Test
    void newFilesAreWorldReadableAndReplacedFilesKeepTheirPermissions() throws Exception {
        assumeTrue(Files.getFileStore(dir).supportsFileAttributeView(PosixFileAttributeView.class), "no POSIX permissions here");
        Path f = dir.resolve("sub/report.html");
        AtomicFiles.writeBytes(f, new byte[]{1, 2, 3});
        assertArrayEquals(new byte[]{1, 2, 3}, Files.readAllBytes(f));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-rw----"));
        AtomicFiles.writeBytes(f, new byte[]{4});
        assertArrayEquals(new byte[]{4}, Files.readAllBytes(f));
        assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        try (var s = Files.list(f.getParent())) { assertEquals(1, s.count(), "no temporary file left behind"); }
    }

    @Test
    void aTemporaryFileSwappedForALinkIsNotWrittenThrough() throws Exception {
        Path victim = dir.resolve("victim.txt");
        Files.writeString(victim, "precious");
        Path link = dir.resolve("out.bin.tmp-123");
        Files.createSymbolicLink(link, victim);
        org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> AtomicFiles.openTemporary(link).close());
        org.junit.jupiter.api.Assertions.assertEquals("precious", Files.readString(victim));
    }
}
