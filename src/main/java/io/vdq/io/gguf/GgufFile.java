package io.vdq.io.gguf;

import io.vdq.VdqException.CheckpointException;
import io.vdq.VdqException.ShapeException;
import io.vdq.io.DType;
import io.vdq.io.TensorDigests;
import io.vdq.io.TensorInfo;
import io.vdq.io.TensorSource;
import io.vdq.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A GGUF file (version 2 or 3, little-endian), memory-mapped read-only and validated when opened: magic and
 * version, counts bounded by the file size, strings bounded (keys 65 535 bytes, values 1 GiB) and valid UTF-8,
 * known value and tensor types, no arrays of arrays, no duplicate keys or tensor names, {@code general.alignment}
 * a UINT32 power of two, each row a whole number of blocks, offsets aligned, and every tensor inside the file
 * without overlapping another. Any violation throws {@link CheckpointException} naming the file and the key or
 * tensor. Reads of quantized tensors dequantize exactly as ggml does.
 *
 * <p>As a {@link TensorSource}: shapes are PyTorch order (dims reversed); F32/F16/BF16 tensors report their own
 * dtype and {@link #segment} is a zero-copy slice; quantized tensors report {@code F32}, {@link #segment} gives
 * their dequantized float32 bytes, and {@link TensorInfo#bytes()} is the size stored in the file.
 * {@link #tensor} and {@link #raw} give the ggml view. Up to 8 dims are accepted (ggml: 4) because Wan files
 * carry a 5-D patch embedding; tensor names up to 1 024 bytes (ggml: 63; stable-diffusion.cpp: 159).
 */
public final class GgufFile implements TensorSource {
    public static final int MAX_KEY_BYTES = 65_535;
    public static final long MAX_STRING_BYTES = 1L << 30;
    public static final int MAX_NAME_BYTES = 1024;
    public static final int MAX_DIMS = 8;
    /** Bound on the elements of all array keys together (an LLM tokenizer has a few hundred thousand). */
    public static final long MAX_ARRAY_ELEMENTS = 1L << 24;
    public static final int DEFAULT_ALIGNMENT = 32;
    static final int MAGIC = 0x46554747;   // "GGUF" read as little-endian u32

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String source;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final long alignment;
    private final long dataStart;
    private final Map<String, GgufValue> kv;
    private final Map<String, GgufTensor> tensors;
    private final SortedSet<String> names;
    private final Map<String, String> metadata;
    private volatile boolean closed;

    private GgufFile(String source, Arena arena, MemorySegment file) {
        this.source = source;
        this.arena = arena;
        this.file = file;
        Parser p = new Parser(source, file);
        p.parse();
        this.version = p.version;
        this.alignment = p.alignment;
        this.dataStart = p.dataStart;
        this.kv = Collections.unmodifiableMap(p.kv);
        this.tensors = Collections.unmodifiableMap(p.tensors);
        this.names = Collections.unmodifiableSortedSet(new TreeSet<>(p.tensors.keySet()));
        Map<String, String> m = new TreeMap<>();
        p.kv.forEach((k, v) -> m.put(k, v.display()));
        this.metadata = Collections.unmodifiableMap(m);
    }

    /** Maps and validates {@code path}; throws {@code CheckpointException} naming the file on any problem. */
    public static GgufFile open(Path path) {
        String source = path.toString();
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return new GgufFile(source, arena, seg);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new CheckpointException(source + ": no such file", e);
        } catch (IOException e) {
            arena.close();
            throw new CheckpointException(source + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** A GGUF image held in memory (tests, fuzzing); not copied. */
    public static GgufFile ofBytes(String source, byte[] bytes) {
        return new GgufFile(source, null, MemorySegment.ofArray(bytes).asReadOnly());
    }

    public int version() { return version; }

    public long alignment() { return alignment; }

    /** Absolute file offset of the data section. */
    public long dataStart() { return dataStart; }

    /**
     * Checks {@link GgufWriter#DATA_SHA256} against the SHA-256 of everything after the header, as vdq wrote it.
     * Returns false when the file has no such key (a GGUF from another tool: nothing to check); throws
     * {@code CheckpointException} naming the file when the digest is malformed or does not match.
     */
    public boolean verifyDataDigest() {
        GgufValue v = kv.get(GgufWriter.DATA_SHA256);
        if (v == null) return false;
        if (v.type() != GgufValue.Type.STRING || !v.display().matches("[0-9a-f]{64}"))
            throw new CheckpointException(source + ": key " + GgufWriter.DATA_SHA256 + " must be 64 lowercase hex digits (a SHA-256)");
        MessageDigest md = TensorDigests.sha256();
        for (long o = dataStart; o < file.byteSize(); o += 1 << 24)
            md.update(file.asSlice(o, Math.min(1 << 24, file.byteSize() - o)).asByteBuffer());
        String have = TensorDigests.hex(md);
        if (!have.equals(v.display()))
            throw new CheckpointException(source + ": SHA-256 of the tensor data is " + have + " but " + GgufWriter.DATA_SHA256
                    + " says " + v.display() + " (the file is corrupted or was edited; --no-verify skips this check)");
        return true;
    }

    /** All key/value pairs in file order. */
    public Map<String, GgufValue> kv() { return kv; }

    /** The tensor-info records in file order. */
    public List<GgufTensor> tensors() { return List.copyOf(tensors.values()); }

    public GgufTensor tensor(String name) {
        GgufTensor t = tensors.get(name);
        if (t == null) throw new CheckpointException(source + ": no tensor named " + Parser.q(name));
        return t;
    }

    /** The stored bytes of a tensor (ggml blocks for quantized types), a read-only slice of the mapping. */
    public MemorySegment raw(String name) {
        GgufTensor t = tensor(name);
        if (closed) throw new CheckpointException(source + ": tensor " + Parser.q(name) + " read after the file was closed");
        return file.asSlice(dataStart + t.offset(), t.bytes()).asReadOnly();
    }

    /** {@code general.architecture}, or null when absent or not a string. */
    public String architecture() {
        GgufValue v = kv.get("general.architecture");
        return v != null && v.type() == GgufValue.Type.STRING ? (String) v.value() : null;
    }

    @Override public SortedSet<String> names() { return names; }

    @Override public boolean contains(String name) { return tensors.containsKey(name); }

    @Override public TensorInfo info(String name) {
        GgufTensor t = tensor(name);
        DType d = switch (t.type()) {
            case F16 -> DType.F16;
            case BF16 -> DType.BF16;
            default -> DType.F32;
        };
        return new TensorInfo(name, d, t.shape(), t.offset(), t.offset() + t.bytes());
    }

    @Override public MemorySegment segment(String name) {
        GgufTensor t = tensor(name);
        if (!t.type().quantized()) return raw(name);
        return TensorSource.super.segment(name);
    }

    @Override public Tensor readFloat(String name) {
        GgufTensor t = tensor(name);
        long n = t.elements();
        if (n > Integer.MAX_VALUE - 16)
            throw new CheckpointException(source + ": tensor " + Parser.q(name) + " " + t.type() + " " + Arrays.toString(t.shape())
                    + " has " + n + " elements, more than one float array holds");
        long[] s = t.shape();
        int[] dims = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            if (s[i] > Integer.MAX_VALUE)
                throw new CheckpointException(source + ": tensor " + Parser.q(name) + " dimension " + s[i] + " exceeds int range");
            dims[i] = (int) s[i];
        }
        float[] v = new float[(int) n];
        GgmlBlocks.decode(t.type(), raw(name), 0, v, 0, (int) n);
        try {
            return Tensor.of(v, dims);
        } catch (ShapeException e) {
            throw new CheckpointException(source + ": tensor " + Parser.q(name) + ": " + e.getMessage(), e);
        }
    }

    @Override public Map<String, String> metadata() { return metadata; }

    @Override public String describe() { return source; }

    public long fileSize() { return file.byteSize(); }

    @Override public void close() {
        if (closed) return;
        closed = true;
        if (arena != null) arena.close();
    }

    /** The header parser; every read is bounds-checked against the file size. */
    private static final class Parser {
        final String source;
        final MemorySegment f;
        final long size;
        long pos;
        int version;
        long alignment = DEFAULT_ALIGNMENT;
        long dataStart;
        final Map<String, GgufValue> kv = new LinkedHashMap<>();
        final Map<String, GgufTensor> tensors = new LinkedHashMap<>();
        long arrayElements;

        Parser(String source, MemorySegment f) {
            this.source = source;
            this.f = f;
            this.size = f.byteSize();
        }

        CheckpointException fail(String what) { return new CheckpointException(source + ": " + what); }

        /** A name as shown in a message: control characters escaped, so the message stays on one line. */
        static String q(String s) {
            StringBuilder b = new StringBuilder(s.length() + 2).append('\'');
            for (int i = 0; i < s.length() && i < 200; i++) {
                char c = s.charAt(i);
                if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x2028 || c == 0x2029) b.append(String.format("\\u%04x", (int) c));
                else b.append(c);
            }
            if (s.length() > 200) b.append("…");
            return b.append('\'').toString();
        }

        void need(long n, String what) {
            if (n < 0 || n > size - pos)
                throw fail("truncated: " + what + " at byte " + pos + " needs " + (n < 0 ? Long.toUnsignedString(n) : n)
                        + " bytes, the file has " + (size - pos) + " left");
        }

        int u32(String what) { need(4, what); int v = f.get(U32, pos); pos += 4; return v; }

        long u64(String what) { need(8, what); long v = f.get(U64, pos); pos += 8; return v; }

        String string(String what, long max) {
            long n = u64(what + " length");
            if (n < 0 || n > max) throw fail(what + " length " + Long.toUnsignedString(n) + " exceeds the limit of " + max + " bytes");
            need(n, what);
            byte[] b = f.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
            pos += n;
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
            } catch (CharacterCodingException e) {
                throw fail(what + " is not valid UTF-8");
            }
        }

        void parse() {
            if (size < 24) throw fail("file of " + size + " bytes is too short for a GGUF header (24 bytes)");
            int magic = u32("magic");
            if (magic != MAGIC)
                throw fail("not a GGUF file: magic bytes " + String.format("%08x", Integer.reverseBytes(magic)) + ", expected 47475546 ('GGUF')");
            version = u32("version");
            if (version != 2 && version != 3)
                throw fail("GGUF version " + Integer.toUnsignedString(version) + " is not supported; expected 2 or 3");
            long nt = u64("tensor count"), nkv = u64("key/value count");
            // each tensor info takes at least 24 bytes, each key/value at least 13
            if (nt < 0 || nt > (size - pos) / 24)
                throw fail("tensor count " + Long.toUnsignedString(nt) + " cannot fit in a file of " + size + " bytes");
            if (nkv < 0 || nkv > (size - pos) / 13)
                throw fail("key/value count " + Long.toUnsignedString(nkv) + " cannot fit in a file of " + size + " bytes");
            for (long i = 0; i < nkv; i++) {
                String key = string("key #" + i, MAX_KEY_BYTES);
                if (key.isEmpty()) throw fail("key #" + i + " is empty");
                if (kv.containsKey(key)) throw fail("duplicate key " + q(key));
                int t = u32("type of key " + q(key));
                GgufValue.Type type = GgufValue.Type.byId(t & 0xffffffffL);
                if (type == null) throw fail("key " + q(key) + " has unknown value type " + Integer.toUnsignedString(t));
                kv.put(key, value(type, key));
            }
            GgufValue al = kv.get("general.alignment");
            if (al != null) {
                if (al.type() != GgufValue.Type.UINT32) throw fail("general.alignment is " + al.type() + ", expected UINT32");
                long a = al.asLong();
                if (a == 0 || Long.bitCount(a) != 1) throw fail("general.alignment " + a + " is not a power of two");
                alignment = a;
            }
            for (long i = 0; i < nt; i++) {
                GgufTensor t = tensorInfo(i);
                if (tensors.putIfAbsent(t.name(), t) != null) throw fail("duplicate tensor " + q(t.name()) + "");
            }
            dataStart = pad(pos, alignment);
            if (!tensors.isEmpty() && dataStart > size)
                throw fail("truncated: the data section would start at byte " + dataStart + ", past the end of the file (" + size + " bytes)");
            long dataSize = Math.max(0, size - dataStart);
            for (GgufTensor t : tensors.values()) {
                if (t.offset() > dataSize || t.bytes() > dataSize - t.offset())
                    throw fail("tensor " + q(t.name()) + " " + t.type() + " " + Arrays.toString(t.shape()) + " at data offset "
                            + t.offset() + " (+" + t.bytes() + " bytes) runs past the end of the file (data section of " + dataSize + " bytes)");
            }
            List<GgufTensor> byOffset = new ArrayList<>(tensors.values());
            byOffset.sort(Comparator.comparingLong(GgufTensor::offset));
            for (int i = 1; i < byOffset.size(); i++) {
                GgufTensor a = byOffset.get(i - 1), b = byOffset.get(i);
                if (b.offset() < a.offset() + a.bytes())
                    throw fail("tensor " + q(b.name()) + " at data offset " + b.offset() + " overlaps tensor " + q(a.name())
                            + " (" + a.offset() + " to " + (a.offset() + a.bytes()) + ")");
            }
        }

        GgufTensor tensorInfo(long i) {
            String name = string("name of tensor #" + i, MAX_NAME_BYTES);
            if (name.isEmpty()) throw fail("tensor #" + i + " has an empty name");
            int nd = u32("dims of tensor " + q(name));
            if (nd < 1 || nd > MAX_DIMS)
                throw fail("tensor " + q(name) + " has " + Integer.toUnsignedString(nd) + " dims, expected 1 to " + MAX_DIMS);
            long[] ne = new long[nd];
            long elements = 1;
            for (int k = 0; k < nd; k++) {
                ne[k] = u64("dim " + k + " of tensor " + q(name));
                if (ne[k] < 0 || ne[k] > (1L << 62))
                    throw fail("tensor " + q(name) + " dim " + k + " = " + Long.toUnsignedString(ne[k]) + " is out of range");
                try {
                    elements = Math.multiplyExact(elements, ne[k]);
                } catch (ArithmeticException e) {
                    throw fail("tensor " + q(name) + " dims " + Arrays.toString(ne) + " overflow the element count");
                }
            }
            int tid = u32("type of tensor " + q(name));
            GgmlType type = GgmlType.byId(tid & 0xffffffffL);
            if (type == null)
                throw fail("tensor " + q(name) + " has ggml type id " + Integer.toUnsignedString(tid)
                        + ", which vdq does not read (it reads " + Arrays.toString(GgmlType.values()) + ")");
            if (ne[0] % type.blockSize != 0)
                throw fail("tensor " + q(name) + " " + type + ": row length ne[0] = " + ne[0] + " is not a multiple of the block size "
                        + type.blockSize);
            long off = u64("offset of tensor " + q(name));
            if (off < 0 || off % alignment != 0)
                throw fail("tensor " + q(name) + " data offset " + Long.toUnsignedString(off) + " is not a multiple of the alignment " + alignment);
            long bytes;
            try {
                bytes = GgufTensor.nbytes(type, ne);
            } catch (ArithmeticException e) {
                throw fail("tensor " + q(name) + " dims " + Arrays.toString(ne) + " overflow the byte count");
            }
            return new GgufTensor(name, type, ne, off, bytes);
        }

        GgufValue value(GgufValue.Type type, String key) {
            if (type == GgufValue.Type.ARRAY) {
                int et = u32("element type of key " + q(key));
                GgufValue.Type e = GgufValue.Type.byId(et & 0xffffffffL);
                if (e == null) throw fail("key " + q(key) + " is an array of unknown type " + Integer.toUnsignedString(et));
                if (e == GgufValue.Type.ARRAY) throw fail("key " + q(key) + " is an array of arrays (ggml refuses them)");
                long n = u64("length of key " + q(key));
                long min = e == GgufValue.Type.STRING ? 8 : e.size;
                if (n < 0 || n > (size - pos) / min)
                    throw fail("key " + q(key) + ": array of " + Long.toUnsignedString(n) + " " + e + " cannot fit in the file");
                arrayElements += n;
                if (arrayElements > MAX_ARRAY_ELEMENTS)
                    throw fail("key " + q(key) + ": arrays hold more than " + MAX_ARRAY_ELEMENTS + " elements in all");
                List<Object> l = new ArrayList<>((int) Math.min(n, 1 << 16));
                for (long i = 0; i < n; i++) l.add(scalar(e, key + "[" + i + "]"));
                return GgufValue.array(e, l);
            }
            return new GgufValue(type, scalar(type, key), null);
        }

        Object scalar(GgufValue.Type t, String key) {
            String what = "value of key " + q(key);
            need(t == GgufValue.Type.STRING ? 8 : t.size, what);
            Object v = switch (t) {
                case UINT8 -> (long) (f.get(ValueLayout.JAVA_BYTE, pos) & 0xff);
                case INT8 -> (long) f.get(ValueLayout.JAVA_BYTE, pos);
                case UINT16 -> (long) (f.get(U16, pos) & 0xffff);
                case INT16 -> (long) f.get(U16, pos);
                case UINT32 -> f.get(U32, pos) & 0xffffffffL;
                case INT32 -> (long) f.get(U32, pos);
                case FLOAT32 -> f.get(F32, pos);
                case UINT64, INT64 -> f.get(U64, pos);
                case FLOAT64 -> f.get(F64, pos);
                case BOOL -> {
                    byte b = f.get(ValueLayout.JAVA_BYTE, pos);
                    if (b != 0 && b != 1) throw fail(what + " is BOOL " + (b & 0xff) + ", expected 0 or 1");
                    yield b == 1;
                }
                case STRING -> string(what, MAX_STRING_BYTES);
                case ARRAY -> throw new IllegalStateException();
            };
            if (t != GgufValue.Type.STRING) pos += t.size;
            return v;
        }
    }

    static long pad(long x, long alignment) {
        long r = x % alignment;
        return r == 0 ? x : x + (alignment - r);
    }
}
