package io.vdq.io.gguf;

import io.vdq.VdqException;
import io.vdq.io.AtomicFiles;
import io.vdq.io.TensorDigests;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a GGUF v3 file the way ggml's own parser wants it: key/values in the order given, tensor infos in
 * data order with exactly cumulative offsets (each blob padded with zeros to the alignment), the data section
 * starting at the next multiple of the alignment, tensor names under 64 bytes, at most 4 dims (the one exception,
 * as city96's Wan files do, is a 5-D {@code patch_embedding.weight}, and then no ARRAY key may be present, since
 * stable-diffusion.cpp's fallback reader misparses arrays), and each row a whole number of blocks.
 * {@code general.quantization_version} = 2 is added when a tensor is quantized and the key is absent.
 *
 * <p>Tensor bytes are asked for one tensor at a time while writing, so a caller can stream a large model from a
 * mapped source and hold one encoded tensor at a time. The file goes to a temporary sibling and is renamed when
 * complete ({@link AtomicFiles}).
 */
public final class GgufWriter {
    /** ggml's GGML_MAX_NAME is 64 including the terminating NUL. */
    public static final int MAX_NAME_BYTES = 63;
    /** The only tensor allowed more than 4 dims. */
    public static final String FIVE_D_TENSOR = "patch_embedding.weight";

    /** Supplies a tensor's encoded bytes when the writer reaches it. */
    @FunctionalInterface
    public interface TensorData { MemorySegment bytes(); }

    private record Entry(String name, GgmlType type, long[] ne, long bytes, TensorData data) {}

    private final Map<String, GgufValue> kv = new LinkedHashMap<>();
    private final List<Entry> tensors = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private int alignment = GgufFile.DEFAULT_ALIGNMENT;

    /** Adds a key/value (in order); a key may be given once. */
    public GgufWriter put(String key, GgufValue value) {
        if (key == null || key.isEmpty()) throw new VdqException("GGUF key must not be empty");
        if (key.getBytes(StandardCharsets.UTF_8).length > GgufFile.MAX_KEY_BYTES)
            throw new VdqException("GGUF key '" + key.substring(0, 40) + "…' is longer than " + GgufFile.MAX_KEY_BYTES + " bytes");
        if (kv.putIfAbsent(key, value) != null) throw new VdqException("GGUF key '" + key + "' given twice");
        if (key.equals("general.alignment")) {
            if (value.type() != GgufValue.Type.UINT32 || value.asLong() == 0 || Long.bitCount(value.asLong()) != 1)
                throw new VdqException("general.alignment must be a UINT32 power of two, got " + value.type() + " " + value.display());
            alignment = (int) value.asLong();
        }
        return this;
    }

    /**
     * Adds a tensor of PyTorch shape {@code shape} (written reversed as ggml's ne) whose bytes come later from
     * {@code data}; the bytes must be exactly the type's size for that shape.
     */
    public GgufWriter tensor(String name, GgmlType type, long[] shape, TensorData data) {
        int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (nameBytes == 0 || nameBytes > MAX_NAME_BYTES)
            throw new VdqException("tensor '" + name + "': GGUF names must be 1 to " + MAX_NAME_BYTES + " bytes, got " + nameBytes);
        if (!names.add(name)) throw new VdqException("tensor '" + name + "' added twice");
        if (shape.length < 1 || (shape.length > 4 && !(shape.length == 5 && name.equals(FIVE_D_TENSOR))))
            throw new VdqException("tensor '" + name + "' has " + shape.length + " dims; ggml allows 1 to 4 (5 only for "
                    + FIVE_D_TENSOR + ")");
        long[] ne = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            if (shape[shape.length - 1 - i] < 0) throw new VdqException("tensor '" + name + "' has a negative dim " + Arrays.toString(shape));
            ne[i] = shape[shape.length - 1 - i];
        }
        if (ne[0] % type.blockSize != 0)
            throw new VdqException("tensor '" + name + "' " + Arrays.toString(shape) + ": row length " + ne[0]
                    + " is not a multiple of " + type + "'s block of " + type.blockSize);
        tensors.add(new Entry(name, type, ne, GgufTensor.nbytes(type, ne), data));
        return this;
    }

    /** Convenience for in-memory bytes. */
    public GgufWriter tensor(String name, GgmlType type, long[] shape, byte[] bytes) {
        return tensor(name, type, shape, () -> MemorySegment.ofArray(bytes));
    }

    public int alignment() { return alignment; }

    /**
     * The key holding the SHA-256 (64 lowercase hex digits) of everything after the header: the tensors' bytes and
     * the zero padding between them, as stored. Written over a same-length placeholder once the data is written, so
     * the header never moves; other GGUF readers ignore it as an unknown string key.
     */
    public static final String DATA_SHA256 = "vdq.data_sha256";

    private boolean dataDigest;

    /** Also stores {@link #DATA_SHA256}, computed while the data is written. */
    public GgufWriter withDataDigest() {
        dataDigest = true;
        return this;
    }

    /** Writes the file atomically. */
    public void write(Path out) {
        Map<String, GgufValue> all = new LinkedHashMap<>(kv);
        if (dataDigest) all.put(DATA_SHA256, GgufValue.string("0".repeat(64)));
        if (tensors.stream().anyMatch(t -> t.type.quantized()))
            all.putIfAbsent("general.quantization_version", GgufValue.u32(2));
        boolean fiveD = tensors.stream().anyMatch(t -> t.ne.length > 4);
        if (fiveD) {
            for (var e : all.entrySet())
                if (e.getValue().type() == GgufValue.Type.ARRAY)
                    throw new VdqException("GGUF key '" + e.getKey() + "' is an array, which stable-diffusion.cpp cannot read "
                            + "next to the 5-D " + FIVE_D_TENSOR);
        }
        byte[] header = header(all);
        MessageDigest md = dataDigest ? TensorDigests.sha256() : null;
        AtomicFiles.write(out, ch -> {
            writeFully(ch, ByteBuffer.wrap(header), null);
            long pos = header.length;
            for (Entry t : tensors) {
                MemorySegment s = t.data.bytes();
                if (s.byteSize() != t.bytes)
                    throw new VdqException("tensor '" + t.name + "' " + t.type + ": " + s.byteSize() + " bytes given, "
                            + t.bytes + " expected for ne " + Arrays.toString(t.ne));
                for (long o = 0; o < s.byteSize(); o += 1 << 26)
                    writeFully(ch, s.asSlice(o, Math.min(1 << 26, s.byteSize() - o)).asByteBuffer(), md);
                pos += t.bytes;
                pos = zeros(ch, pos, md);
            }
            if (md != null) {   // the real digest over its same-length placeholder
                all.put(DATA_SHA256, GgufValue.string(TensorDigests.hex(md)));
                byte[] done = header(all);
                if (done.length != header.length)
                    throw new IllegalStateException("GGUF header changed length " + header.length + " -> " + done.length);
                ByteBuffer b = ByteBuffer.wrap(done);
                for (long p = 0; b.hasRemaining(); ) p += ch.write(b, p);
            }
        });
    }

    private long zeros(FileChannel ch, long pos, MessageDigest md) throws IOException {
        long padded = GgufFile.pad(pos, alignment);
        if (padded > pos) writeFully(ch, ByteBuffer.allocate((int) (padded - pos)), md);
        return padded;
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, MessageDigest md) throws IOException {
        if (md != null) md.update(b.duplicate());
        while (b.hasRemaining()) ch.write(b);
    }

    private byte[] header(Map<String, GgufValue> all) {
        Out o = new Out();
        o.u32(GgufFile.MAGIC);
        o.u32(3);
        o.u64(tensors.size());
        o.u64(all.size());
        all.forEach((k, v) -> {
            o.string(k);
            o.u32(v.type().id);
            if (v.type() == GgufValue.Type.ARRAY) {
                o.u32(v.elementType().id);
                List<?> l = (List<?>) v.value();
                o.u64(l.size());
                for (Object x : l) o.scalar(v.elementType(), x);
            } else {
                o.scalar(v.type(), v.value());
            }
        });
        long off = 0;
        for (Entry t : tensors) {
            o.string(t.name);
            o.u32(t.ne.length);
            for (long d : t.ne) o.u64(d);
            o.u32(t.type.id);
            o.u64(off);
            off = GgufFile.pad(off + t.bytes, alignment);
        }
        int len = o.size();
        for (long p = GgufFile.pad(len, alignment); len < p; len++) o.write(0);
        return o.toByteArray();
    }

    private static final class Out extends ByteArrayOutputStream {
        void u32(int v) { for (int i = 0; i < 4; i++) write(v >>> (8 * i)); }

        void u64(long v) { for (int i = 0; i < 8; i++) write((int) (v >>> (8 * i))); }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            write(b, 0, b.length);
        }

        void scalar(GgufValue.Type t, Object v) {
            switch (t) {
                case UINT8, INT8 -> write((int) (long) (Long) v);
                case UINT16, INT16 -> { long x = (Long) v; write((int) x); write((int) (x >> 8)); }
                case UINT32, INT32 -> u32((int) (long) (Long) v);
                case UINT64, INT64 -> u64((Long) v);
                case FLOAT32 -> u32(Float.floatToRawIntBits((Float) v));
                case FLOAT64 -> u64(Double.doubleToRawLongBits((Double) v));
                case BOOL -> write((Boolean) v ? 1 : 0);
                case STRING -> string((String) v);
                case ARRAY -> throw new IllegalArgumentException("array of arrays");
            }
        }
    }

}
