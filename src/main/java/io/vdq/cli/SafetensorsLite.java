package io.vdq.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vdq.VdqException.CheckpointException;
import io.vdq.io.InMemoryTensorSource;
import io.vdq.tensor.Tensor;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.channels.FileChannel;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A minimal safetensors reader (F32/F16/BF16 → float32; single files or a shard index) and F32 writer for
 * {@code generate} and {@code forward}, kept here until the {@code io} package's memory-mapped reader and writer
 * land; then this class goes away. Every tensor is read into the heap as float32.
 */
final class SafetensorsLite {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsLite() {}

    /** Reads every tensor of one file, or of all shards named by a {@code *.safetensors.index.json}. */
    static InMemoryTensorSource read(Path file) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>();
        if (file.getFileName().toString().endsWith(".index.json")) {
            JsonNode index;
            try {
                index = JSON.readTree(file.toFile());
            } catch (IOException e) {
                throw new CheckpointException(file + ": cannot read shard index: " + e.getMessage(), e);
            }
            JsonNode map = index.path("weight_map");
            if (!map.isObject()) throw new CheckpointException(file + ": no weight_map object in the shard index");
            java.util.Set<String> shards = new java.util.TreeSet<>();
            map.properties().forEach(e -> shards.add(e.getValue().asText()));
            for (String shard : shards) readInto(file.resolveSibling(shard), tensors, meta);
        } else {
            readInto(file, tensors, meta);
        }
        return new InMemoryTensorSource(tensors, meta);
    }

    private static void readInto(Path file, Map<String, Tensor> tensors, Map<String, String> meta) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw new CheckpointException(file + ": too short for a safetensors file (" + size + " bytes)");
            long n = read(ch, 0, 8).getLong();
            if (n <= 0 || n > Math.min(size - 8, 100_000_000L))
                throw new CheckpointException(file + ": header length " + n + " does not fit the file of " + size + " bytes");
            JsonNode header;
            try {
                header = JSON.readTree(StandardCharsets.UTF_8.decode(read(ch, 8, (int) n)).toString());
            } catch (IOException e) {
                throw new CheckpointException(file + ": malformed safetensors header: " + e.getMessage(), e);
            }
            long base = 8 + n;
            for (var e : header.properties()) {
                if (e.getKey().equals("__metadata__")) {
                    e.getValue().properties().forEach(m -> meta.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                JsonNode v = e.getValue();
                String dtype = v.path("dtype").asText();
                int[] shape = new int[v.path("shape").size()];
                long count = 1;
                for (int i = 0; i < shape.length; i++) { shape[i] = v.get("shape").get(i).asInt(); count *= shape[i]; }
                long begin = v.path("data_offsets").path(0).asLong(-1), end = v.path("data_offsets").path(1).asLong(-1);
                int width = switch (dtype) { case "F32" -> 4; case "F16", "BF16" -> 2;
                    default -> throw new CheckpointException(file + ": tensor '" + e.getKey() + "' has dtype " + dtype + ", expected F32, F16 or BF16"); };
                if (begin < 0 || end - begin != count * width || base + end > size || count * width > Integer.MAX_VALUE)
                    throw new CheckpointException(file + ": tensor '" + e.getKey() + "' data_offsets [" + begin + ", " + end
                            + ") do not hold " + count + " × " + dtype + " inside the file");
                ByteBuffer bb = read(ch, base + begin, (int) (end - begin));
                float[] a = new float[(int) count];
                for (int i = 0; i < a.length; i++) {
                    a[i] = switch (dtype) {
                        case "F32" -> bb.getFloat(4 * i);
                        case "F16" -> Float.float16ToFloat(bb.getShort(2 * i));
                        default -> Float.intBitsToFloat((bb.getShort(2 * i) & 0xffff) << 16);
                    };
                }
                if (tensors.put(e.getKey(), Tensor.of(a, shape)) != null)
                    throw new CheckpointException(file + ": tensor '" + e.getKey() + "' appears in more than one shard");
            }
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static ByteBuffer read(FileChannel ch, long pos, int len) throws IOException {
        ByteBuffer bb = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
        while (bb.hasRemaining()) {
            if (ch.read(bb, pos + bb.position()) < 0) throw new IOException("unexpected end of file at " + (pos + bb.position()));
        }
        return bb.flip();
    }

    /** Writes F32 tensors, sorted by name, to a temp sibling, then renames it into place. */
    static void write(Path file, Map<String, Tensor> unordered, Map<String, String> metadata) {
        // fixed key order everywhere, so equal inputs give byte-identical files
        Map<String, Tensor> tensors = new java.util.TreeMap<>(unordered);
        Map<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) header.put("__metadata__", new LinkedHashMap<>(metadata));
        long off = 0;
        for (var e : tensors.entrySet()) {
            long bytes = 4L * e.getValue().size();
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", "F32");
            entry.put("shape", e.getValue().shape().dims());
            entry.put("data_offsets", new long[]{off, off + bytes});
            header.put(e.getKey(), entry);
            off += bytes;
        }
        try {
            byte[] h = JSON.writeValueAsBytes(header);
            int pad = (8 - h.length % 8) % 8;
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length + pad);
                out.write(len.array());
                out.write(h);
                for (int i = 0; i < pad; i++) out.write(' ');
                for (Tensor t : tensors.values()) {
                    ByteBuffer buf = ByteBuffer.allocate(4 * t.size()).order(ByteOrder.LITTLE_ENDIAN);
                    buf.asFloatBuffer().put(t.data(), t.offset(), t.size());
                    out.write(buf.array());
                }
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write: " + e.getMessage(), e);
        }
    }
}
