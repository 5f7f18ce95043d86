package io.vdq.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException.CheckpointException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Writes a safetensors file whose tensors are produced one at a time, so that a model larger than memory can be
 * written (a synthetic checkpoint, a quantized export). Every tensor's name, dtype and shape is declared up
 * front; the header is written first with the same layout {@link SafetensorsWriter} uses (names sorted, data in
 * that order, header padded with spaces to a multiple of 8). Each tensor's bytes are then appended, in one or
 * more calls, at its own offset: tensors may be filled in any order and from several threads (positional writes),
 * but the bytes of one tensor arrive in order. The file goes to a temporary sibling; {@link #commit} checks that
 * every tensor is complete, forces it to disk and renames it over the target; {@link #close} without commit
 * deletes the temporary file.
 */
public final class SafetensorsStreamWriter implements AutoCloseable {
    private static final int CHUNK_ELEMENTS = 1 << 16;

    /** One declared tensor. */
    public record Spec(String name, DType dtype, long[] shape) {
        public Spec {
            if (name == null || name.isEmpty() || name.equals(SafetensorsHeader.METADATA_KEY))
                throw new CheckpointException("tensor name '" + name + "' is not allowed");
            if (!dtype.writable())
                throw new CheckpointException("tensor '" + name + "': vdq does not write " + dtype + " (writable: F32, F16, BF16, I8, U8, I32)");
            shape = shape.clone();
            for (long d : shape)
                if (d < 0) throw new CheckpointException("tensor '" + name + "': negative dimension in shape " + Arrays.toString(shape));
        }

        public long elements() {
            long n = 1;
            for (long d : shape) n = Math.multiplyExact(n, d);
            return n;
        }

        public long bytes() { return elements() * dtype.bytes; }
    }

    private static final class Slot {
        final Spec spec;
        final long begin;
        final MessageDigest md;   // null without digests
        long written;
        Slot(Spec spec, long begin, boolean digest) {
            this.spec = spec;
            this.begin = begin;
            this.md = digest ? TensorDigests.sha256() : null;
        }
    }

    private final Path target, tmp;
    private final FileChannel ch;
    private final SortedMap<String, Slot> slots = new TreeMap<>();
    private final long dataStart;
    private final SortedMap<String, String> metadata = new TreeMap<>();
    private final SortedMap<String, String> pendingMetadata = new TreeMap<>();
    private final boolean digests;
    private final int headerLength;
    private boolean committed, closed;

    private SafetensorsStreamWriter(Path target, Collection<Spec> specs, Map<String, String> metadata, boolean digests)
            throws IOException {
        this.digests = digests;
        if (metadata != null) this.metadata.putAll(metadata);
        this.target = target.toAbsolutePath();
        long off = 0;
        SortedMap<String, Spec> sorted = new TreeMap<>();
        for (Spec s : specs)
            if (sorted.putIfAbsent(s.name(), s) != null) throw new CheckpointException("tensor '" + s.name() + "' declared twice");
        for (Spec s : sorted.values()) {
            slots.put(s.name(), new Slot(s, off, digests));
            off += s.bytes();
        }
        if (digests) this.metadata.put(TensorDigests.KEY, TensorDigests.placeholder(slots.keySet()));
        byte[] header = header(this.metadata);
        headerLength = header.length;
        dataStart = 8 + header.length;
        Path dir = this.target.getParent();
        Files.createDirectories(dir);
        tmp = Files.createTempFile(dir, this.target.getFileName() + ".tmp-", "");
        FileChannel c = null;
        try {
            AtomicFiles.usualPermissions(tmp, this.target);
            c = AtomicFiles.openTemporary(tmp);
            writeAt(c, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length), 0);
            writeAt(c, ByteBuffer.wrap(header), 8);
        } catch (IOException | RuntimeException e) {
            if (c != null) c.close();
            Files.deleteIfExists(tmp);
            throw e;
        }
        ch = c;
    }

    /** Creates the temporary file next to {@code target} and writes the header. */
    public static SafetensorsStreamWriter create(Path target, Collection<Spec> specs, Map<String, String> metadata) {
        return create(target, specs, metadata, false);
    }

    /**
     * As {@link #create(Path, Collection, Map)}; {@code digests} also stores every tensor's SHA-256 in
     * {@code __metadata__} ({@link TensorDigests}): hashed as the bytes arrive, written over a same-length
     * placeholder at {@link #commit}. With digests, each tensor's bytes must be written in order (they are anyway).
     */
    public static SafetensorsStreamWriter create(Path target, Collection<Spec> specs, Map<String, String> metadata,
                                                 boolean digests) {
        try {
            return new SafetensorsStreamWriter(target, specs, metadata, digests);
        } catch (IOException e) {
            throw new CheckpointException(target + ": cannot start writing: " + e.getMessage(), e);
        }
    }

    /** The declared tensors in file order (sorted by name). */
    public SequencedMap<String, Spec> specs() {
        SequencedMap<String, Spec> m = new LinkedHashMap<>();
        slots.forEach((n, s) -> m.put(n, s.spec));
        return m;
    }

    /** The declaration of tensor {@code name}, or null if it was not declared. */
    public Spec spec(String name) {
        Slot s = slots.get(name);
        return s == null ? null : s.spec;
    }

    /** Appends raw little-endian bytes to tensor {@code name}. */
    public void write(String name, ByteBuffer bytes) {
        Slot s = slot(name);
        long pos;
        int n = bytes.remaining();
        synchronized (s) {
            if (s.written + n > s.spec.bytes())
                throw new CheckpointException(target + ": tensor '" + name + "' would get " + (s.written + n) + " bytes, declared "
                        + s.spec.bytes() + " (" + s.spec.dtype() + " " + Arrays.toString(s.spec.shape()) + ")");
            pos = dataStart + s.begin + s.written;
            if (s.md != null) s.md.update(bytes.duplicate());
            try {
                writeAt(ch, bytes, pos);
            } catch (IOException e) {
                throw new CheckpointException(target + ": cannot write tensor '" + name + "': " + e.getMessage(), e);
            }
            s.written += n;
        }
    }

    /** Appends raw bytes. */
    public void write(String name, byte[] bytes) { write(name, ByteBuffer.wrap(bytes)); }

    /** Appends {@code n} floats of {@code src[off..]}, encoded as the tensor's dtype (round to nearest even). */
    public void writeFloats(String name, float[] src, int off, int n) {
        Spec spec = slot(name).spec;
        byte[] buf = new byte[Math.min(n, CHUNK_ELEMENTS) * spec.dtype().bytes];
        MemorySegment seg = MemorySegment.ofArray(buf);
        for (int i = 0; i < n; i += CHUNK_ELEMENTS) {
            int c = Math.min(CHUNK_ELEMENTS, n - i);
            TensorCodec.encode(target + ": tensor '" + name + "'", src, off + i, c, i, spec.dtype(), seg);
            write(name, ByteBuffer.wrap(buf, 0, c * spec.dtype().bytes));
        }
    }

    /** Appends the bytes of a segment (e.g. a tensor copied verbatim from a mapped checkpoint). */
    public void write(String name, MemorySegment seg) {
        for (long off = 0; off < seg.byteSize(); off += 1 << 20)
            write(name, seg.asSlice(off, Math.min(1 << 20, seg.byteSize() - off)).asByteBuffer());
    }

    /**
     * Sets a metadata value known only once the data is written (e.g. a hash of the input), over the value declared
     * at {@link #create} as a placeholder of the same length: the header, written first, keeps its length.
     */
    public void finalMetadata(String key, String value) {
        String declared = metadata.get(key);
        if (declared == null || declared.length() != value.length() || declared.getBytes(StandardCharsets.UTF_8).length
                != value.getBytes(StandardCharsets.UTF_8).length)
            throw new IllegalArgumentException("metadata '" + key + "': declared " + declared + ", cannot become '" + value + "' (same length required)");
        pendingMetadata.put(key, value);
    }

    /** Checks that every tensor got all its bytes, forces the file to disk and renames it over the target. */
    public void commit() {
        if (closed) throw new CheckpointException(target + ": commit after close");
        for (Slot s : slots.values())
            if (s.written != s.spec.bytes())
                throw new CheckpointException(target + ": tensor '" + s.spec.name() + "' has " + s.written + " of its "
                        + s.spec.bytes() + " bytes; every declared tensor must be written before commit");
        try {
            // values known only now (the digests, finalMetadata) go over their same-length placeholders
            metadata.putAll(pendingMetadata);
            if (digests) {
                SortedMap<String, String> sums = new TreeMap<>();
                for (Slot s : slots.values()) sums.put(s.spec.name(), TensorDigests.hex(s.md));
                metadata.put(TensorDigests.KEY, TensorDigests.json(sums));
            }
            if (digests || !pendingMetadata.isEmpty()) rewriteHeader();
            ch.force(true);
            ch.close();
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new CheckpointException(target + ": cannot finish writing: " + e.getMessage(), e);
        }
        committed = true;
        closed = true;
    }

    private void rewriteHeader() throws IOException {
        byte[] header = header(metadata);
        if (header.length != headerLength)
            throw new IllegalStateException("header changed length " + headerLength + " -> " + header.length);
        writeAt(ch, ByteBuffer.wrap(header), 8);
    }

    /** Without a commit: closes and deletes the temporary file (the target is left as it was). */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            ch.close();
        } catch (IOException ignored) {
            // deleting below is what matters
        }
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
            // best effort
        }
    }

    public boolean committed() { return committed; }

    private Slot slot(String name) {
        if (closed) throw new CheckpointException(target + ": tensor '" + name + "' written after close");
        Slot s = slots.get(name);
        if (s == null) throw new CheckpointException(target + ": tensor '" + name + "' was not declared");
        return s;
    }

    private byte[] header(Map<String, String> metadata) {
        ObjectNode root = SafetensorsHeader.JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = root.putObject(SafetensorsHeader.METADATA_KEY);
            new TreeMap<>(metadata).forEach(m::put);
        }
        for (Slot s : slots.values()) {
            ObjectNode t = root.putObject(s.spec.name());
            t.put("dtype", s.spec.dtype().name());
            ArrayNode shape = t.putArray("shape");
            for (long d : s.spec.shape()) shape.add(d);
            t.putArray("data_offsets").add(s.begin).add(s.begin + s.spec.bytes());
        }
        byte[] json;
        try {
            json = SafetensorsHeader.JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new CheckpointException(target + ": cannot encode safetensors header: " + e.getMessage(), e);
        }
        int padded = (json.length + 7) & ~7;
        if (padded > SafetensorsHeader.MAX_HEADER_BYTES)
            throw new CheckpointException(target + ": safetensors header of " + padded + " bytes exceeds the limit of "
                    + SafetensorsHeader.MAX_HEADER_BYTES);
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    private static void writeAt(FileChannel c, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) pos += c.write(b, pos);
    }
}
