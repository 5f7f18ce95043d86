package io.vdq.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.io.Checkpoints;
import io.vdq.io.JsonConfig;
import io.vdq.io.ShardedCheckpoint;
import io.vdq.io.TensorInfo;
import io.vdq.io.TensorSource;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
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
        description = "List the tensors of a safetensors file, sharded checkpoint or diffusers folder.")
final class InspectCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE|DIR",
            description = "A .safetensors file, a *.safetensors.index.json, or a folder holding either (or a transformer/ subfolder).")
    Path path;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    boolean json;

    @Option(names = "--no-tensors", description = "Print totals, metadata and config only.")
    boolean noTensors;

    private record Total(long tensors, long parameters, long bytes) {
        Total plus(TensorInfo i) { return new Total(tensors + 1, parameters + i.elements(), bytes + i.bytes()); }
    }

    @Override public Integer call() {
        Path file = Checkpoints.resolve(path);
        Optional<Path> configPath = Checkpoints.configFile(path);
        JsonConfig config = configPath.map(JsonConfig::read).orElse(null);
        try (TensorSource src = Checkpoints.open(file)) {
            PrintWriter out = spec.commandLine().getOut();
            if (json) out.println(toJson(file, src, config));
            else printTable(out, file, src, config);
            out.flush();
        }
        return 0;
    }

    private static Map<String, Total> totalsByDtype(TensorSource src, Total[] all) {
        Map<String, Total> by = new TreeMap<>();
        Total t = new Total(0, 0, 0);
        for (String n : src.names()) {
            TensorInfo i = src.info(n);
            t = t.plus(i);
            by.merge(i.dtype().name(), new Total(0, 0, 0).plus(i),
                    (a, b) -> new Total(a.tensors + b.tensors, a.parameters + b.parameters, a.bytes + b.bytes));
        }
        all[0] = t;
        return by;
    }

    private void printTable(PrintWriter out, Path file, TensorSource src, JsonConfig config) {
        boolean sharded = src instanceof ShardedCheckpoint;
        out.println(file + (sharded ? "  (sharded, " + ((ShardedCheckpoint) src).shards().size() + " files)" : ""));
        if (!noTensors && !src.names().isEmpty()) {
            int nw = "NAME".length(), sw = "SHAPE".length();
            for (String n : src.names()) {
                nw = Math.max(nw, n.length());
                sw = Math.max(sw, Arrays.toString(src.info(n).shape()).length());
            }
            String fmt = "%-" + nw + "s  %-5s  %-" + sw + "s  %,15d%s%n";
            out.printf("%-" + nw + "s  %-5s  %-" + sw + "s  %15s%s%n", "NAME", "DTYPE", "SHAPE", "BYTES", sharded ? "  FILE" : "");
            for (String n : src.names()) {
                TensorInfo i = src.info(n);
                String shard = src instanceof ShardedCheckpoint sc ? "  " + Path.of(sc.shardOf(n).describe()).getFileName() : "";
                out.printf(fmt, n, i.dtype(), Arrays.toString(i.shape()), i.bytes(), shard);
            }
        }
        Total[] all = new Total[1];
        Map<String, Total> by = totalsByDtype(src, all);
        out.printf("total: %,d tensor%s, %,d parameters, %,d bytes (%s)%n", all[0].tensors, all[0].tensors == 1 ? "" : "s",
                all[0].parameters, all[0].bytes, human(all[0].bytes));
        by.forEach((d, t) -> out.printf("  %-5s %,d tensor%s, %,d parameters, %,d bytes%n", d, t.tensors, t.tensors == 1 ? "" : "s",
                t.parameters, t.bytes));
        if (!src.metadata().isEmpty()) {
            out.println("metadata:");
            src.metadata().forEach((k, v) -> out.println("  " + k + ": " + v));
        }
        if (config != null) {
            out.println("config: " + config.source());
            for (String line : config.toPrettyString().split("\n")) out.println("  " + line);
        }
    }

    private String toJson(Path file, TensorSource src, JsonConfig config) {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = m.createObjectNode();
        root.put("path", file.toString());
        root.put("kind", src instanceof ShardedCheckpoint ? "sharded" : "file");
        if (!noTensors) {
            var arr = root.putArray("tensors");
            for (String n : src.names()) {
                TensorInfo i = src.info(n);
                ObjectNode t = arr.addObject();
                t.put("name", n);
                t.put("dtype", i.dtype().name());
                var shape = t.putArray("shape");
                for (long d : i.shape()) shape.add(d);
                t.put("bytes", i.bytes());
                if (src instanceof ShardedCheckpoint sc) t.put("file", sc.shardOf(n).describe());
            }
        }
        Total[] all = new Total[1];
        Map<String, Total> by = totalsByDtype(src, all);
        ObjectNode totals = root.putObject("totals");
        totals.put("tensors", all[0].tensors).put("parameters", all[0].parameters).put("bytes", all[0].bytes);
        ObjectNode byNode = totals.putObject("by_dtype");
        by.forEach((d, t) -> byNode.putObject(d).put("tensors", t.tensors).put("parameters", t.parameters).put("bytes", t.bytes));
        ObjectNode meta = root.putObject("metadata");
        src.metadata().forEach(meta::put);
        if (config != null) root.set("config", m.valueToTree(config.raw()));
        else root.putNull("config");
        return root.toPrettyString();
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
