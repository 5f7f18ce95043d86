package io.vdq.pipeline;

import io.vdq.VdqException.ConfigException;
import io.vdq.io.Checkpoints;
import io.vdq.io.TensorSource;
import io.vdq.io.gguf.GgmlType;
import io.vdq.io.gguf.GgufValue;
import io.vdq.io.gguf.GgufWriter;
import io.vdq.io.gguf.WanGguf;
import io.vdq.io.gguf.WanNames;
import io.vdq.io.gguf.WanQuantMix;
import io.vdq.model.wan.WanConfig;
import io.vdq.quant.GgmlEncoder;
import io.vdq.quant.calib.ColumnImportance;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code vdq export-gguf}'s work: a diffusers Wan transformer (or one in the original naming) to a GGUF that
 * ComfyUI-GGUF and stable-diffusion.cpp load: original Wan names, {@code general.architecture = wan}, the blocks'
 * linear weights in the chosen ggml type and the rest F16/F32 as those loaders expect ({@link WanNames#storageType}),
 * the 5-D patch embedding as F32 with no array keys, and {@code vdq.*} scalar keys (method, type, version, the
 * diffusers config). The block encoder is a registered {@link GgmlEncoder}; the calibration statistics it asks for
 * (Hessians, per-column mean squares) come from {@link GgufCalibration}. Tensors are read one at a time with
 * positional reads (not through the mapping, whose pages would stay resident) and encoded; the file is written
 * atomically through a channel.
 */
public final class GgufExport {
    private GgufExport() {}

    /**
     * @param model           the transformer folder or safetensors file
     * @param encoder         the block encoder ({@code --method})
     * @param importance      per layer (diffusers name), the mean squares of its calibration inputs read from a file; empty for none
     * @param importanceName  the name recorded for that file ({@code vdq.importance}); null without one
     * @param writeImportance where to write the calibration's mean squares, or null
     * @param log             progress lines, or null for none
     */
    public record Options(Path model, WanQuantMix mix, GgmlEncoder encoder, double damp, Map<String, float[]> importance,
                          String importanceName, Path writeImportance, PrintWriter log) {}

    /** Whether these options run calibration prompts: the encoder needs Hessians, or the mean squares are to be written. */
    public static boolean calibrates(GgmlEncoder encoder, Path writeImportance) { return encoder.needsHessian() || writeImportance != null; }

    /**
     * Writes {@code out}. {@code calibration} runs the calibration prompts over the model, given the layers whose
     * Hessians will be asked for in that order (null: only the mean squares); it is called only when
     * {@link #calibrates}.
     */
    public static void run(Options o, Function<List<String>, GgufCalibration.Result> calibration, Path out) {
        WanQuantMix mix = o.mix();
        GgmlEncoder enc = o.encoder();
        long t0 = System.nanoTime();
        WanConfig config = Checkpoints.configFile(o.model()).map(WanConfig::read).orElse(null);
        GgufCalibration.Result cal = null;
        Map<String, float[]> imp = o.importance();
        if (calibrates(enc, o.writeImportance())) {
            cal = calibration.apply(enc.needsHessian() ? hessianOrder(o.model(), mix) : null);
            if (o.writeImportance() != null && !enc.needsHessian()) writeImportance(cal, o);
            if (enc.usesImportance() && o.importanceName() == null) imp = cal.meanSquares();
        }
        GgufCalibration.Hessians hessians = cal == null ? null : cal.hessians();
        Map<String, float[]> weights = imp;
        try (TensorSource src = Checkpoints.open(o.model())) {
            boolean original = WanNames.isOriginal(src.names());
            record Item(String source, String wan) {}
            List<Item> items = new ArrayList<>();
            for (String n : src.names()) items.add(new Item(n, original ? n : WanNames.toWan(n, src.describe())));
            items.sort(Comparator.comparing((Item i) -> order(i.wan())));
            GgufWriter w = new GgufWriter().withDataDigest();
            w.put("general.architecture", GgufValue.string("wan"));
            String name = Checkpoints.resolve(o.model()).toAbsolutePath().getParent().getFileName().toString();
            w.put("general.name", GgufValue.string(name));
            w.put("general.file_type", GgufValue.u32(mix.fileType()));
            w.put("general.quantized_by", GgufValue.string("vdq"));
            w.put("vdq.version", GgufValue.string(version()));
            w.put("vdq.type", GgufValue.string(mix.name()));
            w.put("vdq.method", GgufValue.string(enc.name()));
            if (config != null) putConfig(w, config);
            if (o.importanceName() != null) w.put("vdq.importance", GgufValue.string(o.importanceName()));
            else if (enc.usesImportance() && cal != null) w.put("vdq.importance", GgufValue.string("calibration mean squares"));
            if (enc.needsHessian()) w.put("vdq.damp", GgufValue.f32((float) o.damp()));
            if (cal != null) w.put("vdq.calibration", GgufValue.string(cal.description()));
            // how vdq generate samples the model (its text encoder, pixel space, video size): the folder's vdq.json
            Path defaults = Checkpoints.resolve(o.model()).toAbsolutePath().getParent().resolve(ModelDefaults.FILE);
            if (Files.isRegularFile(defaults)) {
                try {
                    w.put(ModelDefaults.GGUF_KEY, GgufValue.string(Files.readString(defaults)));
                } catch (IOException e) {
                    throw new ConfigException(defaults + ": cannot read: " + e.getMessage());
                }
            }
            int[] done = {0};
            int total = items.size();
            for (Item it : items) {
                long[] shape = src.info(it.source()).shape();
                GgmlType st = WanNames.storageType(it.wan(), shape, mix.typeFor(it.wan()));
                w.tensor(it.wan(), st, shape, () -> {
                    float[] x = src.readFloatStreamed(it.source());   // positional reads: the input's pages do not stay in our resident set
                    int cols = shape.length == 0 ? 1 : Math.toIntExact(shape[shape.length - 1]);
                    int rows = cols == 0 ? 0 : x.length / cols;
                    float[] ms = enc.usesImportance() ? importanceOf(weights, it.source(), shape, original) : null;
                    MemorySegment s = MemorySegment.ofArray(enc.encode(it.source(), st, x, rows, cols, ms,
                            hessianOf(hessians, it.source(), shape, original, st, enc), o.damp()));
                    done[0]++;
                    if (o.log() != null && (st.quantized() || done[0] == total)) {
                        double sec = (System.nanoTime() - t0) / 1e9;
                        o.log().printf(Locale.ROOT, "export-gguf: %d/%d %s %s %s (%.1f s)%n", done[0], total, it.wan(), st,
                                Arrays.toString(shape), sec);
                        o.log().flush();
                    }
                    return s;
                });
            }
            w.write(out);
        }
        // with Hessians, the mean squares (their diagonals) are complete only once every pass has run
        if (o.writeImportance() != null && enc.needsHessian()) writeImportance(cal, o);
    }

    private static void writeImportance(GgufCalibration.Result cal, Options o) {
        Map<String, float[]> ms = cal.meanSquares();
        ColumnImportance.save(ms, o.writeImportance());
        if (o.log() != null) o.log().printf(Locale.ROOT, "export-gguf: wrote %s (%d layers)%n", o.writeImportance(), ms.size());
    }

    private static final Pattern BLOCK = Pattern.compile("blocks\\.(\\d+)\\.(.+)");

    /** The layers (diffusers prefixes) whose Hessians the export asks for, in the order it writes their weights. */
    private static List<String> hessianOrder(Path model, WanQuantMix mix) {
        try (TensorSource src = Checkpoints.open(model)) {
            boolean original = WanNames.isOriginal(src.names());
            List<String[]> items = new ArrayList<>();   // {wan name, diffusers name}
            for (String n : src.names()) {
                String wan = original ? n : WanNames.toWan(n, src.describe());
                long[] shape = src.info(n).shape();
                if (shape.length != 2 || !n.endsWith(".weight") || !WanNames.storageType(wan, shape, mix.typeFor(wan)).quantized()) continue;
                String d = original ? WanNames.toDiffusers(n, "calibration") : n;
                items.add(new String[]{wan, d.substring(0, d.length() - ".weight".length())});
            }
            items.sort(Comparator.comparing((String[] i) -> order(i[0])));
            List<String> out = new ArrayList<>();
            for (String[] i : items) out.add(i[1]);
            return out;
        }
    }

    /** The mean squares for a tensor, or null: only quantized 2-D linear weights whose layer has an importance vector. */
    private static float[] importanceOf(Map<String, float[]> imp, String name, long[] shape, boolean original) {
        if (imp.isEmpty() || shape.length != 2 || !name.endsWith(".weight")) return null;
        String layer = (original ? WanNames.toDiffusers(name, "importance") : name);
        layer = layer.substring(0, layer.length() - ".weight".length());
        float[] v = imp.get(layer);
        if (v == null) return null;
        if (v.length != shape[1])
            throw new ConfigException("--importance: layer '" + layer + "' has " + v.length + " weights, its input width is " + shape[1]);
        return v;
    }

    /** The calibration Hessian of a tensor's layer for an encoder that needs one, or null for tensors it does not encode with one. */
    private static double[] hessianOf(GgufCalibration.Hessians h, String name, long[] shape, boolean original, GgmlType st, GgmlEncoder enc) {
        if (h == null || !st.quantized() || shape.length != 2 || !name.endsWith(".weight")) return null;
        String layer = (original ? WanNames.toDiffusers(name, "calibration") : name);
        double[] v = h.get(layer.substring(0, layer.length() - ".weight".length()));
        if (v == null)
            throw new ConfigException("--method " + enc.name() + ": tensor '" + name + "' (" + st
                    + ") has no calibration Hessian: the calibration run never reached its layer");
        return v;
    }

    /** Globals first, then blocks by number, then the head; the patch embedding bias before its 5-D weight (city96's order). */
    static String order(String wan) {
        Matcher b = BLOCK.matcher(wan);
        if (b.matches()) return String.format(Locale.ROOT, "1 %08d %s", Integer.parseInt(b.group(1)), b.group(2));
        if (wan.startsWith("head.")) return "2 " + wan;
        if (wan.equals("patch_embedding.weight")) return "0 patch_embedding.zz";
        return "0 " + wan;
    }

    private static void putConfig(GgufWriter w, WanConfig c) {
        String p = WanGguf.KEY_PREFIX;
        w.put(p + "patch_t", GgufValue.u32(c.patchT()));
        w.put(p + "patch_h", GgufValue.u32(c.patchH()));
        w.put(p + "patch_w", GgufValue.u32(c.patchW()));
        w.put(p + "num_attention_heads", GgufValue.u32(c.numAttentionHeads()));
        w.put(p + "attention_head_dim", GgufValue.u32(c.attentionHeadDim()));
        w.put(p + "in_channels", GgufValue.u32(c.inChannels()));
        w.put(p + "out_channels", GgufValue.u32(c.outChannels()));
        w.put(p + "text_dim", GgufValue.u32(c.textDim()));
        w.put(p + "freq_dim", GgufValue.u32(c.freqDim()));
        w.put(p + "ffn_dim", GgufValue.u32(c.ffnDim()));
        w.put(p + "num_layers", GgufValue.u32(c.numLayers()));
        w.put(p + "cross_attn_norm", GgufValue.bool(c.crossAttnNorm()));
        w.put(p + "eps", GgufValue.f32(c.eps()));
        w.put(p + "rope_max_seq_len", GgufValue.u32(c.ropeMaxSeqLen()));
        if (c.predictsSample()) w.put(p + "sample_min_sigma", GgufValue.f32(c.sampleMinSigma()));
    }

    private static String version() {
        String v = GgufExport.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
