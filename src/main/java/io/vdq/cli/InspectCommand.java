package io.vdq.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException.ConfigException;
import io.vdq.io.Checkpoints;
import io.vdq.io.DType;
import io.vdq.io.JsonConfig;
import io.vdq.io.Printable;
import io.vdq.io.SafetensorsFile;
import io.vdq.io.ShardedCheckpoint;
import io.vdq.io.TensorCodec;
import io.vdq.io.TensorDigests;
import io.vdq.io.TensorInfo;
import io.vdq.io.TensorSource;
import io.vdq.io.gguf.GgufFile;
import io.vdq.io.gguf.GgufWriter;
import io.vdq.quant.ckpt.QuantizedCheckpoint;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vdq inspect FILE|DIR}: validates a safetensors file, sharded checkpoint or diffusers model folder and
 * lists its tensors (name, dtype, shape, bytes), totals per dtype, {@code __metadata__} and the config.json
 * beside the weights. A malformed checkpoint ends in one error line naming the file and the tensor.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "List the tensors of a safetensors or GGUF file, sharded checkpoint or diffusers folder.")
final class InspectCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE|DIR",
            description = "A .safetensors file, a *.safetensors.index.json, or a folder holding either (or a transformer/ subfolder).")
    Path path;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    boolean json;

    @Option(names = "--no-tensors", description = "Print totals, metadata and config only.")
    boolean noTensors;

    @Option(names = "--grep", paramLabel = "REGEX", description = "Only tensors whose name contains a match (totals cover them only).")
    String grep;

    @Option(names = "--stats", description = "Also read every listed tensor: min, max, mean, standard deviation, non-finite count.")
    boolean stats;

    @Option(names = "--verify", description = "Also recompute every tensor's SHA-256 and compare it with the digests "
            + "stored in __metadata__ tensor_sha256 (checkpoints written by vdq quantize, and each shard of quantize --stream).")
    boolean verify;

    private record Total(long tensors, long parameters, long bytes) {
        Total plus(Total o) { return new Total(tensors + o.tensors, parameters + o.parameters, bytes + o.bytes); }
        static Total of(TensorInfo i) { return new Total(1, i.elements(), i.bytes()); }
    }

    /** Value statistics of one tensor, accumulated in double in index order. */
    record Stats(double min, double max, double mean, double std, long nonFinite) {
        static Stats of(float[] v) { return streamed(MemorySegment.ofArray(v), DType.F32, v.length); }

        /** Elements decoded at a time by {@link #streamed}: the statistics of any size take this much heap. */
        static final int CHUNK = 1 << 20;

        /**
         * The same statistics as {@link #of}, over the stored bytes (a slice of the mapped file) decoded
         * {@link #CHUNK} elements at a time, in two passes (mean, then the squared deviations), so a tensor of
         * any size is summarised without materialising it.
         */
        static Stats streamed(MemorySegment seg, DType dt, long count) {
            double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, sum = 0, sq = 0;
            long n = 0, bad = 0;
            for (long at = 0; at < count; at += CHUNK) {
                for (float x : chunk(seg, dt, at, count)) {
                    if (!Float.isFinite(x)) { bad++; continue; }
                    min = Math.min(min, x);
                    max = Math.max(max, x);
                    sum += x;
                    n++;
                }
            }
            double mean = n == 0 ? Double.NaN : sum / n;
            if (n > 0)
                for (long at = 0; at < count; at += CHUNK)
                    for (float x : chunk(seg, dt, at, count)) if (Float.isFinite(x)) sq += (x - mean) * (x - mean);
            return new Stats(n == 0 ? Double.NaN : min, n == 0 ? Double.NaN : max, mean, n == 0 ? Double.NaN : Math.sqrt(sq / n), bad);
        }

        private static float[] chunk(MemorySegment seg, DType dt, long at, long count) {
            int len = (int) Math.min(CHUNK, count - at);
            return TensorCodec.toFloats(seg.asSlice(at * dt.bytes, (long) len * dt.bytes), dt, len);
        }
    }

    @Override public Integer call() {
        Path file = Checkpoints.resolve(path);
        JsonConfig config = Checkpoints.configFile(path).map(JsonConfig::read).orElse(null);
        Pattern filter = null;
        if (grep != null) {
            try {
                filter = Pattern.compile(grep);
            } catch (PatternSyntaxException e) {
                throw new ConfigException("--grep: invalid regular expression '" + grep + "': " + e.getDescription());
            }
        }
        try (TensorSource src = Checkpoints.open(file)) {
            Pattern f = filter;
            List<String> names = src.names().stream().filter(n -> f == null || f.matcher(n).find()).toList();
            PrintWriter out = spec.commandLine().getOut();
            if (verify && src instanceof GgufFile g) {
                if (!g.verifyDataDigest())
                    throw new ConfigException(file + ": --verify: this GGUF has no " + GgufWriter.DATA_SHA256
                            + " (written by another tool, or by vdq before digests): nothing to check");
                if (!json) out.println("verified: the SHA-256 of the tensor data matches " + GgufWriter.DATA_SHA256);
            } else if (verify) {
                int n = TensorDigests.verify(src);
                if (!json) out.println("verified: the SHA-256 of all " + n + " tensors matches __metadata__ " + TensorDigests.KEY);
            }
            if (json) out.println(toJson(file, src, names, config));
            else printTable(out, file, src, names, config);
            out.flush();
        }
        return 0;
    }

    private Stats statsOf(TensorSource src, String name) {
        if (src instanceof SafetensorsFile || src instanceof ShardedCheckpoint)   // stored bytes = info's dtype
            return Stats.streamed(src.segment(name), src.info(name).dtype(), src.info(name).elements());
        // GGUF (block-quantized types): dequantized whole, bounded by one array
        return src.info(name).elements() > Integer.MAX_VALUE - 16 ? null : Stats.of(src.readFloat(name).toArray());
    }

    private static Map<String, Total> byDtype(TensorSource src, List<String> names) {
        Map<String, Total> by = new TreeMap<>();
        for (String n : names) by.merge(dtypeOf(src, n), Total.of(src.info(n)), Total::plus);
        return by;
    }

    /** The stored type: the ggml type for a GGUF (Q4_K, …), else the safetensors dtype. */
    private static String dtypeOf(TensorSource src, String n) {
        return src instanceof GgufFile g ? g.tensor(n).type().name() : src.info(n).dtype().name();
    }

    private void printTable(PrintWriter out, Path file, TensorSource src, List<String> names, JsonConfig config) {
        boolean sharded = src instanceof ShardedCheckpoint;
        out.println(file + (sharded ? "  (sharded, " + ((ShardedCheckpoint) src).shards().size() + " files)" : ""));
        if (!noTensors && !names.isEmpty()) {
            int nw = "NAME".length(), sw = "SHAPE".length();
            for (String n : names) {
                nw = Math.max(nw, Printable.name(n).length());
                sw = Math.max(sw, Arrays.toString(src.info(n).shape()).length());
            }
            String head = "%-" + nw + "s  %-5s  %-" + sw + "s  %15s";
            out.printf(head, "NAME", "DTYPE", "SHAPE", "BYTES");
            if (stats) out.printf("  %12s %12s %12s %12s %9s", "MIN", "MAX", "MEAN", "STD", "NONFINITE");
            out.println(sharded ? "  FILE" : "");
            for (String n : names) {
                TensorInfo i = src.info(n);
                out.printf("%-" + nw + "s  %-5s  %-" + sw + "s  %,15d", Printable.name(n), dtypeOf(src, n), Arrays.toString(i.shape()), i.bytes());
                if (stats) {
                    Stats s = statsOf(src, n);
                    if (s == null) out.printf("  %12s %12s %12s %12s %9s", "-", "-", "-", "-", "-");
                    else out.printf("  %12.5g %12.5g %12.5g %12.5g %9d", s.min, s.max, s.mean, s.std, s.nonFinite);
                }
                out.println(src instanceof ShardedCheckpoint sc ? "  " + Path.of(sc.shardOf(n).describe()).getFileName() : "");
            }
        }
        Map<String, Total> by = byDtype(src, names);
        Total all = by.values().stream().reduce(new Total(0, 0, 0), Total::plus);
        out.printf("total%s: %,d tensor%s, %,d parameters, %,d bytes (%s)%n", grep == null ? "" : " matching /" + grep + "/",
                all.tensors, all.tensors == 1 ? "" : "s", all.parameters, all.bytes, human(all.bytes));
        by.forEach((d, t) -> out.printf("  %-5s %,d tensor%s, %,d parameters, %,d bytes%n", d, t.tensors, t.tensors == 1 ? "" : "s",
                t.parameters, t.bytes));
        String summary = layerSummary(checkpointMetadata(src));
        if (summary != null) out.println(summary);
        if (src instanceof ShardedCheckpoint sc && !sc.indexMetadata().isEmpty()) {
            out.println("metadata (index):");
            sc.indexMetadata().forEach((k, v) -> out.println("  " + Printable.name(k) + ": " + Printable.name(v)));
        }
        if (!src.metadata().isEmpty()) {
            out.println(sharded ? "metadata (shards; the first file's value where they differ):" : "metadata:");
            src.metadata().forEach((k, v) -> out.println("  " + Printable.name(k) + ": " + Printable.name(v)));
        }
        if (config != null) {
            out.println("config: " + config.source());
            for (String line : config.toPrettyString().split("\n")) out.println("  " + line);
        }
    }

    private String toJson(Path file, TensorSource src, List<String> names, JsonConfig config) {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = m.createObjectNode();
        root.put("path", file.toString());
        root.put("kind", src instanceof ShardedCheckpoint ? "sharded" : "file");
        if (!noTensors) {
            var arr = root.putArray("tensors");
            for (String n : names) {
                TensorInfo i = src.info(n);
                ObjectNode t = arr.addObject();
                t.put("name", n);
                t.put("dtype", dtypeOf(src, n));
                var shape = t.putArray("shape");
                for (long d : i.shape()) shape.add(d);
                t.put("bytes", i.bytes());
                if (src instanceof ShardedCheckpoint sc) t.put("file", sc.shardOf(n).describe());
                Stats s = stats ? statsOf(src, n) : null;
                if (s != null)
                    t.putObject("stats").put("min", s.min).put("max", s.max).put("mean", s.mean).put("std", s.std)
                            .put("non_finite", s.nonFinite);
            }
        }
        Map<String, Total> by = byDtype(src, names);
        Total all = by.values().stream().reduce(new Total(0, 0, 0), Total::plus);
        ObjectNode totals = root.putObject("totals");
        totals.put("tensors", all.tensors).put("parameters", all.parameters).put("bytes", all.bytes);
        ObjectNode byNode = totals.putObject("by_dtype");
        by.forEach((d, t) -> byNode.putObject(d).put("tensors", t.tensors).put("parameters", t.parameters).put("bytes", t.bytes));
        ObjectNode meta = root.putObject("metadata");
        src.metadata().forEach(meta::put);
        if (src instanceof ShardedCheckpoint sc && !sc.indexMetadata().isEmpty()) {
            ObjectNode im = root.putObject("index_metadata");
            sc.indexMetadata().forEach(im::put);
        }
        QuantizedLayers q = quantizedLayers(checkpointMetadata(src));
        if (q != null) {
            ObjectNode qn = root.putObject("quantized_layers");
            qn.put("count", q.count());
            ObjectNode kinds = qn.putObject("by_kind");
            q.byKind().forEach(kinds::put);
            ObjectNode bits = qn.putObject("by_weight_bits");
            q.byWeightBits().forEach((b, n) -> bits.put(Integer.toString(b), n));
            if (q.recipe() != null) qn.put("recipe", q.recipe());
            if (q.method() != null) qn.put("method", q.method());
        }
        if (config != null) root.set("config", m.valueToTree(config.raw()));
        else root.putNull("config");
        return root.toPrettyString();
    }

    /** A vdq quantized checkpoint's layers: how many, by codec kind and by weight bits; its recipe name and method. */
    record QuantizedLayers(int count, Map<String, Integer> byKind, Map<Integer, Integer> byWeightBits, String recipe, String method) {}

    /** The checkpoint's own metadata: a sharded checkpoint's index metadata when it has any, else the file's. */
    private static Map<String, String> checkpointMetadata(TensorSource src) {
        return src instanceof ShardedCheckpoint sc && !sc.indexMetadata().isEmpty() ? sc.indexMetadata() : src.metadata();
    }

    /** The layers of a vdq quantized checkpoint (format {@value QuantizedCheckpoint#FORMAT}) from its metadata; null for other files. */
    static QuantizedLayers quantizedLayers(Map<String, String> meta) {
        if (!QuantizedCheckpoint.FORMAT.equals(meta.get(QuantizedCheckpoint.KEY_FORMAT)) || meta.get(QuantizedCheckpoint.KEY_LAYERS) == null) return null;
        ObjectMapper m = new ObjectMapper();
        try {
            JsonNode layers = m.readTree(meta.get(QuantizedCheckpoint.KEY_LAYERS));
            Map<String, Integer> kinds = new TreeMap<>();
            Map<Integer, Integer> bits = new TreeMap<>();
            for (JsonNode l : layers) {
                kinds.merge(l.path("kind").asText("?"), 1, Integer::sum);
                JsonNode b = l.has("variants") && l.get("variants").size() > 0 ? l.get("variants").get(0) : l;
                if (b.path("weight").has("bits")) bits.merge(b.path("weight").path("bits").asInt(), 1, Integer::sum);
            }
            String recipe = null;
            if (meta.get(QuantizedCheckpoint.KEY_RECIPE) != null) recipe = m.readTree(meta.get(QuantizedCheckpoint.KEY_RECIPE)).path("name").asText(null);
            return new QuantizedLayers(layers.size(), kinds, bits, recipe, meta.get(QuantizedCheckpoint.KEY_METHOD));
        } catch (JsonProcessingException e) {
            return null;   // a damaged layers key: the metadata listing shows it as it is
        }
    }

    /** One line: "quantized layers: 10 (arq ×10; weight bits 4 ×10), recipe w4a4-dvd, method dvd"; null for other files. */
    static String layerSummary(Map<String, String> meta) {
        QuantizedLayers q = quantizedLayers(meta);
        if (q == null) return null;
        StringBuilder sb = new StringBuilder("quantized layers: " + q.count() + " (");
        String sep = "";
        for (var e : q.byKind().entrySet()) { sb.append(sep).append(Printable.name(e.getKey())).append(" ×").append(e.getValue()); sep = ", "; }
        sep = "; weight bits ";
        for (var e : q.byWeightBits().entrySet()) { sb.append(sep).append(e.getKey()).append(" ×").append(e.getValue()); sep = ", "; }
        sb.append(")");
        if (q.recipe() != null) sb.append(", recipe ").append(Printable.name(q.recipe()));
        if (q.method() != null) sb.append(", method ").append(Printable.name(q.method()));
        return sb.toString();
    }

    static String human(long bytes) {
        if (bytes < 1024) return bytes + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
        return String.format("%.2f %s", v, units[u]);
    }
}
