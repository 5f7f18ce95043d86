package io.vdq.io;

import io.vdq.VdqException.ConfigException;
import io.vdq.VdqException;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;

/**
 * Writes a whole output folder so that it appears complete or not at all: the content goes into a temporary
 * sibling {@code NAME.tmp-NNNN} (random, created exclusively), which is renamed to the target once complete. An
 * existing target is first renamed aside to {@code NAME.old-UUID} and deleted only after the new folder is in
 * place; if that rename fails the old folder is moved back. On any failure the temporary folder is removed and
 * the old output, if any, is left as it was (also on Ctrl-C or SIGTERM, through a shutdown hook; only a SIGKILL
 * can leave a {@code NAME.tmp-NNNN} folder behind, never a half-replaced output). An existing target is replaced only when it is empty or holds
 * {@code marker} (the file this kind of output always has), so a mistyped {@code --out} never deletes a folder
 * of other files.
 */
public final class AtomicFolder {
    private AtomicFolder() {}

    /** Writes the content of the folder into {@code dir} (a fresh, empty temporary folder). */
    @FunctionalInterface
    public interface Body { void write(Path dir) throws IOException; }

    /**
     * Refuses ({@link ConfigException} naming {@code flag}) a target that exists and is not a folder, or a non-empty
     * folder without {@code marker}: call before long work, so a bad {@code --out} fails at once.
     */
    public static void checkReplaceable(Path target, String marker, String flag) {
        if (!Files.exists(target)) return;
        if (!Files.isDirectory(target)) throw new ConfigException(flag + " " + target + ": exists and is not a folder");
        if (Files.exists(target.resolve(marker), LinkOption.NOFOLLOW_LINKS)) return;
        try (var s = Files.list(target)) {
            if (s.findAny().isPresent())
                throw new ConfigException(flag + " " + target + ": a folder of other files (no " + marker
                        + "); give a new or empty folder, or an earlier output of this command to replace");
        } catch (IOException e) {
            throw new VdqException("cannot read " + flag + " " + target + ": " + e.getMessage(), e);
        }
    }

    /** Writes the folder {@code target} through {@code body}; see the class comment. Returns {@code target}. */
    public static Path write(Path target, String marker, String flag, Body body) {
        checkReplaceable(target, marker, flag);
        Path abs;
        try {
            abs = Files.exists(target) ? target.toRealPath() : target.toAbsolutePath().normalize(); // a link: its folder
        } catch (IOException e) {
            throw new VdqException("cannot resolve " + flag + " " + target + ": " + e.getMessage(), e);
        }
        Path parent = abs.getParent();
        String name = abs.getFileName().toString();
        Path tmp = null;
        Thread cleanup = null;
        try {
            Files.createDirectories(parent);
            tmp = Files.createTempDirectory(parent, name + ".tmp-");
            Path t = tmp;
            // Ctrl-C or kill (SIGTERM) while writing: remove the half-written folder (SIGKILL cannot be caught)
            cleanup = new Thread(() -> { try { deleteTree(t); } catch (IOException ignored) { /* best effort */ } });
            Runtime.getRuntime().addShutdownHook(cleanup);
            usualPermissions(tmp);
            body.write(tmp);
            if (beforeRename != null) beforeRename.run();
            if (Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
                Path old = parent.resolve(name + ".old-" + UUID.randomUUID());
                move(abs, old);
                try {
                    move(tmp, abs);
                } catch (IOException e) {
                    move(old, abs);   // put the old output back
                    throw e;
                }
                tmp = null;
                deleteTree(old);
            } else {
                move(tmp, abs);
                tmp = null;
            }
        } catch (IOException e) {
            throw new VdqException("cannot write " + flag + " " + target + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try { deleteTree(tmp); } catch (IOException ignored) { /* best effort */ }
            }
            if (cleanup != null) {
                try { Runtime.getRuntime().removeShutdownHook(cleanup); } catch (IllegalStateException ignored) { /* shutting down */ }
            }
        }
        return target;
    }

    /** A test hook run after the body and before the renames (package-private through {@link #testHook}). */
    private static volatile Runnable beforeRename;

    static void testHook(Runnable r) { beforeRename = r; }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }

    /** rwxr-xr-x, as a plain mkdir under umask 022 gives (createTempDirectory makes it 0700). */
    private static void usualPermissions(Path dir) throws IOException {
        if (Files.getFileStore(dir).supportsFileAttributeView(PosixFileAttributeView.class))
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** Deletes a folder and everything in it, never following links (a link is deleted, not its target). */
    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return;
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                Files.delete(f);
                return FileVisitResult.CONTINUE;
            }
            @Override public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) throw e;
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
