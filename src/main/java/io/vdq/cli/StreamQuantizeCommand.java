package io.vdq.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException.ConfigException;
import io.vdq.io.AtomicFiles;
import io.vdq.io.AtomicFolder;
import io.vdq.io.SafetensorsFile;
import io.vdq.io.Checkpoints;
import io.vdq.io.TensorSource;
import io.vdq.model.wan.WanConfig;
import io.vdq.quant.LayerReport;
import io.vdq.quant.Presets;
import io.vdq.quant.QuantReport;
import io.vdq.quant.Recipe;
import io.vdq.quant.SamplerHook;
import io.vdq.quant.ckpt.QuantizedCheckpoint;
import io.vdq.scale.MemoryProbe;
import io.vdq.scale.StreamingDvd;
import io.vdq.tensor.Parallel;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vdq stream-quantize}: data-free DVD-Quant of a Wan checkpoint, layer by layer from the mapped file
 * ({@link StreamingDvd}), with the per-layer BGR report (MinMax, bounded-init and refined weight error), wall time
 * and memory peaks. {@code OUT} is a quantized checkpoint folder like {@code vdq quantize}'s (config.json and
 * {@value QuantizedCheckpoint#WEIGHTS}, which {@code vdq generate --model OUT} runs) plus {@code quant_report.json};
 * it appears complete or not at all.
 */
@Command(name = "stream-quantize", mixinStandardHelpOptions = true,
        description = "DVD-Quant a Wan checkpoint tensor by tensor from the mapped file (data-free), in bounded memory, into the same "
                + "quantized checkpoint folder vdq quantize writes, with a per-layer BGR report.")
final class StreamQuantizeCommand implements Runnable {
    @Option(names = "--model", required = true, description = "Diffusers transformer folder (config.json + safetensors).")
    Path model;

    @Option(names = "--recipe", defaultValue = "w4a4-dvd", description = "A DVD preset or recipe JSON (default ${DEFAULT-VALUE}).")
    String recipe;

    @Option(names = "--out", required = true, description = "Output folder.")
    Path out;

    @Option(names = "--table", description = "Print the per-layer table (one line per layer).")
    boolean table;

    @Option(names = "--quiet", description = "No progress output.")
    boolean quiet;

    @Override
    public void run() {
        long t0 = System.nanoTime();
        Recipe r = Presets.resolve(recipe);
        Path cfg = Checkpoints.configFile(model).orElseThrow(() -> new ConfigException(model + ": no config.json beside the weights"));
        WanConfig c = WanConfig.read(cfg);
        AtomicFolder.checkReplaceable(out, QuantizedCheckpoint.WEIGHTS, "--out");
        StreamingDvd.Summary[] sum = new StreamingDvd.Summary[1];
        long mapped;
        double wall;
        try (MemoryProbe mem = new MemoryProbe(50); TensorSource src = Checkpoints.open(model)) {
            mapped = src instanceof SafetensorsFile f ? f.fileSize() : -1;
            long ts = System.nanoTime();
            long[] shownAt = {0};
            Progress shown = new Progress(System.err, quiet);
            // the folder appears complete or not at all: written into a temporary sibling, renamed over --out at the end
            AtomicFolder.write(out, QuantizedCheckpoint.WEIGHTS, "--out", tmp -> {
                sum[0] = StreamingDvd.quantize(c, src, r, tmp, (done, total, last) -> {
                    if (quiet || (System.nanoTime() - shownAt[0] < 1_000_000_000L && done < total)) return;
                    shownAt[0] = System.nanoTime();
                    double s = (System.nanoTime() - ts) / 1e9;
                    shown.update(String.format(Locale.ROOT, "stream-quantize: layer %d/%d  %.2f layers/s  ETA %.0f s", done, total,
                            done / s, s / done * (total - done)), done == total);
                });
                mem.close();
                AtomicFiles.writeBytes(tmp.resolve("quant_report.json"),
                        json(r, sum[0], (System.nanoTime() - t0) / 1e9, mem, mapped));
            });
            wall = (System.nanoTime() - t0) / 1e9;
            StreamingDvd.Summary s = sum[0];
            if (table) System.out.print(new QuantReport("dvd", r, s.layers(), SamplerHook.NONE, null).table());
            System.out.printf(Locale.ROOT, "%d layers quantized (%s), %d float tensors kept → %s (vdq quantized checkpoint: "
                            + "vdq generate --model %s)%n", s.layers().size(), r.name(), s.copied(), out, out);
            System.out.printf(Locale.ROOT, "refined ≤ bounded ≤ MinMax on every layer: %s; mean weight-error reduction vs MinMax: "
                    + "bounded init %.1f %%, BGR %.1f %%%n", s.allOrdered() ? "yes" : "NO", 100 * s.meanInitReduction(), 100 * s.meanReduction());
            System.out.printf(Locale.ROOT, "wall %.1f s (decode %.1f, rotate+BGR %.1f, write %.1f) on %d threads; output %.2f GB%n",
                    wall, s.decodeS(), s.quantS(), s.writeS(), Parallel.threads(), s.bytesOut() / 1e9);
            System.out.printf(Locale.ROOT, "memory: peak RSS %.2f GB (VmHWM), peak anonymous %.2f GB, peak file-backed %.2f GB; mapped file %.2f GB%n",
                    mem.hwm() / 1e9, mem.peakAnon() / 1e9, mem.peakFile() / 1e9, mapped / 1e9);
        }
    }

    private static byte[] json(Recipe r, StreamingDvd.Summary s, double wall, MemoryProbe mem, long mapped) {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = m.createObjectNode();
        root.put("command", "stream-quantize");
        root.put("recipe", r.name());
        root.put("layers_quantized", s.layers().size());
        root.put("tensors_copied", s.copied());
        root.put("all_ordered", s.allOrdered());
        root.put("mean_reduction_vs_minmax", s.meanReduction());
        root.put("mean_init_reduction_vs_minmax", s.meanInitReduction());
        root.put("wall_s", wall);
        root.put("decode_s", s.decodeS());
        root.put("rotate_bgr_s", s.quantS());
        root.put("write_s", s.writeS());
        root.put("threads", Parallel.threads());
        root.put("peak_rss_bytes", mem.hwm());
        root.put("peak_rss_anon_bytes", mem.peakAnon());
        root.put("peak_rss_file_bytes", mem.peakFile());
        root.put("mapped_file_bytes", mapped);
        ArrayNode arr = root.putArray("layers");
        for (LayerReport l : s.layers()) {
            ObjectNode o = arr.addObject();
            o.put("name", l.name());
            o.put("out", l.out());
            o.put("in", l.in());
            o.put("minmax_rel_sq", l.stages().minMax());
            o.put("bounded_init_rel_sq", l.stages().boundedInit());
            o.put("refined_rel_sq", l.stages().refined());
            o.put("reduction_vs_minmax", l.stages().reductionVsMinMax());
            o.put("note", l.note());
        }
        try {
            return m.writeValueAsBytes(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
