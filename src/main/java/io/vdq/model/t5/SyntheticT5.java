package io.vdq.model.t5;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException.ConfigException;
import io.vdq.io.AtomicFiles;
import io.vdq.io.DType;
import io.vdq.io.SafetensorsStreamWriter;
import io.vdq.tensor.Parallel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SequencedMap;
import java.util.SplittableRandom;
import java.util.function.LongConsumer;

/**
 * A random-weight {@code text_encoder/} folder in the transformers layout: {@code config.json} and the weights as
 * {@code model.safetensors}, or, when they exceed {@code shardBytes}, as {@code model-0000i-of-0000N.safetensors}
 * shards with a {@code model.safetensors.index.json}. Tensors are generated and written a slab of rows at a time
 * (at most 8 Mi values, 32 MB, in memory), so a UMT5-XXL-shaped folder (5.7 B parameters, 11 GB in BF16) is
 * written in bounded memory. {@code config.json} is written last: a folder without it is incomplete.
 *
 * <p>Values are uniform with mean 0 and the standard deviation transformers' T5 initialisation uses (so
 * activations stay in a sane range through the layers): embedding 1; k, v, wi_0, wi_1: 1/√d_model; q:
 * 1/√(d_model·d_kv), which stands in for the 1/√d_kv scaling T5's attention leaves out; o: 1/√(num_heads·d_kv);
 * wo: 1/√d_ff; relative-attention bias 0.1; norm weights 1 ± 0.05·√3. Deterministic: every run of
 * {@link #CHUNK_ROWS} rows of a tensor draws from its own generator (seed mixed with the tensor name and the
 * run's index), so the files are byte-identical for any thread count.
 */
public final class SyntheticT5 {
    static final int CHUNK_ROWS = 16;
    private static final int SLAB_VALUES = 8 << 20;
    private static final double SQRT3 = Math.sqrt(3);

    private SyntheticT5() {}

    /** A small UMT5 for tests: vocab 4096, d_model 64, 2 layers, 4 heads × 16, d_ff 128, 32 buckets / 128. */
    public static T5Config tiny() { return new T5Config(true, 4096, 64, 16, 4, 128, 2, 32, 128, 1e-6, "gated-gelu"); }

    /** google/umt5-xxl as Wan2.1 ships it: vocab 256384, d_model 4096, 24 layers, 64 heads × 64, d_ff 10240. */
    public static T5Config umt5Xxl() { return new T5Config(true, 256384, 4096, 64, 64, 10240, 24, 32, 128, 1e-6, "gated-gelu"); }

    /**
     * Writes config.json and the weights into {@code dir}.
     *
     * @param dtype      BF16 (as released), F16 or F32
     * @param shardBytes largest shard before another starts (a tensor larger than this gets a shard of its own)
     */
    public static void write(Path dir, T5Config c, long seed, DType dtype, long shardBytes) {
        write(dir, c, seed, dtype, shardBytes, null);
    }

    /** As {@link #write(Path, T5Config, long, DType, long)}; {@code progress} (may be null) gets the bytes written so far after each tensor. */
    public static void write(Path dir, T5Config c, long seed, DType dtype, long shardBytes, LongConsumer progress) {
        if (dtype != DType.BF16 && dtype != DType.F16 && dtype != DType.F32)
            throw new ConfigException("synthetic T5 dtype " + dtype + ": expected BF16, F16 or F32");
        if (shardBytes <= 0) throw new ConfigException("synthetic T5 shard size must be positive, got " + shardBytes);
        SequencedMap<String, long[]> shapes = T5Parameters.allShapes(c);
        List<List<SafetensorsStreamWriter.Spec>> shards = new ArrayList<>();
        List<SafetensorsStreamWriter.Spec> cur = new ArrayList<>();
        long curBytes = 0;
        for (var e : shapes.entrySet()) {
            SafetensorsStreamWriter.Spec s = new SafetensorsStreamWriter.Spec(e.getKey(), dtype, e.getValue());
            if (!cur.isEmpty() && curBytes + s.bytes() > shardBytes) {
                shards.add(cur);
                cur = new ArrayList<>();
                curBytes = 0;
            }
            cur.add(s);
            curBytes += s.bytes();
        }
        shards.add(cur);
        ObjectNode index = new ObjectMapper().createObjectNode();
        index.putObject("metadata").put("total_size", totalBytes(shards));
        ObjectNode weightMap = index.putObject("weight_map");
        Map<String, String> meta = Map.of("format", "pt", "vdq_synthetic", "random " + (c.umt5() ? "umt5" : "t5")
                + " encoder, seed " + seed);
        long done = 0;
        for (int i = 0; i < shards.size(); i++) {
            String file = shards.size() == 1 ? "model.safetensors"
                    : String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", i + 1, shards.size());
            try (SafetensorsStreamWriter w = SafetensorsStreamWriter.create(dir.resolve(file), shards.get(i), meta)) {
                for (SafetensorsStreamWriter.Spec s : shards.get(i)) {
                    writeTensor(w, c, s, seed);
                    weightMap.put(s.name(), file);
                    done += s.bytes();
                    if (progress != null) progress.accept(done);
                }
                w.commit();
            }
        }
        if (shards.size() > 1)
            AtomicFiles.writeBytes(dir.resolve("model.safetensors.index.json"),
                    index.toPrettyString().getBytes(StandardCharsets.UTF_8));
        AtomicFiles.writeBytes(dir.resolve("config.json"), c.toJson().getBytes(StandardCharsets.UTF_8));
    }

    private static long totalBytes(List<List<SafetensorsStreamWriter.Spec>> shards) {
        long t = 0;
        for (var s : shards) for (var x : s) t += x.bytes();
        return t;
    }

    private static void writeTensor(SafetensorsStreamWriter w, T5Config c, SafetensorsStreamWriter.Spec s, long seed) {
        long[] shape = s.shape();
        int rows = Math.toIntExact(shape[0]);
        int cols = shape.length > 1 ? Math.toIntExact(shape[1]) : 1;
        if (shape.length == 1) { cols = rows; rows = 1; }
        double std = std(c, s.name()), offset = s.name().endsWith("layer_norm.weight") ? 1 : 0;
        long ts = mix(seed, s.name().hashCode());
        int slabRows = Math.max(CHUNK_ROWS, SLAB_VALUES / cols / CHUNK_ROWS * CHUNK_ROWS);
        float[] buf = new float[Math.min(rows, slabRows) * cols];
        int fc = cols;
        for (int r0 = 0; r0 < rows; r0 += slabRows) {
            int r1 = Math.min(rows, r0 + slabRows), first = r0 / CHUNK_ROWS, chunks = (r1 - r0 + CHUNK_ROWS - 1) / CHUNK_ROWS;
            int base = r0, end = r1;
            Parallel.forEach(chunks, ch -> {
                SplittableRandom r = new SplittableRandom(mix(ts, first + ch));
                int from = ch * CHUNK_ROWS * fc, to = (Math.min(end, base + (ch + 1) * CHUNK_ROWS) - base) * fc;
                double a = std * SQRT3;
                for (int i = from; i < to; i++) buf[i] = (float) (offset + a * (2 * r.nextDouble() - 1));
            });
            w.writeFloats(s.name(), buf, 0, (r1 - r0) * cols);
        }
    }

    /** Standard deviation of a tensor's values (see the class comment). */
    static double std(T5Config c, String name) {
        if (name.equals(T5Parameters.SHARED) || name.equals(T5Parameters.EMBED_TOKENS)) return 1;
        if (name.endsWith("layer_norm.weight")) return 0.05;
        if (name.endsWith("relative_attention_bias.weight")) return 0.1;
        if (name.endsWith(".q.weight")) return 1 / Math.sqrt((double) c.dModel() * c.dKv());
        if (name.endsWith(".o.weight")) return 1 / Math.sqrt(c.innerDim());
        if (name.endsWith(".wo.weight")) return 1 / Math.sqrt(c.dFf());
        return 1 / Math.sqrt(c.dModel());
    }

    /** SplitMix64's finaliser of seed + golden·(salt + 1): decorrelated seeds from a master seed and a salt. */
    static long mix(long seed, long salt) {
        long z = seed + 0x9E3779B97F4A7C15L * (salt + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
