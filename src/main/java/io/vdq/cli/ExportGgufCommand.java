package io.vdq.cli;

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
import io.vdq.model.wan.WanModel;
import io.vdq.pipeline.CalibrationTexts;
import io.vdq.pipeline.GgufCalibration;
import io.vdq.pipeline.LoadedModel;
import io.vdq.pipeline.ModelDefaults;
import io.vdq.pipeline.ModelLoader;
import io.vdq.pipeline.QuantizePipeline;
import io.vdq.quant.gguf.ColumnImportance;
import io.vdq.quant.gguf.GgufEncoding;
import io.vdq.quant.gguf.GgufGptq;
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
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vdq export-gguf}: a diffusers Wan transformer (or one in the original naming) to a GGUF that
 * ComfyUI-GGUF and stable-diffusion.cpp load: original Wan names, {@code general.architecture = wan}, the blocks'
 * linear weights in the chosen ggml type and the rest F16/F32 as those loaders expect ({@link WanNames#storageType}),
 * the 5-D patch embedding as F32 with no array keys, and {@code vdq.*} scalar keys (method, type, version, the
 * diffusers config). Tensors are read one at a time with positional reads (not through the mapping, whose pages
 * would stay resident) and encoded; the file is written atomically through a channel.
 */
@Command(name = "export-gguf", mixinStandardHelpOptions = true,
        description = "Write a Wan transformer as a GGUF file for ComfyUI-GGUF / stable-diffusion.cpp.")
final class ExportGgufCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Diffusers Wan transformer folder (or safetensors file).")
    Path model;

    @Option(names = "--type", required = true, paramLabel = "TYPE",
            description = "ggml type of the blocks' linear weights: q8_0, q6_k, q5_k, q5_1, q5_0, q4_k, q4_1, q4_0, q3_k, q2_k, f16, bf16, f32, or a llama.cpp mix: q3_k_s/m/l, q4_k_s/m, q5_k_s/m (more bits for the v and ffn.2 projections).")
    String type;

    @Option(names = "--method", defaultValue = "ref", paramLabel = "ref|bgr|gptq",
            description = "Block encoder: ref (ggml's reference, as llama-quantize without imatrix), bgr (vdq's refinement, never worse per block) "
                    + "or gptq (error feedback through each layer's calibration Hessian; runs the model on the calibration prompts). Default: ${DEFAULT-VALUE}.")
    String method;

    @Option(names = "--calib-prompts", paramLabel = "FILE",
            description = "Calibration prompts for --method gptq / --write-importance, one per line ('#' comments); default: the demo's two ("
                    + "'a red triangle moving down', 'a blue circle moving up').")
    Path calibPrompts;

    @Option(names = "--calib-steps", paramLabel = "N", description = "Sampling steps per calibration prompt (default: the model's vdq.json steps).")
    Integer calibSteps;

    @Option(names = "--calib-frames", paramLabel = "F", description = "Calibration video frames (default: the model's vdq.json frames).")
    Integer calibFrames;

    @Option(names = "--calib-height", paramLabel = "H", description = "Calibration video height (default: the model's vdq.json height).")
    Integer calibHeight;

    @Option(names = "--calib-width", paramLabel = "W", description = "Calibration video width (default: the model's vdq.json width).")
    Integer calibWidth;

    @Option(names = "--seed", defaultValue = "0", description = "Calibration noise seed: prompt i uses seed + i (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--damp", defaultValue = "0.01", description = "--method gptq: dampening, a fraction of the mean diagonal of H (default ${DEFAULT-VALUE}).")
    double damp;

    @Option(names = "--write-importance", paramLabel = "FILE",
            description = "Run the calibration prompts and write each block linear's per-input-channel mean square (the --importance file) to FILE; "
                    + "with --method bgr and no --importance, the encoding also uses it.")
    Path writeImportance;

    @Option(names = "--importance", paramLabel = "FILE",
            description = "With --method bgr: per-column importance of each linear (safetensors of mean squares keyed by diffusers layer name, see quant.gguf.ColumnImportance); the weighted error is minimised.")
    Path importance;

    @Option(names = "--hessian-budget", defaultValue = "1000000000", paramLabel = "BYTES",
            description = "--method gptq: most bytes of calibration Hessians held at once; layers are calibrated in passes of this "
                    + "much, in the order they are written (at least one layer a pass; each pass reruns the calibration prompts). "
                    + "The output does not depend on it. Default: ${DEFAULT-VALUE}.")
    long hessianBudget;

    @Option(names = "--out", required = true, paramLabel = "FILE.gguf", description = "Output file.")
    Path out;

    @Option(names = "--quiet", description = "No progress output.")
    boolean quiet;

    private static final Pattern BLOCK = Pattern.compile("blocks\\.(\\d+)\\.(.+)");

    @Override public Integer call() {
        WanQuantMix mix = WanQuantMix.parse(type);
        if (mix == null)
            throw new ConfigException("--type: '" + type + "' is not one of " + Arrays.toString(GgmlType.values()).toLowerCase(Locale.ROOT)
                    + " or q3_k_s, q3_k_m, q3_k_l, q4_k_s, q4_k_m, q5_k_s, q5_k_m");
        if (Files.isDirectory(out)) throw new ConfigException("--out " + out + ": is a folder; give a .gguf file");
        GgmlType t = mix.base();
        GgufEncoding.Method m = GgufEncoding.Method.parse(method);
        PrintWriter log = spec.commandLine().getErr();
        if (importance != null && m != GgufEncoding.Method.BGR)
            throw new ConfigException("--importance needs --method bgr (ggml's reference encoder takes no weights; gptq uses its Hessian)");
        boolean calibrate = m == GgufEncoding.Method.GPTQ || writeImportance != null;
        if (!calibrate && (calibPrompts != null || calibSteps != null || calibFrames != null || calibHeight != null || calibWidth != null))
            throw new ConfigException("--calib-* options need --method gptq or --write-importance (nothing else runs calibration)");
        if (!(damp >= 0)) throw new ConfigException("--damp " + damp + ": expected >= 0");
        Map<String, float[]> imp = importance == null ? Map.of() : ColumnImportance.load(importance);
        WanConfig config = Checkpoints.configFile(model).map(WanConfig::read).orElse(null);
        long t0 = System.nanoTime();
        if (hessianBudget < 1) throw new ConfigException("--hessian-budget " + hessianBudget + ": expected a positive number of bytes");
        GgufCalibration.Result cal = null;
        if (calibrate) {
            cal = calibrate(m == GgufEncoding.Method.GPTQ ? hessianOrder(t, mix) : null, log);
            if (writeImportance != null && m != GgufEncoding.Method.GPTQ) writeImportance(cal, log);
            if (m == GgufEncoding.Method.BGR && importance == null) imp = cal.meanSquares();
        }
        GgufCalibration.Hessians hessians = cal == null ? null : cal.hessians();
        Map<String, float[]> weights = imp;
        try (TensorSource src = Checkpoints.open(model)) {
            boolean original = WanNames.isOriginal(src.names());
            record Item(String source, String wan) {}
            List<Item> items = new ArrayList<>();
            for (String n : src.names()) items.add(new Item(n, original ? n : WanNames.toWan(n, src.describe())));
            items.sort(Comparator.comparing((Item i) -> order(i.wan())));
            GgufWriter w = new GgufWriter().withDataDigest();
            w.put("general.architecture", GgufValue.string("wan"));
            String name = Checkpoints.resolve(model).toAbsolutePath().getParent().getFileName().toString();
            w.put("general.name", GgufValue.string(name));
            w.put("general.file_type", GgufValue.u32(mix.fileType()));
            w.put("general.quantized_by", GgufValue.string("vdq"));
            w.put("vdq.version", GgufValue.string(version()));
            w.put("vdq.type", GgufValue.string(mix.name()));
            w.put("vdq.method", GgufValue.string(m.name().toLowerCase(Locale.ROOT)));
            if (config != null) putConfig(w, config);
            if (importance != null) w.put("vdq.importance", GgufValue.string(importance.getFileName().toString()));
            else if (m == GgufEncoding.Method.BGR && cal != null) w.put("vdq.importance", GgufValue.string("calibration mean squares"));
            if (m == GgufEncoding.Method.GPTQ) w.put("vdq.damp", GgufValue.f32((float) damp));
            if (cal != null) w.put("vdq.calibration", GgufValue.string(cal.description()));
            // how vdq generate samples the model (its text encoder, pixel space, video size): the folder's vdq.json
            Path defaults = Checkpoints.resolve(model).toAbsolutePath().getParent().resolve(ModelDefaults.FILE);
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
                    MemorySegment s = MemorySegment.ofArray(encode(src, it.source(), shape, st, m, importanceOf(weights, it.source(), shape, original),
                            hessianOf(hessians, it.source(), shape, original, st)));
                    done[0]++;
                    if (!quiet && (st.quantized() || done[0] == total)) {
                        double sec = (System.nanoTime() - t0) / 1e9;
                        log.printf(Locale.ROOT, "export-gguf: %d/%d %s %s %s (%.1f s)%n", done[0], total, it.wan(), st,
                                Arrays.toString(shape), sec);
                        log.flush();
                    }
                    return s;
                });
            }
            w.write(out);
        }
        // with Hessians, the mean squares (their diagonals) are complete only once every pass has run
        if (writeImportance != null && m == GgufEncoding.Method.GPTQ) writeImportance(cal, log);
        spec.commandLine().getOut().printf(Locale.ROOT, "wrote %s (%s, method %s) in %.1f s%n", out, mix.name(), m.name().toLowerCase(Locale.ROOT),
                (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    private void writeImportance(GgufCalibration.Result cal, PrintWriter log) {
        Map<String, float[]> ms = cal.meanSquares();
        ColumnImportance.save(ms, writeImportance);
        if (!quiet) log.printf(Locale.ROOT, "export-gguf: wrote %s (%d layers)%n", writeImportance, ms.size());
    }

    /** The layers (diffusers prefixes) whose Hessians the export asks for, in the order it writes their weights. */
    private List<String> hessianOrder(GgmlType t, WanQuantMix mix) {
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

    /** The weights for a tensor, or null: only quantized 2-D linear weights whose layer has an importance vector. */
    private static float[] importanceOf(Map<String, float[]> imp, String name, long[] shape, boolean original) {
        if (imp.isEmpty() || shape.length != 2 || !name.endsWith(".weight")) return null;
        String layer = (original ? WanNames.toDiffusers(name, "importance") : name);
        layer = layer.substring(0, layer.length() - ".weight".length());
        float[] v = imp.get(layer);
        if (v == null) return null;
        if (v.length != shape[1])
            throw new ConfigException("--importance: layer '" + layer + "' has " + v.length + " weights, its input width is " + shape[1]);
        return ColumnImportance.weights(v);
    }

    /** Loads --model as a Wan model and runs the calibration prompts over it (see {@link GgufCalibration}). */
    private GgufCalibration.Result calibrate(List<String> hessianOrder, PrintWriter log) {
        List<String> prompts = calibPrompts == null ? null : QuantizeCommand.readPrompts(calibPrompts);
        LoadedModel lm = ModelLoader.load(model.toString(), null);
        if (lm.quantized() != null || lm.twoExperts())
            throw new ConfigException("--model " + model + ": calibration needs one float transformer (not a quantized checkpoint or a two-expert pipeline)");
        WanModel wan = lm.model();
        WanConfig c = wan.config();
        ModelDefaults d = lm.defaults();
        int steps = calibSteps != null ? calibSteps : d.steps();
        if (steps < 1 || steps > GenerateCommand.MAX_STEPS)
            throw new ConfigException("--calib-steps " + steps + ": expected 1.." + GenerateCommand.MAX_STEPS);
        int f = calibFrames != null ? calibFrames : d.frames(), h = calibHeight != null ? calibHeight : d.height(),
                wd = calibWidth != null ? calibWidth : d.width();
        int[] shape = d.pixelSpace() ? GenerateCommand.pixelShape(c, f, h, wd) : GenerateCommand.latentShape(c, f, h, wd);
        // the recipe is not used: only the calibration runs of these settings are
        var settings = new QuantizePipeline.Settings(null, prompts, seed, steps, shape, d.guidance(), d.shift(), 1,
                CalibrationTexts.supplier(model.toString(), prompts, null, c, System.err, quiet), false);
        QuantizePipeline.Progress progress = quiet ? QuantizePipeline.Progress.NONE : new QuantizePipeline.Progress() {
            @Override public void layer(int done, int total, String name, double outputRelL2, double elapsedS) {}
            @Override public void stage(String message) { log.println("export-gguf: " + message); log.flush(); }
        };
        return GgufCalibration.run(wan, settings, hessianOrder, hessianBudget, progress);
    }

    /** The calibration Hessian of a tensor's layer for --method gptq, or null for tensors that are not encoded by it. */
    private static double[] hessianOf(GgufCalibration.Hessians h, String name, long[] shape, boolean original, GgmlType st) {
        if (h == null || !st.quantized() || shape.length != 2 || !name.endsWith(".weight")) return null;
        String layer = (original ? WanNames.toDiffusers(name, "calibration") : name);
        double[] v = h.get(layer.substring(0, layer.length() - ".weight".length()));
        if (v == null)
            throw new ConfigException("--method gptq: tensor '" + name + "' (" + st + ") has no calibration Hessian: the calibration run never reached its layer");
        return v;
    }

    private byte[] encode(TensorSource src, String name, long[] shape, GgmlType t, GgufEncoding.Method m, float[] imp, double[] hessian) {
        float[] x = src.readFloatStreamed(name);   // positional reads: the input's pages do not stay in our resident set
        int cols = shape.length == 0 ? 1 : Math.toIntExact(shape[shape.length - 1]);
        int rows = cols == 0 ? 0 : x.length / cols;
        if (m == GgufEncoding.Method.GPTQ && t.quantized())
            return GgufGptq.encode(name, t, x, rows, cols, hessian, damp, GgufGptq.Search.BGR).bytes();
        return GgufEncoding.encode(t, m == GgufEncoding.Method.GPTQ ? GgufEncoding.Method.REF : m, x, rows, cols, t.quantized() ? imp : null);
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
        String v = ExportGgufCommand.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
