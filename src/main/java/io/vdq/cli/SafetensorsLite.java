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
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A minimal whole-file safetensors reader (F32/F16/BF16 → float32) and F32 writer for {@code generate}, kept
 * here until the {@code io} package's memory-mapped reader and writer land; then this class goes away.
 * Files are read fully into memory, so it suits text embeddings, latents and small models.
 */
final class SafetensorsLite {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsLite() {}

    static InMemoryTensorSource read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (bytes.length < 8) throw new CheckpointException(file + ": too short for a safetensors file (" + bytes.length + " bytes)");
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long n = bb.getLong(0);
        if (n <= 0 || n > bytes.length - 8)
            throw new CheckpointException(file + ": header length " + n + " does not fit the file of " + bytes.length + " bytes");
        JsonNode header;
        try {
            header = JSON.readTree(new String(bytes, 8, (int) n, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new CheckpointException(file + ": malformed safetensors header: " + e.getMessage(), e);
        }
        long base = 8 + n;
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>();
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
            if (begin < 0 || end - begin != count * width || base + end > bytes.length)
                throw new CheckpointException(file + ": tensor '" + e.getKey() + "' data_offsets [" + begin + ", " + end
                        + ") do not hold " + count + " × " + dtype + " inside the file");
            float[] a = new float[(int) count];
            for (int i = 0; i < a.length; i++) {
                int p = (int) (base + begin) + i * width;
                a[i] = switch (dtype) {
                    case "F32" -> bb.getFloat(p);
                    case "F16" -> Float.float16ToFloat(bb.getShort(p));
                    default -> Float.intBitsToFloat((bb.getShort(p) & 0xffff) << 16);
                };
            }
            tensors.put(e.getKey(), Tensor.of(a, shape));
        }
        return new InMemoryTensorSource(tensors, meta);
    }

    /** Writes F32 tensors (sorted by name, as safetensors requires no order) to a temp sibling, then renames. */
    static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        Map<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) header.put("__metadata__", metadata);
        long off = 0;
        for (var e : tensors.entrySet()) {
            long bytes = 4L * e.getValue().size();
            header.put(e.getKey(), Map.of("dtype", "F32", "shape", e.getValue().shape().dims(), "data_offsets", new long[]{off, off + bytes}));
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
