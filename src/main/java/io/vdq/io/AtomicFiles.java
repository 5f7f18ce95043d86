package io.vdq.io;

import io.vdq.VdqException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes a file so that it either appears complete or not at all: the content goes to a temporary sibling
 * {@code NAME.tmp-NNNN} (random, created exclusively and opened without following links) in the same folder, is forced to disk, and is renamed over the target. On failure the
 * temporary file is removed and the old target, if any, is left untouched.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes the content through a file channel positioned at 0. */
    @FunctionalInterface
    public interface ChannelBody { void write(FileChannel ch) throws IOException; }

    /** Writes the content through a (buffered by the caller if needed) output stream. */
    @FunctionalInterface
    public interface StreamBody { void write(OutputStream out) throws IOException; }

    public static void write(Path target, ChannelBody body) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, abs.getFileName() + ".tmp-", "");
            usualPermissions(tmp, abs);
            try (FileChannel ch = openTemporary(tmp)) {
                body.write(ch);
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
            syncDirectory(dir);
        } catch (IOException e) {
            throw new VdqException("cannot write " + target + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try { Files.deleteIfExists(tmp); } catch (IOException ignored) { /* best effort */ }
            }
        }
    }

    public static void writeStream(Path target, StreamBody body) {
        write(target, ch -> {
            OutputStream out = Channels.newOutputStream(ch);
            body.write(out);
            out.flush();
        });
    }

    public static void writeBytes(Path target, byte[] bytes) {
        writeStream(target, out -> out.write(bytes));
    }

    /**
     * Opens a temporary file made by {@link Files#createTempFile} (a random name, created exclusively, so never
     * through a link) for writing, again without following a link: a link swapped in after creation is refused.
     */
    static FileChannel openTemporary(Path tmp) throws IOException {
        return FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING,
                LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Gives a temporary file (created 0600 by {@link Files#createTempFile}) the permissions its target should end
     * up with: those of the file it replaces, else rw-r--r-- (what a plain create gives under the usual umask 022),
     * so reports and checkpoints can be read by other users and served. No-op where POSIX permissions do not exist.
     */
    static void usualPermissions(Path tmp, Path target) throws IOException {
        if (!Files.getFileStore(tmp).supportsFileAttributeView(PosixFileAttributeView.class)) return;
        Files.getFileAttributeView(tmp, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setPermissions(Files.exists(target) ? Files.getPosixFilePermissions(target)
                        : PosixFilePermissions.fromString("rw-r--r--"));
    }

    /** Makes the rename durable; not every platform can open a folder, which is harmless. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort
        }
    }
}
