package io.vdq.scale;

import io.vdq.VdqException.CheckpointException;
import io.vdq.VdqException.ConfigException;
import io.vdq.io.DType;
import io.vdq.io.TensorCodec;
import io.vdq.io.TensorDigests;
import io.vdq.io.TensorInfo;
import io.vdq.io.TensorSource;
import io.vdq.model.Linear;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.model.wan.WanParameters;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.LayerReport;
import io.vdq.quant.QuantReport;
import io.vdq.quant.QuantTargets;
import io.vdq.quant.Recipe;
import io.vdq.quant.ckpt.QuantizedCheckpoint;
import io.vdq.quant.dvd.Arq;
import io.vdq.quant.dvd.ArqLinear;
import io.vdq.quant.dvd.Bgr;
import io.vdq.quant.dvd.DvdQuantMethod;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SequencedMap;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Data-free DVD-Quant of a Wan checkpoint that never holds more than one layer: each selected linear's weight is
 * decoded from the (memory-mapped) source, rotated and quantized by BGR (multithreaded over rows, see
 * {@link Bgr}) and appended to the output before the next one is read; the source pages of a finished tensor are
 * released ({@link MemorySegment#unload}). Exactly the per-layer computation of {@link DvdQuantMethod#apply} (same
 * options per layer, same rotation seeds: recipe seed + index of the layer among the selected ones in the model's
 * forward order), so the codes equal those of an in-memory quantization of the same weights.
 *
 * <p>The output is the project's one quantized checkpoint format ({@link QuantizedCheckpoint}: a model folder
 * with config.json and a self-contained {@value QuantizedCheckpoint#WEIGHTS} with per-tensor SHA-256 digests),
 * written through {@link QuantizedCheckpoint.Streamed}; the float tensors keep the source's dtype when they all
 * share one (else F32), and the base hash is the source's {@link io.vdq.model.wan.WanModel#fingerprint}, computed
 * on the way. δ-GBS recipes need a fixed {@code gbs_delta}: choosing it automatically samples the model.
 */
public final class StreamingDvd {
    private StreamingDvd() {}

    /** Progress after each layer: layers done, layers in all, the layer just finished. */
    @FunctionalInterface
    public interface Progress { void layer(int done, int total, LayerReport last); }

    /**
     * What a run did: one report line per quantized layer (with the BGR stage errors), tensors copied, bytes
     * written, and seconds spent decoding weights, in rotation + BGR, and writing.
     */
    public record Summary(List<LayerReport> layers, int copied, long bytesOut, double decodeS, double quantS, double writeS) {
        /** Mean over layers of 1 − refined/MinMax. */
        public double meanReduction() {
            double s = 0;
            for (LayerReport l : layers) s += l.stages().reductionVsMinMax();
            return layers.isEmpty() ? 0 : s / layers.size();
        }

        /** Mean over layers of 1 − boundedInit/MinMax. */
        public double meanInitReduction() {
            double s = 0;
            for (LayerReport l : layers) s += 1 - l.stages().boundedInit() / l.stages().minMax();
            return layers.isEmpty() ? 0 : s / layers.size();
        }

        /** Whether refined ≤ bounded init ≤ MinMax on every layer. */
        public boolean allOrdered() { return layers.stream().allMatch(l -> l.stages().ordered()); }
    }

    /** The linear layers of a Wan model in forward order (the order DVD-Quant numbers them for the rotation seeds). */
    public static List<String> linearOrder(WanConfig c) {
        List<String> out = new ArrayList<>();
        for (String n : WanParameters.expectedShapes(c).keySet())
            if (n.endsWith(".weight") && !n.contains("norm")) out.add(n.substring(0, n.length() - ".weight".length()));
        return out;
    }

    /**
     * Quantizes {@code src} (diffusers names, shapes of {@code c}) with a DVD recipe into the quantized checkpoint
     * folder {@code dir} (config.json + weights; the caller makes the folder as a whole atomic).
     */
    public static Summary quantize(WanConfig c, TensorSource src, Recipe recipe, Path dir, Progress progress) {
        if (!"dvd".equals(recipe.method()))
            throw new ConfigException("recipe '" + recipe.name() + "' uses method '" + recipe.method()
                    + "'; streaming quantization supports the data-free DVD-Quant recipes (method dvd) only");
        DvdQuantMethod.Settings s = DvdQuantMethod.settings(recipe);
        if (s.centerWeights() != DvdQuantMethod.CenterWeights.QUANTIZED)
            throw new ConfigException("recipe '" + recipe.name() + "' option 'center_weights' keeps a copy of the weights that a "
                    + "quantized checkpoint does not store; streaming quantization needs center_weights=quantized");
        if (s.autoDelta())
            throw new ConfigException("recipe '" + recipe.name() + "' chooses δ-GBS's δ by sampling the model (gbs_delta auto), "
                    + "which streaming quantization does not do: give one, e.g. '" + recipe.name() + "+gbs_delta=0.05', or use vdq quantize");
        checkShapes(c, src);
        SequencedMap<String, Integer> selected = new LinkedHashMap<>();
        for (String l : linearOrder(c)) if (recipe.selects(l)) selected.put(l, selected.size());
        if (selected.isEmpty())
            throw new ConfigException("recipe '" + recipe.name() + "' selects no layer of " + src.describe());
        ActivationBits bits = DvdQuantMethod.sharedBits(s, recipe);
        QuantReport plan = new QuantReport("dvd", recipe, List.of(), DvdQuantMethod.hook(s, bits), bits);
        // the float part: every tensor but the selected layers' weights and biases
        SortedSet<String> floats = new TreeSet<>();
        for (String n : src.names()) if (!selected.containsKey(layerOf(n))) floats.add(n);
        DType floatType = floatType(src, floats);
        // placeholders of the final kind and shapes, so the header can be written before any layer is quantized
        // (built one at a time by the writer and dropped)
        SequencedMap<String, Supplier<Linear>> placeholders = new LinkedHashMap<>();
        for (var e : selected.entrySet()) {
            String layer = e.getKey();
            int out = (int) src.info(layer + ".weight").shape()[0], in = (int) src.info(layer + ".weight").shape()[1];
            boolean hasBias = src.contains(layer + ".bias");
            int index = e.getValue();
            placeholders.put(layer, () -> DvdQuantMethod.placeholder(s, recipe, bits, layer, index, out, in, hasBias));
        }
        List<LayerReport> reports = new ArrayList<>();
        long bytesOut = 0;
        double decodeS = 0, quantS = 0, writeS = 0;
        // the base's fingerprint, hashed in WanModel's order while the tensors pass (no second read of the source)
        MessageDigest base = TensorDigests.sha256();
        try (QuantizedCheckpoint.Streamed w = QuantizedCheckpoint.Streamed.create(dir, c, plan, "0".repeat(64), floatType,
                Map.of("source", src.describe()), placeholders, src, floats)) {
            for (var sh : WanParameters.expectedShapes(c).entrySet()) {
                String n = sh.getKey(), layer = layerOf(n);
                long t0 = System.nanoTime();
                TensorInfo ti = src.info(n);
                MemorySegment seg = src.segment(n);
                float[] v = TensorCodec.toFloats(seg, ti.dtype(), Math.toIntExact(ti.elements()));
                release(seg);
                WanModel.fingerprintTensor(base, n, sh.getValue(), v);
                long t1 = System.nanoTime();
                decodeS += (t1 - t0) / 1e9;
                if (!selected.containsKey(layer) || !n.endsWith(".weight")) continue;
                int out0 = (int) ti.shape()[0], in = (int) ti.shape()[1];
                try {
                    QuantTargets.requireFinite(layer, v, out0, in, null);
                } catch (ConfigException x) {
                    throw new CheckpointException(src.describe() + ": " + x.getMessage(), x);
                }
                float[] bias = src.contains(layer + ".bias") ? src.readFloat(layer + ".bias").toArray() : null;
                Arq arq = DvdQuantMethod.arq(s, layer, in, selected.get(layer));
                Bgr.Result q = DvdQuantMethod.quantizeWeights(arq, v, out0, s.bgr());
                v = null;
                long t2 = System.nanoTime();
                w.layer(layer, new ArqLinear(arq, q, bias, bits, s.integer()));
                long t3 = System.nanoTime();
                quantS += (t2 - t1) / 1e9;
                writeS += (t3 - t2) / 1e9;
                int bits0 = s.bgr().bits();
                bytesOut += (long) out0 * (bits0 <= 4 ? (in + 1) / 2 : in) + 8L * q.scales().length + (bias == null ? 0 : (long) out0 * floatType.bytes);
                LayerReport.WeightStages st = DvdQuantMethod.stages(q.error());
                LayerReport lr = new LayerReport(layer, out0, in, bits0, recipe.activationBits(),
                        q.error().refined() / ((double) out0 * in), Math.sqrt(st.refined()),
                        String.format(Locale.ROOT, "it %.1f | H%d Λ%s", q.error().meanIterations(), arq.rotationBlock(),
                                s.arq().scaling() == Arq.Scaling.OFF ? "off" : String.valueOf(arq.scaleBlock())), st);
                reports.add(lr);
                if (progress != null) progress.layer(reports.size(), selected.size(), lr);
            }
            long t0 = System.nanoTime();
            w.floats();
            for (String n : floats) bytesOut += src.info(n).elements() * floatType.bytes;
            w.commit(HexFormat.of().formatHex(base.digest()));
            writeS += (System.nanoTime() - t0) / 1e9;
        }
        return new Summary(reports, floats.size(), bytesOut, decodeS, quantS, writeS);
    }

    /** The layer a tensor name belongs to ({@code P.weight} / {@code P.bias} → P), or the name itself. */
    static String layerOf(String n) {
        if (n.endsWith(".weight")) return n.substring(0, n.length() - ".weight".length());
        if (n.endsWith(".bias")) return n.substring(0, n.length() - ".bias".length());
        return n;
    }

    /** The source's float dtype when every float tensor shares one that a quantized checkpoint stores, else F32. */
    static DType floatType(TensorSource src, SortedSet<String> floats) {
        DType t = null;
        for (String n : floats) {
            DType d = src.info(n).dtype();
            if (t == null) t = d;
            else if (t != d) return DType.F32;
        }
        return t == DType.BF16 || t == DType.F16 ? t : DType.F32;
    }

    /** Gives the pages of a mapped tensor back to the OS (no-op for heap segments). */
    static void release(MemorySegment seg) {
        if (seg.isMapped()) seg.unload();
    }

    /** Every tensor the config expects, with its shape, and nothing else (diffusers names). */
    static void checkShapes(WanConfig c, TensorSource src) {
        Map<String, int[]> expected = WanParameters.expectedShapes(c);
        for (var e : expected.entrySet()) {
            if (!src.contains(e.getKey()))
                throw new CheckpointException(src.describe() + ": missing tensor '" + e.getKey() + "' of shape "
                        + Arrays.toString(e.getValue()) + " (streaming quantization needs diffusers names)");
            int[] have = src.info(e.getKey()).intShape();
            if (!Arrays.equals(have, e.getValue()))
                throw new CheckpointException(src.describe() + ": tensor '" + e.getKey() + "' has shape " + Arrays.toString(have)
                        + ", expected " + Arrays.toString(e.getValue()) + " for this config");
        }
        for (String n : src.names())
            if (!expected.containsKey(n))
                throw new CheckpointException(src.describe() + ": unexpected tensor '" + n + "' for a Wan model with "
                        + c.numLayers() + " layers");
    }
}
