package io.vdq.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException.CheckpointException;
import io.vdq.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Builds a safetensors file: float tensors encoded as F32, F16, BF16 (round to nearest even), I8, U8 or I32,
 * raw byte or int arrays, and a {@code __metadata__} string map. Output is deterministic (tensors sorted by
 * name, data laid out in that order, the header padded with spaces to a multiple of 8 bytes) and written
 * atomically through {@link AtomicFiles}. Tensors are held by reference and encoded while streaming out.
 */
public final class SafetensorsWriter {
    private static final int CHUNK_ELEMENTS = 1 << 18;
    private static final System.Logger LOG = System.getLogger(SafetensorsWriter.class.getName());

    private record Entry(String name, DType dtype, long[] shape, long bytes, Tensor floats, byte[] raw, int[] ints,
                         MemorySegment segment) {}

    private final SortedMap<String, Entry> entries = new TreeMap<>();
    private final SortedMap<String, String> metadata = new TreeMap<>();
    private boolean digests, requireFinite;

    /**
     * Refuses, before anything is written, a float tensor holding NaN or ±Inf (naming the tensor and the first bad
     * element): a checkpoint must not carry values its reader cannot compute with.
     */
    public SafetensorsWriter requireFinite() {
        requireFinite = true;
        return this;
    }

    /**
     * Also stores the SHA-256 of every tensor's bytes in {@code __metadata__} ({@link TensorDigests}), computed
     * while the data is written; each shard of a sharded write carries the digests of its own tensors.
     */
    public SafetensorsWriter withDigests() {
        digests = true;
        return this;
    }

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public SafetensorsWriter metadata(Map<String, String> m) {
        metadata.putAll(m);
        return this;
    }

    /** Adds a float tensor, stored as F32. */
    public SafetensorsWriter add(String name, Tensor t) { return add(name, t, DType.F32); }

    /** Adds a float tensor stored as {@code dtype}; integer types need integral values in range (checked on write). */
    public SafetensorsWriter add(String name, Tensor t, DType dtype) {
        checkWritable(name, dtype);
        long[] shape = new long[t.rank()];
        for (int i = 0; i < shape.length; i++) shape[i] = t.dim(i);
        return put(new Entry(name, dtype, shape, (long) t.size() * dtype.bytes, t, null, null, null));
    }

    /** Adds every tensor of a map, stored as {@code dtype}. */
    public SafetensorsWriter addAll(Map<String, Tensor> tensors, DType dtype) {
        tensors.forEach((n, t) -> add(n, t, dtype));
        return this;
    }

    /** Adds raw little-endian bytes of {@code dtype} (e.g. I8/U8 codes, packed int4 pairs as U8, F16 bits). */
    public SafetensorsWriter addBytes(String name, DType dtype, long[] shape, byte[] data) {
        checkWritable(name, dtype);
        long n = elements(name, shape);
        if (n * dtype.bytes != data.length)
            throw new CheckpointException("tensor '" + name + "': " + data.length + " bytes given but shape "
                    + Arrays.toString(shape) + " of " + dtype + " needs " + n * dtype.bytes);
        return put(new Entry(name, dtype, shape.clone(), data.length, null, data, null, null));
    }

    /** Adds an I32 tensor. */
    public SafetensorsWriter addInts(String name, long[] shape, int[] data) {
        long n = elements(name, shape);
        if (n != data.length)
            throw new CheckpointException("tensor '" + name + "': " + data.length + " ints given but shape "
                    + Arrays.toString(shape) + " has " + n + " elements");
        return put(new Entry(name, DType.I32, shape.clone(), 4L * data.length, null, null, data, null));
    }

    /**
     * Adds a tensor copied verbatim, in its stored dtype, from {@code src} (e.g. the layers a quantized export
     * keeps in BF16). Its bytes are read while writing, so {@code src} must stay open until then.
     */
    public SafetensorsWriter copy(TensorSource src, String name) { return copy(src, name, name); }

    /** As {@link #copy(TensorSource, String)}, stored under {@code newName}. */
    public SafetensorsWriter copy(TensorSource src, String name, String newName) {
        TensorInfo i = src.info(name);
        checkWritable(newName, i.dtype());
        MemorySegment seg = src.segment(name);
        if (seg.byteSize() != i.elements() * i.dtype().bytes)
            throw new CheckpointException(src.describe() + ": tensor '" + name + "' has " + seg.byteSize() + " bytes, expected "
                    + i.elements() * i.dtype().bytes);
        return put(new Entry(newName, i.dtype(), i.shape(), seg.byteSize(), null, null, null, seg));
    }

    /** Number of tensors added. */
    public int size() { return entries.size(); }

    /** Bytes of tensor data (excluding the header). */
    public long dataBytes() {
        long s = 0;
        for (Entry e : entries.values()) s += e.bytes;
        return s;
    }

    /** The tensors added so far as stream-writer declarations, in file (name) order. */
    public List<SafetensorsStreamWriter.Spec> specs() {
        List<SafetensorsStreamWriter.Spec> out = new ArrayList<>();
        for (Entry e : entries.values()) out.add(new SafetensorsStreamWriter.Spec(e.name, e.dtype, e.shape));
        return out;
    }

    /**
     * Writes every tensor added here into {@code w}, which must have declared each of them with the same dtype and
     * shape ({@link #specs}): the piece-by-piece twin of {@link #write(Path)} for outputs larger than memory (a
     * quantized checkpoint written layer by layer). Metadata and digests are {@code w}'s; {@link #requireFinite}
     * applies.
     */
    public void writeInto(SafetensorsStreamWriter w) {
        if (requireFinite) for (Entry e : entries.values()) checkFinite(e);
        for (Entry e : entries.values()) {
            SafetensorsStreamWriter.Spec declared = w.spec(e.name);
            if (declared == null || declared.dtype() != e.dtype || !Arrays.equals(declared.shape(), e.shape))
                throw new CheckpointException("tensor '" + Printable.name(e.name) + "' (" + e.dtype + " " + Arrays.toString(e.shape)
                        + ") was declared as " + (declared == null ? "nothing" : declared.dtype() + " " + Arrays.toString(declared.shape())));
            try {
                writeData(e, b -> w.write(e.name, b));
            } catch (IOException x) {
                throw new CheckpointException("tensor '" + Printable.name(e.name) + "': " + x.getMessage(), x);
            }
        }
    }

    /** Writes all tensors to {@code file} atomically. */
    public void write(Path file) { write(file, List.copyOf(entries.values())); }

    /**
     * Writes shards {@code BASE-0000i-of-0000n.safetensors} of at most {@code maxShardBytes} data each (a larger
     * tensor gets a shard of its own) and then, as the commit point, {@code BASE.safetensors.index.json}.
     * Returns the index path.
     */
    public Path writeSharded(Path dir, String base, long maxShardBytes) {
        if (maxShardBytes <= 0) throw new CheckpointException("shard size must be positive, got " + maxShardBytes);
        List<List<Entry>> shards = new ArrayList<>();
        List<Entry> cur = new ArrayList<>();
        long curBytes = 0;
        for (Entry e : entries.values()) {
            if (!cur.isEmpty() && curBytes + e.bytes > maxShardBytes) {
                shards.add(cur);
                cur = new ArrayList<>();
                curBytes = 0;
            }
            cur.add(e);
            curBytes += e.bytes;
        }
        if (!cur.isEmpty() || shards.isEmpty()) shards.add(cur);
        ObjectNode index = SafetensorsHeader.JSON.createObjectNode();
        index.putObject("metadata").put("total_size", dataBytes());
        ObjectNode wm = index.putObject("weight_map");
        for (int s = 0; s < shards.size(); s++) {
            String fname = String.format("%s-%05d-of-%05d.safetensors", base, s + 1, shards.size());
            write(dir.resolve(fname), shards.get(s));
            for (Entry e : shards.get(s)) wm.put(e.name, fname);
        }
        Path indexPath = dir.resolve(base + ".safetensors.index.json");
        AtomicFiles.writeBytes(indexPath, (index.toPrettyString() + "\n").getBytes(StandardCharsets.UTF_8));
        return indexPath;
    }

    private void write(Path file, List<Entry> list) {
        try {
            if (requireFinite) for (Entry e : list) checkFinite(e);
            SortedMap<String, String> meta = new TreeMap<>(metadata);
            if (digests) meta.put(TensorDigests.KEY, TensorDigests.placeholder(list.stream().map(Entry::name).toList()));
            byte[] header = header(list, meta);
            AtomicFiles.write(file, ch -> {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
                writeFully(ch, len);
                writeFully(ch, ByteBuffer.wrap(header));
                SortedMap<String, String> sums = new TreeMap<>();
                for (Entry e : list) {
                    MessageDigest md = digests ? TensorDigests.sha256() : null;
                    writeData(ch, e, md);
                    if (md != null) sums.put(e.name, TensorDigests.hex(md));
                }
                if (digests) {   // same length as the placeholder: overwrite it in place
                    meta.put(TensorDigests.KEY, TensorDigests.json(sums));
                    byte[] done = header(list, meta);
                    if (done.length != header.length)
                        throw new IllegalStateException("digest header changed length " + header.length + " -> " + done.length);
                    ByteBuffer b = ByteBuffer.wrap(done);
                    for (long pos = 8; b.hasRemaining(); ) pos += ch.write(b, pos);
                }
            });
        } catch (CheckpointException e) {
            throw new CheckpointException(file + ": " + e.getMessage(), e);
        }
        LOG.log(System.Logger.Level.DEBUG, () -> "wrote " + file + ": " + list.size() + " tensors");
    }

    private static byte[] header(List<Entry> list, SortedMap<String, String> metadata) {
        ObjectNode root = SafetensorsHeader.JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = root.putObject(SafetensorsHeader.METADATA_KEY);
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Entry e : list) {
            ObjectNode t = root.putObject(e.name);
            t.put("dtype", e.dtype.name());
            ArrayNode shape = t.putArray("shape");
            for (long d : e.shape) shape.add(d);
            t.putArray("data_offsets").add(offset).add(offset + e.bytes);
            offset += e.bytes;
        }
        byte[] json;
        try {
            json = SafetensorsHeader.JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new CheckpointException("cannot encode safetensors header: " + e.getMessage(), e);
        }
        int padded = (json.length + 7) & ~7;
        if (padded > SafetensorsHeader.MAX_HEADER_BYTES)
            throw new CheckpointException("safetensors header of " + padded + " bytes exceeds the limit of "
                    + SafetensorsHeader.MAX_HEADER_BYTES);
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    /** Where a tensor's bytes go, in order. */
    private interface Sink { void accept(ByteBuffer b) throws IOException; }

    private static void writeData(FileChannel ch, Entry e, MessageDigest md) throws IOException {
        writeData(e, b -> writeFully(ch, b, md));
    }

    private static void writeData(Entry e, Sink out) throws IOException {
        if (e.raw != null) { out.accept(ByteBuffer.wrap(e.raw)); return; }
        if (e.segment != null) {
            for (long off = 0; off < e.bytes; off += 1 << 20)
                out.accept(e.segment.asSlice(off, Math.min(1 << 20, e.bytes - off)).asByteBuffer());
            return;
        }
        int n = e.floats != null ? e.floats.size() : e.ints.length;
        int size = e.dtype.bytes;
        byte[] buf = new byte[Math.min(n, CHUNK_ELEMENTS) * size];
        MemorySegment seg = MemorySegment.ofArray(buf);
        for (int i = 0; i < n; i += CHUNK_ELEMENTS) {
            int c = Math.min(CHUNK_ELEMENTS, n - i);
            if (e.floats != null)
                TensorCodec.encode("tensor '" + e.name + "'", e.floats.data(), e.floats.offset() + i, c, i, e.dtype, seg);
            else
                MemorySegment.copy(e.ints, i, seg, TensorCodec.I32, 0, c);
            out.accept(ByteBuffer.wrap(buf, 0, c * size));
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException { writeFully(ch, b, null); }

    private static void writeFully(FileChannel ch, ByteBuffer b, MessageDigest md) throws IOException {
        if (md != null) md.update(b.duplicate());
        while (b.hasRemaining()) ch.write(b);
    }

    private SafetensorsWriter put(Entry e) {
        if (e.name.equals(SafetensorsHeader.METADATA_KEY))
            throw new CheckpointException("'" + SafetensorsHeader.METADATA_KEY + "' cannot be a tensor name");
        if (entries.putIfAbsent(e.name, e) != null)
            throw new CheckpointException("tensor '" + e.name + "' added twice");
        return this;
    }

    private static void checkFinite(Entry e) {
        if (e.floats == null) return;
        float[] d = e.floats.data();
        int off = e.floats.offset(), n = e.floats.size();
        for (int i = 0; i < n; i++)
            if (!Float.isFinite(d[off + i]))
                throw new CheckpointException("tensor '" + Printable.name(e.name) + "' element " + i + " is " + d[off + i]
                        + ": refusing to save a non-finite value");
    }

    private static void checkWritable(String name, DType dtype) {
        if (!dtype.writable())
            throw new CheckpointException("tensor '" + name + "': vdq does not write " + dtype
                    + " (writable: F32, F16, BF16, I8, U8, I32)");
    }

    private static long elements(String name, long[] shape) {
        long n = 1;
        try {
            for (long d : shape) {
                if (d < 0) throw new CheckpointException("tensor '" + name + "': negative dimension in shape " + Arrays.toString(shape));
                n = Math.multiplyExact(n, d);
            }
        } catch (ArithmeticException ex) {
            throw new CheckpointException("tensor '" + name + "': shape " + Arrays.toString(shape) + " overflows");
        }
        return n;
    }
}
