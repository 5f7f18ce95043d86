package io.vdq.scale;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException.CheckpointException;
import io.vdq.VdqException.ConfigException;
import io.vdq.io.DType;
import io.vdq.io.SafetensorsStreamWriter;
import io.vdq.io.TensorCodec;
import io.vdq.io.TensorInfo;
import io.vdq.io.TensorSource;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanParameters;
import io.vdq.quant.IntPacking;
import io.vdq.quant.LayerReport;
import io.vdq.quant.Recipe;
import io.vdq.quant.RecipeJson;
import io.vdq.quant.dvd.Arq;
import io.vdq.quant.dvd.Bgr;
import io.vdq.quant.dvd.DvdQuantMethod;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

/**
 * Data-free DVD-Quant of a Wan checkpoint that never holds more than one layer: each selected linear's weight is
 * decoded from the (memory-mapped) source, rotated and quantized by BGR (multithreaded over rows, see
 * {@link Bgr}), packed and written at its place in the output before the next one is read; the source pages of a
 * finished tensor are released ({@link MemorySegment#unload}). Exactly the per-layer computation of
 * {@link DvdQuantMethod#apply} (same rotation seeds: recipe seed + index of the layer among the selected ones in
 * the model's forward order), so the codes equal those of an in-memory quantization of the same weights.
 *
 * <p>Output (one safetensors file, {@value #FORMAT} version {@value #VERSION}): every tensor of the source that
 * is not a selected layer's weight is copied verbatim (biases too); a selected layer {@code P} stores
 * <ul>
 * <li>{@code P.qweight}: U8, the unsigned codes of W·R (rotated basis), out × in/2 with two int4 codes per byte
 *     (element 2i in the low nibble, {@link IntPacking}) when bits = 4 and in is even, else out × in, one code per byte;</li>
 * <li>{@code P.scales}, {@code P.zeros}: F32, out × groups (groups = 1 per output channel by default); zeros are
 *     integers unless the recipe keeps real zero points. Ŵ = scale·(q − zero).</li>
 * </ul>
 * Metadata: {@code format}, {@code format_version}, {@code tensor_sha256} (every tensor's SHA-256,
 * {@link io.vdq.io.TensorDigests}), {@code recipe} (JSON), {@code config} (the Wan config.json),
 * {@code dvd_layers} (JSON: per layer its index, rotation seed, Hadamard block, Λ block, bits, group size and
 * packing); the BGR stage errors are in the returned {@link Summary}. The layout follows the plain "packed codes + scales" form until the
 * project's quantized checkpoint format lands; the metadata holds everything needed to rebuild each
 * {@code ArqLinear}.
 */
public final class StreamingDvd {
    public static final String FORMAT = "vdq-dvd-stream";
    public static final String VERSION = "1";
    private static final ObjectMapper JSON = new ObjectMapper();

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

    /** Quantizes {@code src} (diffusers names, shapes of {@code c}) with a DVD recipe into the safetensors {@code out}. */
    public static Summary quantize(WanConfig c, TensorSource src, Recipe recipe, Path out, Progress progress) {
        if (!"dvd".equals(recipe.method()))
            throw new ConfigException("recipe '" + recipe.name() + "' uses method '" + recipe.method()
                    + "'; streaming quantization supports the data-free DVD-Quant recipes (method dvd) only");
        DvdQuantMethod.Settings s = DvdQuantMethod.settings(recipe);
        checkShapes(c, src);
        SequencedMap<String, Integer> selected = new LinkedHashMap<>();
        for (String l : linearOrder(c)) if (recipe.selects(l)) selected.put(l, selected.size());
        if (selected.isEmpty())
            throw new ConfigException("recipe '" + recipe.name() + "' selects no layer of " + src.describe());
        int bits = s.bgr().bits();
        List<SafetensorsStreamWriter.Spec> specs = new ArrayList<>();
        for (String n : src.names()) {
            String layer = n.endsWith(".weight") ? n.substring(0, n.length() - ".weight".length()) : null;
            TensorInfo ti = src.info(n);
            if (layer == null || !selected.containsKey(layer)) {
                specs.add(new SafetensorsStreamWriter.Spec(n, ti.dtype(), ti.shape()));
                continue;
            }
            long rows = ti.shape()[0], cols = ti.shape()[1];
            int group = s.bgr().groupSize() == 0 ? (int) cols : s.bgr().groupSize();
            if (cols % group != 0)
                throw new ConfigException("recipe '" + recipe.name() + "': group size " + group + " does not divide the input width "
                        + cols + " of '" + layer + "'");
            specs.add(new SafetensorsStreamWriter.Spec(layer + ".qweight", DType.U8, new long[]{rows, packed(bits, (int) cols) ? cols / 2 : cols}));
            specs.add(new SafetensorsStreamWriter.Spec(layer + ".scales", DType.F32, new long[]{rows, cols / group}));
            specs.add(new SafetensorsStreamWriter.Spec(layer + ".zeros", DType.F32, new long[]{rows, cols / group}));
        }
        List<LayerReport> reports = new ArrayList<>();
        long bytesOut = 0;
        double decodeS = 0, quantS = 0, writeS = 0;
        int copied = 0;
        // The header is written before any layer is quantized, so it holds only what is known up front; the stage
        // errors are in the returned summary (the command writes them to a report file beside the output).
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("format_version", VERSION);
        meta.put("recipe", RecipeJson.write(recipe));
        meta.put("config", c.toJson());
        meta.put("source", src.describe());
        meta.put("dvd_layers", layerSeedsJson(c, src, selected, s));
        try (SafetensorsStreamWriter w = SafetensorsStreamWriter.create(out, specs, meta, true)) {
            for (String n : src.names()) {
                String layer = n.endsWith(".weight") ? n.substring(0, n.length() - ".weight".length()) : null;
                if (layer != null && selected.containsKey(layer)) continue;
                long t0 = System.nanoTime();
                w.write(n, src.segment(n));
                release(src.segment(n));
                writeS += (System.nanoTime() - t0) / 1e9;
                bytesOut += src.info(n).bytes();
                copied++;
            }
            for (var e : selected.entrySet()) {
                String layer = e.getKey(), wn = layer + ".weight";
                TensorInfo ti = src.info(wn);
                int out0 = (int) ti.shape()[0], in = (int) ti.shape()[1];
                long t0 = System.nanoTime();
                MemorySegment seg = src.segment(wn);
                float[] wt = TensorCodec.toFloats(seg, ti.dtype(), Math.multiplyExact(out0, in));
                release(seg);
                try {
                    io.vdq.quant.QuantTargets.requireFinite(layer, wt, out0, in, null);
                } catch (ConfigException x) {
                    throw new CheckpointException(src.describe() + ": " + x.getMessage(), x);
                }
                long t1 = System.nanoTime();
                Arq arq = new Arq(in, s.arq(), DvdQuantMethod.layerSeed(s, e.getValue()));
                Bgr.Result q = DvdQuantMethod.quantizeWeights(arq, wt, out0, s.bgr());
                wt = null;
                long t2 = System.nanoTime();
                requireFinite(out, layer + ".scales", q.scales());
                requireFinite(out, layer + ".zeros", q.zeros());
                byte[] codes = q.codes();
                w.write(layer + ".qweight", packed(bits, in) ? packInt4(codes) : codes);
                w.writeFloats(layer + ".scales", q.scales(), 0, q.scales().length);
                w.writeFloats(layer + ".zeros", q.zeros(), 0, q.zeros().length);
                long t3 = System.nanoTime();
                decodeS += (t1 - t0) / 1e9;
                quantS += (t2 - t1) / 1e9;
                writeS += (t3 - t2) / 1e9;
                bytesOut += (packed(bits, in) ? codes.length / 2 : codes.length) + 8L * q.scales().length;
                LayerReport.WeightStages st = DvdQuantMethod.stages(q.error());
                LayerReport lr = new LayerReport(layer, out0, in, bits, recipe.activationBits(),
                        q.error().refined() / ((double) out0 * in), Math.sqrt(st.refined()),
                        String.format(java.util.Locale.ROOT, "it %.1f | H%d Λ%s", q.error().meanIterations(), arq.rotationBlock(),
                                s.arq().scaling() == Arq.Scaling.OFF ? "off" : String.valueOf(arq.scaleBlock())), st);
                reports.add(lr);
                if (progress != null) progress.layer(reports.size(), selected.size(), lr);
            }
            w.commit();
        }
        return new Summary(reports, copied, bytesOut, decodeS, quantS, writeS);
    }

    /** No quantizer output may be NaN or infinite (the weights were checked; this guards the quantizer itself). */
    private static void requireFinite(Path out, String tensor, float[] v) {
        for (int i = 0; i < v.length; i++)
            if (!Float.isFinite(v[i]))
                throw new CheckpointException(out + ": tensor '" + tensor + "' element " + i + " is " + v[i]
                        + ": refusing to save a non-finite value");
    }

    /** Whether codes are stored two per byte. */
    static boolean packed(int bits, int cols) { return bits == 4 && cols % 2 == 0; }

    /** Two unsigned 4-bit codes per byte, element 2i in the low nibble (the {@link IntPacking} convention). */
    static byte[] packInt4(byte[] codes) {
        byte[] p = new byte[codes.length / 2];
        for (int i = 0; i < p.length; i++) p[i] = (byte) ((codes[2 * i] & 0x0F) | ((codes[2 * i + 1] & 0x0F) << 4));
        return p;
    }

    /** Gives the pages of a mapped tensor back to the OS (no-op for heap segments). */
    private static void release(MemorySegment seg) {
        if (seg.isMapped()) seg.unload();
    }

    /** Per selected layer: index, rotation seed, Hadamard and Λ block, bits, group size and packing (static facts). */
    private static String layerSeedsJson(WanConfig c, TensorSource src, Map<String, Integer> selected, DvdQuantMethod.Settings s) {
        ObjectNode root = JSON.createObjectNode();
        for (var e : selected.entrySet()) {
            int in = (int) src.info(e.getKey() + ".weight").shape()[1];
            Arq arq = new Arq(in, s.arq(), DvdQuantMethod.layerSeed(s, e.getValue()));
            ObjectNode o = root.putObject(e.getKey());
            o.put("index", e.getValue());
            o.put("seed", DvdQuantMethod.layerSeed(s, e.getValue()));
            o.put("rotation_block", arq.rotationBlock());
            o.put("scale_block", s.arq().scaling() == Arq.Scaling.OFF ? 0 : arq.scaleBlock());
            o.put("bits", s.bgr().bits());
            o.put("group_size", s.bgr().groupSize() == 0 ? in : s.bgr().groupSize());
            o.put("packing", packed(s.bgr().bits(), in) ? "int4-low-nibble-first" : "u8");
        }
        return root.toString();
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
