package io.vdq.io;

import io.vdq.VdqException.CheckpointException;
import io.vdq.VdqException.ShapeException;
import io.vdq.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * One safetensors file, memory-mapped read-only as a single {@link MemorySegment} (no 2 GB limit). The
 * header is validated when the file is opened; tensors are slices of the mapping, decoded on demand.
 * Closing unmaps the file; segments handed out before become invalid, so close only when no thread still
 * reads from it. Safe for concurrent reads otherwise (the mapping lives in a shared arena).
 */
public final class SafetensorsFile implements TensorSource {
    private static final System.Logger LOG = System.getLogger(SafetensorsFile.class.getName());
    /** Bytes of one positional read of {@link #readFloatStreamed}: the most of the file's data that it holds at once. */
    public static final int STREAM_CHUNK_BYTES = 1 << 22;
    private final String source;
    private final Path path;   // null for an in-memory image
    private final Arena arena;
    private final MemorySegment file;
    private final SafetensorsHeader header;
    private final SortedSet<String> names;
    private volatile boolean closed;

    private SafetensorsFile(String source, Path path, Arena arena, MemorySegment file) {
        this.source = source;
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.header = SafetensorsHeader.read(source, file);
        this.names = Collections.unmodifiableSortedSet(new TreeSet<>(header.tensors().keySet()));
    }

    /** Maps and validates {@code path}; throws {@code CheckpointException} naming the file on any problem. */
    public static SafetensorsFile open(Path path) {
        String source = path.toString();
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            SafetensorsFile f = new SafetensorsFile(source, path, arena, seg);
            LOG.log(System.Logger.Level.DEBUG, () -> "mapped " + source + ": " + f.names.size() + " tensors, " + seg.byteSize() + " bytes");
            return f;
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

    /**
     * A safetensors image held in memory (tests, fuzzing); {@code source} names it in error messages.
     * The bytes are not copied.
     */
    public static SafetensorsFile ofBytes(String source, byte[] bytes) {
        return new SafetensorsFile(source, null, null, MemorySegment.ofArray(bytes).asReadOnly());
    }

    public SafetensorsHeader header() { return header; }

    @Override public SortedSet<String> names() { return names; }

    @Override public TensorInfo info(String name) {
        TensorInfo i = header.tensors().get(name);
        if (i == null) throw new CheckpointException(source + ": no tensor named '" + name + "'");
        return i;
    }

    @Override public boolean contains(String name) { return header.tensors().containsKey(name); }

    @Override public MemorySegment segment(String name) {
        TensorInfo i = info(name);
        if (closed) throw new CheckpointException(source + ": tensor '" + name + "' read after the file was closed");
        return file.asSlice(header.dataStart() + i.begin(), i.bytes()).asReadOnly();
    }

    @Override public Tensor readFloat(String name) {
        TensorInfo i = info(name);
        long n = i.elements();
        if (n > Integer.MAX_VALUE - 16)
            throw new CheckpointException(source + ": tensor '" + name + "' " + i.dtype() + " " + Arrays.toString(i.shape())
                    + " has " + n + " elements, more than one float array holds; use segment()");
        float[] v = TensorCodec.toFloats(segment(name), i.dtype(), (int) n);
        try {
            return Tensor.of(v, shapeInts(i));
        } catch (ShapeException e) {   // e.g. [2^31-1, 0]: empty, but not a shape vdq's tensors can hold
            throw new CheckpointException(source + ": tensor '" + name + "': " + e.getMessage(), e);
        }
    }

    /**
     * The tensor as float32, read from the file with positional reads of at most {@link #STREAM_CHUNK_BYTES}, not
     * through the mapping: the file's pages go to the page cache, not to this process's resident set, so reading a
     * whole 28 GB checkpoint this way keeps the process's memory at one tensor in float plus one chunk.
     */
    @Override public float[] readFloatStreamed(String name) { return readFloatStreamed(name, STREAM_CHUNK_BYTES); }

    /** {@link #readFloatStreamed(String)} through a buffer of at most {@code chunkBytes} (rounded down to whole elements, at least one). */
    float[] readFloatStreamed(String name, int chunkBytes) {
        TensorInfo i = info(name);
        long n = i.elements();
        if (n > Integer.MAX_VALUE - 16)
            throw new CheckpointException(source + ": tensor '" + name + "' " + i.dtype() + " " + Arrays.toString(i.shape())
                    + " has " + n + " elements, more than one float array holds");
        if (closed) throw new CheckpointException(source + ": tensor '" + name + "' read after the file was closed");
        if (path == null) return readFloat(name).toArray();
        int es = i.dtype().bytes, per = Math.max(1, chunkBytes / es);
        float[] out = new float[(int) n];
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min((long) per * es, n * es));
        MemorySegment view = MemorySegment.ofBuffer(buf);
        long pos = header.dataStart() + i.begin();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            for (int done = 0; done < n; ) {
                int k = (int) Math.min(per, n - done);
                buf.clear().limit(k * es);
                while (buf.hasRemaining()) {
                    int r = ch.read(buf, pos + buf.position());
                    if (r < 0) throw new CheckpointException(source + ": tensor '" + name + "': file ends early");
                }
                TensorCodec.toFloats(view, i.dtype(), out, done, k);
                pos += (long) k * es;
                done += k;
            }
        } catch (IOException e) {
            throw new CheckpointException(source + ": cannot read tensor '" + name + "': " + e.getMessage(), e);
        }
        return out;
    }

    private int[] shapeInts(TensorInfo i) {
        long[] s = i.shape();
        int[] d = new int[s.length];
        // Every dimension is <= the element count, which fits an int here (zero-size tensors aside).
        for (int k = 0; k < s.length; k++) {
            if (s[k] > Integer.MAX_VALUE)
                throw new CheckpointException(source + ": tensor '" + i.name() + "' dimension " + s[k] + " exceeds int range");
            d[k] = (int) s[k];
        }
        return d;
    }

    @Override public Map<String, String> metadata() { return header.metadata(); }

    @Override public String describe() { return source; }

    /** Total size of the file in bytes. */
    public long fileSize() { return file.byteSize(); }

    @Override public void close() {
        if (closed) return;
        closed = true;
        if (arena != null) arena.close();
    }
}
