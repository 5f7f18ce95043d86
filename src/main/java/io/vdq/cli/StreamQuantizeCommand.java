package io.vdq.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException.ConfigException;
import io.vdq.io.AtomicFiles;
import io.vdq.io.Checkpoints;
import io.vdq.io.TensorSource;
import io.vdq.model.wan.WanConfig;
import io.vdq.quant.LayerReport;
import io.vdq.quant.Presets;
import io.vdq.quant.QuantReport;
import io.vdq.quant.Recipe;
import io.vdq.quant.SamplerHook;
import io.vdq.scale.MemoryProbe;
import io.vdq.scale.StreamingDvd;
import io.vdq.tensor.Parallel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vdq stream-quantize}: data-free DVD-Quant of a Wan checkpoint, layer by layer from the mapped file to a
 * quantized safetensors file ({@link StreamingDvd}), with the per-layer BGR report (MinMax, bounded-init and
 * refined weight error), wall time and memory peaks. Writes {@code OUT/quantized.safetensors},
 * {@code OUT/config.json} (copied) and {@code OUT/quant_report.json}.
 */
@Command(name = "stream-quantize", mixinStandardHelpOptions = true,
        description = "DVD-Quant a Wan checkpoint tensor by tensor from the mapped file (data-free), with a per-layer BGR report.")
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
        StreamingDvd.Summary sum;
        long mapped;
        try (MemoryProbe mem = new MemoryProbe(50); TensorSource src = Checkpoints.open(model)) {
            mapped = src instanceof io.vdq.io.SafetensorsFile f ? f.fileSize() : -1;
            long ts = System.nanoTime();
            long[] shownAt = {0};
            Progress shown = new Progress(System.err, quiet);
            sum = StreamingDvd.quantize(c, src, r, out.resolve("quantized.safetensors"), (done, total, last) -> {
                if (quiet || (System.nanoTime() - shownAt[0] < 1_000_000_000L && done < total)) return;
                shownAt[0] = System.nanoTime();
                double s = (System.nanoTime() - ts) / 1e9;
                shown.update(String.format(Locale.ROOT, "stream-quantize: layer %d/%d  %.2f layers/s  ETA %.0f s", done, total,
                        done / s, s / done * (total - done)), done == total);
            });
            mem.close();
            double wall = (System.nanoTime() - t0) / 1e9;
            try {
                AtomicFiles.writeBytes(out.resolve("config.json"), Files.readAllBytes(cfg));   // temporary sibling + rename
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(out + ": cannot copy config.json: " + e.getMessage(), e);
            }
            AtomicFiles.writeBytes(out.resolve("quant_report.json"), json(r, sum, wall, mem, mapped));
            if (table) System.out.print(new QuantReport("dvd", r, sum.layers(), SamplerHook.NONE, null).table());
            System.out.printf(Locale.ROOT, "%d layers quantized (%s), %d tensors copied; refined ≤ bounded ≤ MinMax on every layer: %s%n",
                    sum.layers().size(), r.name(), sum.copied(), sum.allOrdered() ? "yes" : "NO");
            System.out.printf(Locale.ROOT, "mean weight-error reduction vs MinMax: bounded init %.1f %%, BGR %.1f %%%n",
                    100 * sum.meanInitReduction(), 100 * sum.meanReduction());
            System.out.printf(Locale.ROOT, "wall %.1f s (decode %.1f, rotate+BGR %.1f, write %.1f) on %d threads; output %.2f GB%n",
                    wall, sum.decodeS(), sum.quantS(), sum.writeS(), Parallel.threads(), sum.bytesOut() / 1e9);
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
