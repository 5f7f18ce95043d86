package io.vdq.scale;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException.CheckpointException;
import io.vdq.VdqException.ConfigException;
import io.vdq.io.AtomicFiles;
import io.vdq.io.DType;
import io.vdq.io.SafetensorsFile;
import io.vdq.io.SafetensorsStreamWriter;
import io.vdq.io.SafetensorsWriter;
import io.vdq.io.TensorInfo;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanParameters;
import io.vdq.tensor.Parallel;
import io.vdq.tensor.Tensor;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.LongConsumer;

/**
 * A random Wan checkpoint in the diffusers layout ({@code config.json} + {@code diffusion_pytorch_model.safetensors},
 * every tensor of {@link WanParameters#expectedShapes}), written tensor by tensor: only one tensor is ever in
 * memory, so a Wan2.1-1.3B-shaped file (2.8 GB in BF16) needs about 60 MB of heap.
 *
 * <p>Values (the weight rules follow {@code WanModel.random}, with a heavy-tailed distribution and outliers):
 * <ul>
 * <li>linear and patch-embedding weights: {@code dist} with unit variance scaled by 1/sqrt(fan-in); then, per
 *     weight, {@code outliers} input channels (columns, chosen at random per tensor) multiplied by
 *     {@code outlierScale} — the per-input-channel outliers that make per-row weight ranges wide;</li>
 * <li>biases N(0, 0.02²); norm weights 1 + N(0, 0.05²); modulation tables N(0, 1/dim);</li>
 * <li>each block's {@code scale_shift_table} (shift, scale, gate of attention, then of the FFN) additionally gets
 *     {@code outliers} hidden channels (chosen per block) whose scale entries (rows 1 and 4) are raised by
 *     outlierScale − 1 and whose shift entries (rows 0 and 3) by ±outlierScale/2: after adaLN those channels of
 *     the block linears' inputs are ~outlierScale× larger and off-centre (activation outlier channels).</li>
 * <li>residual-stream outliers ({@code residualOutliers} &gt; 0): that many output channels of the patch embedding
 *     (chosen once per checkpoint) get their weight rows multiplied by {@code residualWeightScale} and their bias
 *     by {@code residualBiasScale}. Those channels of the hidden state are large from the first block on and carry
 *     a token-independent offset (the bias) through every block: the residual stream's outlier channels, which
 *     every LayerNorm passes on to the block linears' inputs. The issue #31 checkpoint uses dim/12 channels,
 *     weights ×8, bias ×25.</li>
 * </ul>
 * Deterministic: every tensor draws from its own generator (seed mixed with the tensor name), in fixed chunks of
 * rows with their own generators, so the file is byte-identical for any thread count.
 */
public final class SyntheticCheckpoint {
    private static final System.Logger LOG = System.getLogger(SyntheticCheckpoint.class.getName());
    private static final int CHUNK_ROWS = 64;
    public static final String WEIGHTS_FILE = "diffusion_pytorch_model.safetensors";
    /** The diffusers index of a sharded transformer. */
    public static final String INDEX_FILE = "diffusion_pytorch_model.safetensors.index.json";

    private SyntheticCheckpoint() {}

    /**
     * @param dist         weight distribution (unit variance before scaling)
     * @param outliers     outlier channels per weight (input columns) and per block modulation table
     * @param outlierScale factor of the outlier channels (≥ 1)
     * @param seed         master seed
     * @param dtype        stored type (BF16 as released Wan checkpoints; F32 or F16 also work)
     */
    public record Options(HeavyTailed dist, int outliers, double outlierScale, long seed, DType dtype,
                          int residualOutliers, double residualWeightScale, double residualBiasScale) {
        /** No residual-stream outliers. */
        public Options(HeavyTailed dist, int outliers, double outlierScale, long seed, DType dtype) {
            this(dist, outliers, outlierScale, seed, dtype, 0, 1, 1);
        }

        /** The bias factor that goes with a residual weight factor by default: 25/8 of it (×8 weights, ×25 bias). */
        public static double defaultResidualBiasScale(double weightScale) { return weightScale * 25.0 / 8.0; }

        public Options {
            if (residualOutliers < 0) throw new ConfigException("--residual-outliers must be >= 0, got " + residualOutliers);
            if (!(residualWeightScale > 0 && Double.isFinite(residualWeightScale) && residualBiasScale > 0 && Double.isFinite(residualBiasScale)))
                throw new ConfigException("--residual-outlier-scale and --residual-outlier-bias-scale must be finite numbers > 0, got "
                        + residualWeightScale + " and " + residualBiasScale);
            if (outliers < 0) throw new ConfigException("--outliers must be >= 0, got " + outliers);
            if (!(outlierScale >= 1 && Double.isFinite(outlierScale)))
                throw new ConfigException("--outlier-scale must be a finite number >= 1, got " + outlierScale);
            if (dtype != DType.BF16 && dtype != DType.F16 && dtype != DType.F32)
                throw new ConfigException("--dtype " + dtype + ": expected BF16, F16 or F32");
        }
    }

    /** The named configurations: wan2.1-1.3b, wan2.1-14b (T2V) and tiny (the diffusers test model). */
    public static WanConfig shape(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "wan2.1-1.3b", "1.3b" -> WanConfig.wan21T2V1_3B();
            case "wan2.1-14b", "14b" -> new WanConfig(1, 2, 2, 40, 128, 16, 16, 4096, 256, 13824, 40, true,
                    WanConfig.QK_NORM_ACROSS_HEADS, 1e-6f, 1024);
            case "tiny" -> WanConfig.tiny();
            default -> throw new ConfigException("--shape '" + name + "': expected wan2.1-1.3b, wan2.1-14b or tiny");
        };
    }

    /** Writes config.json and the weights (one file) into {@code dir}; {@code progress} receives the bytes written so far. */
    public static void write(WanConfig c, Path dir, Options o, LongConsumer progress) {
        write(c, dir, o, 0, progress);
    }

    /**
     * Writes config.json and the weights into {@code dir}: one {@value #WEIGHTS_FILE} when {@code shardBytes} ≤ 0 or
     * the weights fit in it, else shards {@code diffusion_pytorch_model-0000i-of-0000N.safetensors} of at most
     * {@code shardBytes} each (a tensor larger than that gets a shard of its own), tensors in
     * {@link WanParameters#expectedShapes} order (whole blocks, in block order), with the diffusers index
     * {@value #INDEX_FILE}. Every shard is committed atomically; a shard already in place with the same tensors and
     * the same {@code vdq_synthetic} description (the values are a function of them) is kept, so an interrupted write
     * resumes at the first missing shard. config.json is written last: a folder without it is incomplete.
     */
    public static void write(WanConfig c, Path dir, Options o, long shardBytes, LongConsumer progress) {
        Map<String, int[]> shapes = WanParameters.expectedShapes(c);
        List<List<SafetensorsStreamWriter.Spec>> shards = new ArrayList<>();
        List<SafetensorsStreamWriter.Spec> cur = new ArrayList<>();
        long curBytes = 0, total = 0;
        for (var e : shapes.entrySet()) {
            long[] s = new long[e.getValue().length];
            for (int i = 0; i < s.length; i++) s[i] = e.getValue()[i];
            SafetensorsStreamWriter.Spec spec = new SafetensorsStreamWriter.Spec(e.getKey(), o.dtype(), s);
            if (shardBytes > 0 && !cur.isEmpty() && curBytes + spec.bytes() > shardBytes) {
                shards.add(cur);
                cur = new ArrayList<>();
                curBytes = 0;
            }
            cur.add(spec);
            curBytes += spec.bytes();
            total += spec.bytes();
        }
        shards.add(cur);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("vdq_synthetic", String.format(Locale.ROOT, "%s weights, %d outlier channels x%.3g, seed %d",
                o.dist(), o.outliers(), o.outlierScale(), o.seed())
                + (o.residualOutliers() > 0 ? String.format(Locale.ROOT, ", %d residual outlier channels (patch embedding weight x%.3g, bias x%.3g)",
                o.residualOutliers(), o.residualWeightScale(), o.residualBiasScale()) : ""));
        ObjectNode index = new ObjectMapper().createObjectNode();
        index.putObject("metadata").put("total_size", total);
        ObjectNode weightMap = index.putObject("weight_map");
        long done = 0;
        for (int k = 0; k < shards.size(); k++) {
            String file = shards.size() == 1 ? WEIGHTS_FILE : shardName(k, shards.size());
            List<SafetensorsStreamWriter.Spec> specs = shards.get(k);
            for (SafetensorsStreamWriter.Spec s : specs) weightMap.put(s.name(), file);
            Path target = dir.resolve(file);
            if (shards.size() > 1 && complete(target, specs, meta.get("vdq_synthetic"))) {
                for (SafetensorsStreamWriter.Spec s : specs) done += s.bytes();
                LOG.log(Level.INFO, () -> "kept " + target + " (already written)");
                if (progress != null) progress.accept(done);
                continue;
            }
            try (SafetensorsStreamWriter w = SafetensorsStreamWriter.create(target, specs, meta)) {
                for (var e : w.specs().entrySet()) {
                    float[] v = tensor(c, e.getKey(), shapes.get(e.getKey()), o);
                    w.writeFloats(e.getKey(), v, 0, v.length);
                    done += e.getValue().bytes();
                    if (progress != null) progress.accept(done);
                }
                w.commit();
            }
        }
        if (shards.size() > 1)
            AtomicFiles.writeBytes(dir.resolve(INDEX_FILE), index.toPrettyString().getBytes(StandardCharsets.UTF_8));
        AtomicFiles.writeBytes(dir.resolve("config.json"), c.toJson().getBytes(StandardCharsets.UTF_8));
        LOG.log(Level.DEBUG, () -> "wrote synthetic checkpoint " + dir);
    }

    /** The diffusers name of shard {@code k} (from 0) of {@code n}. */
    static String shardName(int k, int n) {
        return String.format(Locale.ROOT, "diffusion_pytorch_model-%05d-of-%05d.safetensors", k + 1, n);
    }

    /** Whether {@code f} is a finished shard holding exactly {@code specs} from the same synthetic description. */
    private static boolean complete(Path f, List<SafetensorsStreamWriter.Spec> specs, String description) {
        if (!Files.isRegularFile(f)) return false;
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            if (!description.equals(sf.metadata().get("vdq_synthetic")) || sf.names().size() != specs.size()) return false;
            for (SafetensorsStreamWriter.Spec s : specs) {
                if (!sf.contains(s.name())) return false;
                TensorInfo t = sf.info(s.name());
                if (t.dtype() != s.dtype() || !Arrays.equals(t.shape(), s.shape())) return false;
            }
            return true;
        } catch (CheckpointException e) {
            return false;  // unreadable: written again
        }
    }

    /** The values of one tensor (row-major), exactly as {@link #write} stores them before encoding. */
    public static float[] tensor(WanConfig c, String name, int[] shape, Options o) {
        long n = 1;
        for (int d : shape) n *= d;
        if (n > Integer.MAX_VALUE - 16) throw new ConfigException("tensor '" + name + "' has " + n + " values, too many for one array");
        float[] a = new float[(int) n];
        int rows = shape[0], cols = (int) (n / Math.max(1, rows));
        long ts = mix(o.seed(), name.hashCode());
        boolean weight = name.endsWith(".weight") && !name.contains("norm");
        HeavyTailed dist = weight ? o.dist() : new HeavyTailed(HeavyTailed.Kind.GAUSSIAN, 0);
        double scale, offset = 0;
        if (name.endsWith("scale_shift_table")) scale = 1.0 / Math.sqrt(c.dim());
        else if (name.contains("norm") && name.endsWith(".weight")) { scale = 0.05; offset = 1; }
        else if (name.endsWith(".bias")) scale = 0.02;
        else scale = 1.0 / Math.sqrt(cols);
        double sc = scale, off = offset;
        int chunks = (rows + CHUNK_ROWS - 1) / CHUNK_ROWS;
        Parallel.forEach(chunks, k -> {
            SplittableRandom r = new SplittableRandom(mix(ts, k));
            int from = k * CHUNK_ROWS * cols, len = Math.min(CHUNK_ROWS, rows - k * CHUNK_ROWS) * cols;
            dist.fill(r, a, from, len, sc);
            if (off != 0) for (int i = from; i < from + len; i++) a[i] += (float) off;
        });
        if (o.outliers() > 0 && o.outlierScale() != 1) {
            SplittableRandom r = new SplittableRandom(mix(ts, -1));
            if (weight && shape.length >= 2) {
                for (int j : pick(r, cols, o.outliers()))
                    for (int i = 0; i < rows; i++) a[i * cols + j] *= (float) o.outlierScale();
            } else if (name.startsWith("blocks.") && name.endsWith("scale_shift_table")) {
                int d = c.dim();
                for (int j : pick(r, d, o.outliers())) {
                    double sign = r.nextBoolean() ? 1 : -1;
                    for (int row : new int[]{1, 4}) a[row * d + j] += (float) (o.outlierScale() - 1);
                    for (int row : new int[]{0, 3}) a[row * d + j] += (float) (sign * o.outlierScale() / 2);
                }
            }
        }
        if (o.residualOutliers() > 0 && name.startsWith("patch_embedding.")) {
            double f = name.endsWith(".bias") ? o.residualBiasScale() : o.residualWeightScale();
            for (int j : residualChannels(c, o))
                for (int i = 0; i < cols; i++) a[j * cols + i] *= (float) f;
        }
        return a;
    }

    /** The residual-stream channels that {@code o} amplifies (the same for the patch embedding's weight and bias). */
    public static int[] residualChannels(WanConfig c, Options o) {
        int[] ch = pick(new SplittableRandom(mix(o.seed(), "residual-outliers".hashCode())), c.dim(), o.residualOutliers());
        Arrays.sort(ch);
        return ch;
    }

    /** {@code k} distinct indices below {@code n} (all of them when k ≥ n), by a partial Fisher-Yates shuffle. */
    static int[] pick(SplittableRandom r, int n, int k) {
        k = Math.min(k, n);
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        for (int i = 0; i < k; i++) {
            int j = i + r.nextInt(n - i);
            int t = idx[i]; idx[i] = idx[j]; idx[j] = t;
        }
        return Arrays.copyOf(idx, k);
    }

    /** Writes {@code count} prompt embeddings {@code prompts/prompt-K.safetensors}, [tokens, text_dim] N(0, 1) (F32). */
    public static List<Path> writePrompts(WanConfig c, Path dir, int count, int tokens, long seed) {
        List<Path> out = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            Path p = dir.resolve("prompts").resolve("prompt-" + k + ".safetensors");
            new SafetensorsWriter().metadata("vdq_synthetic", "random prompt embedding " + k + ", seed " + seed)
                    .add("prompt_embeds", Tensor.randn(mix(seed, 1000 + k), tokens, c.textDim())).write(p);
            out.add(p);
        }
        return out;
    }

    /** SplitMix64 finaliser of seed + golden·salt: decorrelated seeds from a master seed and a salt. */
    static long mix(long seed, long salt) {
        long z = seed + 0x9E3779B97F4A7C15L * (salt + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
