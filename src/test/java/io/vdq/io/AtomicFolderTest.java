package io.vdq.io;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException;
import io.vdq.VdqException.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFolderTest {
    @TempDir Path dir;

    @AfterEach void noHook() { AtomicFolder.testHook(null); }

    private List<String> siblings() throws IOException {
        try (var s = Files.list(dir)) { return s.map(p -> p.getFileName().toString()).sorted().toList(); }
    }

    private Path oldRun() throws IOException {
        Path run = Files.createDirectories(dir.resolve("run"));
        Files.writeString(run.resolve("run.json"), "old");
        Files.writeString(run.resolve("latents.safetensors"), "old latents");
        return run;
    }

    @Test void replacesAnEarlierOutputOnlyWhenComplete() throws Exception {
        Path run = oldRun();
        AtomicFolder.write(run, "run.json", "--out", d -> {
            Files.writeString(d.resolve("run.json"), "new");
            Files.createDirectories(d.resolve("frames"));
            Files.writeString(d.resolve("frames/0000.png"), "png");
        });
        assertEquals("new", Files.readString(run.resolve("run.json")));
        assertFalse(Files.exists(run.resolve("latents.safetensors")), "nothing of the old run is left beside the new one");
        assertTrue(Files.exists(run.resolve("frames/0000.png")));
        assertEquals(List.of("run"), siblings());
    }

    @Test void aFailureMidWriteLeavesTheOldFolderAndNoTemporaryFolder() throws Exception {
        Path run = oldRun();
        var e = assertThrows(IllegalStateException.class, () -> AtomicFolder.write(run, "run.json", "--out", d -> {
            Files.writeString(d.resolve("latents.safetensors"), "new latents");
            throw new IllegalStateException("disk full, say");
        }));
        assertEquals("disk full, say", e.getMessage());
        assertEquals("old", Files.readString(run.resolve("run.json")));
        assertEquals("old latents", Files.readString(run.resolve("latents.safetensors")));
        assertEquals(List.of("run"), siblings());
    }

    @Test void aFailureJustBeforeTheRenameLeavesTheOldFolder() throws Exception {
        Path run = oldRun();
        AtomicFolder.testHook(() -> { throw new VdqException("killed"); });
        assertThrows(VdqException.class, () -> AtomicFolder.write(run, "run.json", "--out",
                d -> Files.writeString(d.resolve("run.json"), "new")));
        assertEquals("old", Files.readString(run.resolve("run.json")));
        assertEquals(List.of("run"), siblings());
    }

    @Test void createsANewFolder() throws Exception {
        Path out = dir.resolve("a/b");
        AtomicFolder.write(out, "run.json", "--out", d -> Files.writeString(d.resolve("run.json"), "x"));
        assertEquals("x", Files.readString(out.resolve("run.json")));
        try (var s = Files.list(dir.resolve("a"))) { assertEquals(1, s.count()); }
    }

    @Test void refusesToReplaceAFolderOfOtherFiles() throws Exception {
        Path home = Files.createDirectories(dir.resolve("home"));
        Files.writeString(home.resolve("thesis.tex"), "precious");
        var e = assertThrows(ConfigException.class, () -> AtomicFolder.write(home, "run.json", "--out", d -> fail("body ran")));
        assertTrue(e.getMessage().startsWith("--out " + home + ": a folder of other files (no run.json)"), e.getMessage());
        assertEquals("precious", Files.readString(home.resolve("thesis.tex")));
        Path file = Files.writeString(dir.resolve("f"), "x");
        assertThrows(ConfigException.class, () -> AtomicFolder.checkReplaceable(file, "run.json", "--out"));
        AtomicFolder.checkReplaceable(Files.createDirectories(dir.resolve("empty")), "run.json", "--out");
    }

    @Test void deletingTheOldFolderNeverFollowsLinks() throws Exception {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("keep"), "keep");
        Path run = oldRun();
        Files.createSymbolicLink(run.resolve("link"), outside);
        AtomicFolder.write(run, "run.json", "--out", d -> Files.writeString(d.resolve("run.json"), "new"));
        assertEquals("keep", Files.readString(outside.resolve("keep")));
    }
}
