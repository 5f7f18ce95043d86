package io.vdq.model.wan;

import io.vdq.VdqException.CheckpointException;
import io.vdq.VdqException.ConfigException;
import io.vdq.VdqException.ShapeException;
import io.vdq.VdqException;
import io.vdq.io.AtomicFiles;
import io.vdq.io.InMemoryTensorSource;
import io.vdq.io.SafetensorsWriter;
import io.vdq.io.TensorDigests;
import io.vdq.io.TensorSource;
import io.vdq.kernel.KernelBackend;
import io.vdq.kernel.Kernels;
import io.vdq.model.AttentionKernel;
import io.vdq.model.FloatLinear;
import io.vdq.model.Linear;
import io.vdq.model.LinearRegistry;
import io.vdq.tensor.Parallel;
import io.vdq.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.SplittableRandom;

/**
 * The Wan2.1 text-to-video transformer, batch 1, as diffusers' {@code WanTransformer3DModel} computes it.
 * Every {@code nn.Linear} (and the patch embedding, a Conv3d with kernel = stride, i.e. a linear over flattened
 * patches) is a {@link Linear} registered under its diffusers prefix. Inputs: latents {@code [C, F, H, W]},
 * a timestep (the model input, σ·1000 for flow matching), text embeddings {@code [L, text_dim]}.
 */
public final class WanModel implements LinearRegistry, AttentionKernel.Configurable {
    private final WanConfig c;
    private final SequencedMap<String, Linear> linears = new LinkedHashMap<>();
    private final List<WanBlock> blocks = new ArrayList<>();
    private final float[] headTable; // 2 × dim: shift, scale

    private final Map<String, Linear> prebuilt; // layers given ready-made (a quantized checkpoint), empty otherwise

    private WanModel(WanConfig c, Map<String, Tensor> t, Map<String, Linear> prebuilt) {
        this.c = c;
        this.prebuilt = prebuilt;
        int d = c.dim();
        putLinear("patch_embedding", t, d, c.patchIn());
        putLinear("condition_embedder.time_embedder.linear_1", t, d, c.freqDim());
        putLinear("condition_embedder.time_embedder.linear_2", t, d, d);
        putLinear("condition_embedder.time_proj", t, 6 * d, d);
        putLinear("condition_embedder.text_embedder.linear_1", t, d, c.textDim());
        putLinear("condition_embedder.text_embedder.linear_2", t, d, d);
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "blocks." + i + ".";
            WanBlock b = new WanBlock(c, arr(t, p + "scale_shift_table"),
                    arr(t, p + "attn1.norm_q.weight"), arr(t, p + "attn1.norm_k.weight"),
                    arr(t, p + "attn2.norm_q.weight"), arr(t, p + "attn2.norm_k.weight"),
                    c.crossAttnNorm() ? arr(t, p + "norm2.weight") : null,
                    c.crossAttnNorm() ? arr(t, p + "norm2.bias") : null);
            for (int j = 0; j < WanParameters.BLOCK_LINEARS.size(); j++) {
                String name = p + WanParameters.BLOCK_LINEARS.get(j);
                int out = j == WanBlock.FF1 ? c.ffnDim() : d, in = j == WanBlock.FF2 ? c.ffnDim() : d;
                b.linears[j] = putLinear(name, t, out, in);
            }
            blocks.add(b);
        }
        headTable = arr(t, "scale_shift_table");
        putLinear("proj_out", t, c.patchOut(), d);
    }

    private Linear putLinear(String name, Map<String, Tensor> t, int out, int in) {
        Linear l = prebuilt.get(name);
        if (l != null && (l.outFeatures() != out || l.inFeatures() != in))
            throw new ShapeException("layer '" + name + "' is " + l.outFeatures() + "×" + l.inFeatures() + ", expected "
                    + out + "×" + in + " (out×in) for this config");
        if (l == null) l = new FloatLinear(arr(t, name + ".weight"), arr(t, name + ".bias"), out, in);
        linears.put(name, l);
        return l;
    }

    private static float[] arr(Map<String, Tensor> t, String name) {
        return t.get(name).toArray();
    }

    public WanConfig config() { return c; }

    /**
     * Loads the weights from a source with diffusers names (or the original Wan names, which are mapped).
     * Every expected tensor must be present with its exact shape and no unexpected tensor may remain. Float32
     * tensors that cover their whole array are used without a copy (the model then shares them with the source).
     */
    public static WanModel load(WanConfig c, TensorSource src) { return load(c, src, Map.of()); }

    /**
     * As {@link #load(WanConfig, TensorSource)}, with some linear layers given ready-made (e.g. rebuilt from a
     * quantized checkpoint): their {@code .weight} and {@code .bias} are not read from (and must not be in) the source.
     */
    public static WanModel load(WanConfig c, TensorSource src, Map<String, Linear> prebuilt) {
        SequencedMap<String, int[]> expected = new LinkedHashMap<>(WanParameters.expectedShapes(c));
        for (String name : prebuilt.keySet()) {
            if (expected.remove(name + ".weight") == null)
                throw new ConfigException("Wan model has no linear layer '" + name + "' (" + c.numLayers() + " blocks)");
            expected.remove(name + ".bias");
        }
        Map<String, String> diffToFile = new LinkedHashMap<>();
        boolean original = WanParameters.isOriginalNaming(src.names());
        List<String> extra = new ArrayList<>();
        for (String n : src.names()) {
            if (WanParameters.ignoredOnLoad(n)) continue;
            String dn = original ? WanParameters.fromOriginal(n, src.describe()) : n;
            if (!expected.containsKey(dn)) { extra.add(n); continue; }
            diffToFile.put(dn, n);
        }
        if (!extra.isEmpty())
            throw new CheckpointException(src.describe() + ": unexpected tensor" + (extra.size() > 1 ? "s " : " ")
                    + String.join(", ", extra.subList(0, Math.min(5, extra.size())))
                    + (extra.size() > 5 ? " (+" + (extra.size() - 5) + " more)" : "")
                    + " for a Wan text-to-video model with " + c.numLayers() + " layers");
        Map<String, Tensor> tensors = new HashMap<>();
        for (var e : expected.entrySet()) {
            String file = diffToFile.get(e.getKey());
            String shown = file == null || file.equals(e.getKey()) ? e.getKey() : file + " (" + e.getKey() + ")";
            if (file == null)
                throw new CheckpointException(src.describe() + ": missing tensor '" + e.getKey() + "' of shape "
                        + Arrays.toString(e.getValue()));
            int[] have = src.info(file).intShape();
            if (!Arrays.equals(have, e.getValue()))
                throw new CheckpointException(src.describe() + ": tensor '" + shown + "' has shape " + Arrays.toString(have)
                        + ", expected " + Arrays.toString(e.getValue()) + " for this config");
            tensors.put(e.getKey(), src.readFloat(file));
        }
        return new WanModel(c, tensors, Map.copyOf(prebuilt));
    }

    /**
     * A model with deterministic small random weights (linear weights N(0, 1/in), biases N(0, 0.02²), norm
     * weights 1 + N(0, 0.05²), modulation tables N(0, 1/dim)): the same seed gives the same model anywhere.
     */
    public static WanModel random(WanConfig c, long seed) {
        return load(c, new InMemoryTensorSource(randomTensors(c, seed)));
    }

    static Map<String, Tensor> randomTensors(WanConfig c, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (var e : WanParameters.expectedShapes(c).entrySet()) {
            String name = e.getKey();
            int[] shape = e.getValue();
            Tensor t = Tensor.zeros(shape);
            float[] a = t.data();
            Tensor.fillGaussian(rng.split(), a, 0, a.length);
            double scale, offset = 0;
            if (name.endsWith("scale_shift_table")) scale = 1.0 / Math.sqrt(c.dim());
            else if (name.contains("norm") && name.endsWith(".weight")) { scale = 0.05; offset = 1; }
            else if (name.endsWith(".bias")) scale = 0.02;
            else { int in = 1; for (int i = 1; i < shape.length; i++) in *= shape[i]; scale = 1.0 / Math.sqrt(in); }
            for (int i = 0; i < a.length; i++) a[i] = (float) (offset + scale * a[i]);
            m.put(name, t);
        }
        return m;
    }

    /** All parameters with diffusers names and shapes (every linear must still be a {@link FloatLinear}). */
    public SequencedMap<String, Tensor> toTensors() { return toTensors(false); }

    /**
     * The parameters that are still float: everything except the weight and bias of linears that are not
     * {@link FloatLinear} (a quantized model's float part; the quantized layers are saved by their own writer).
     */
    public SequencedMap<String, Tensor> floatTensors() { return toTensors(true); }

    private SequencedMap<String, Tensor> toTensors(boolean skipNonFloat) {
        SequencedMap<String, Tensor> m = new LinkedHashMap<>();
        for (var e : WanParameters.expectedShapes(c).entrySet()) {
            String name = e.getKey();
            float[] data;
            if (name.endsWith(".weight") || name.endsWith(".bias")) {
                String prefix = name.substring(0, name.lastIndexOf('.'));
                Linear l = linears.get(prefix);
                if (l != null) {
                    if (skipNonFloat && !(l instanceof FloatLinear)) continue;
                    if (!(l instanceof FloatLinear fl))
                        throw new VdqException("cannot export '" + prefix + "': it is a " + l.getClass().getSimpleName()
                                + ", not a float linear; export quantized layers with their method's writer");
                    data = name.endsWith(".weight") ? fl.weight() : fl.bias();
                    m.put(name, Tensor.of(data.clone(), e.getValue()));
                    continue;
                }
            }
            m.put(name, Tensor.of(nonLinear(name).clone(), e.getValue()));
        }
        return m;
    }

    /**
     * Saves this model as a diffusers transformer folder: {@code config.json} and
     * {@code diffusion_pytorch_model.safetensors} (F32, diffusers names, metadata {@code format=pt} as PyTorch's
     * {@code save_file} writes), each written atomically; {@link #load} with {@link WanConfig#read} reads it back.
     * Needs every linear to be a {@link FloatLinear}.
     */
    /** Replaces every block's self-attention kernel (null: the float backend's). */
    @Override
    public void setSelfAttention(AttentionKernel kernel) { for (WanBlock b : blocks) b.selfAttention = kernel; }

    public void save(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new CheckpointException(dir + ": cannot create model folder: " + e.getMessage(), e);
        }
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        toTensors().forEach(w::add);
        w.write(dir.resolve("diffusion_pytorch_model.safetensors"));
        AtomicFiles.writeBytes(dir.resolve("config.json"), c.toJson().getBytes(StandardCharsets.UTF_8));
    }

    private float[] nonLinear(String name) {
        if (name.equals("scale_shift_table")) return headTable;
        int dot = name.indexOf('.', "blocks.".length());
        WanBlock b = blocks.get(Integer.parseInt(name.substring("blocks.".length(), dot)));
        return switch (name.substring(dot + 1)) {
            case "scale_shift_table" -> b.scaleShiftTable;
            case "attn1.norm_q.weight" -> b.normQ1;
            case "attn1.norm_k.weight" -> b.normK1;
            case "attn2.norm_q.weight" -> b.normQ2;
            case "attn2.norm_k.weight" -> b.normK2;
            case "norm2.weight" -> b.norm2Weight;
            case "norm2.bias" -> b.norm2Bias;
            default -> throw new IllegalStateException("no parameter " + name);
        };
    }

    @Override public SequencedMap<String, Linear> linears() { return Collections.unmodifiableSequencedMap(linears); }

    @Override
    public void replaceLinear(String name, Linear layer) {
        Linear old = linears.get(name);
        if (old == null) throw new ConfigException("Wan model has no linear layer '" + name + "'");
        if (old.inFeatures() != layer.inFeatures() || old.outFeatures() != layer.outFeatures())
            throw new ConfigException("replacement for '" + name + "' is " + layer.outFeatures() + "×" + layer.inFeatures()
                    + ", expected " + old.outFeatures() + "×" + old.inFeatures() + " (out×in)");
        linears.put(name, layer);
        if (name.startsWith("blocks.")) {
            int dot = name.indexOf('.', "blocks.".length());
            int idx = WanParameters.BLOCK_LINEARS.indexOf(name.substring(dot + 1));
            blocks.get(Integer.parseInt(name.substring("blocks.".length(), dot))).linears[idx] = layer;
        }
    }

    /**
     * SHA-256 over the parameters (names, shapes and float32 bits in {@link WanParameters#expectedShapes} order),
     * as hex; identifies the weights a run used. Needs every linear to be a {@link FloatLinear}.
     */
    public String fingerprint() {
        MessageDigest md = TensorDigests.sha256();
        for (var e : WanParameters.expectedShapes(c).entrySet()) {
            String name = e.getKey();
            float[] a;
            Linear l = name.endsWith(".weight") || name.endsWith(".bias") ? linears.get(name.substring(0, name.lastIndexOf('.'))) : null;
            if (l != null) {
                if (!(l instanceof FloatLinear fl))
                    throw new VdqException("cannot fingerprint '" + name + "': the layer is a " + l.getClass().getSimpleName());
                a = name.endsWith(".weight") ? fl.weight() : fl.bias();
            } else {
                a = nonLinear(name);
            }
            fingerprintTensor(md, name, e.getValue(), a);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * One tensor's part of {@link #fingerprint}: its name and shape, then its values as float32 little-endian. Tensors
     * must be given in {@link WanParameters#expectedShapes} order; a streaming reader of a checkpoint can compute the
     * fingerprint this way without building the model.
     */
    public static void fingerprintTensor(MessageDigest md, String name, int[] shape, float[] values) {
        md.update((name + Arrays.toString(shape)).getBytes(StandardCharsets.UTF_8));
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < values.length; ) {
            buf.clear();
            int n = Math.min(values.length - i, buf.capacity() / 4);
            buf.asFloatBuffer().put(values, i, n);
            md.update(buf.array(), 0, 4 * n);
            i += n;
        }
    }

    /** Number of parameters. */
    public long parameterCount() {
        long n = 0;
        for (int[] s : WanParameters.expectedShapes(c).values()) { long k = 1; for (int x : s) k *= x; n += k; }
        return n;
    }

    private volatile BlockHook observer = BlockHook.NONE;

    /**
     * Installs a hook that every {@link #forward(Tensor, float, Tensor)} call reports to (calibration drivers call
     * the plain forward; a method that must see block inputs installs one); closing the handle removes it.
     */
    public AutoCloseable observe(BlockHook hook) {
        observer = hook;
        return () -> observer = BlockHook.NONE;
    }

    public Tensor forward(Tensor latents, float timestep, Tensor text) { return forward(latents, timestep, text, observer); }

    /** One transformer evaluation; returns {@code [out_channels, F, H, W]}. */
    public Tensor forward(Tensor latents, float timestep, Tensor text, BlockHook hook) {
        if (latents.rank() != 4 || latents.dim(0) != c.inChannels())
            throw new ShapeException("Wan latents: expected [" + c.inChannels() + ", F, H, W], got " + latents.shape());
        int frames = latents.dim(1), height = latents.dim(2), width = latents.dim(3);
        if (frames % c.patchT() != 0 || height % c.patchH() != 0 || width % c.patchW() != 0)
            throw new ShapeException("Wan latents " + latents.shape() + ": F, H, W must be multiples of the patch size "
                    + c.patchT() + "×" + c.patchH() + "×" + c.patchW());
        if (text.rank() == 3 && text.dim(0) == 1) text = text.row(0);
        if (text.rank() != 2 || text.dim(1) != c.textDim() || text.dim(0) < 1)
            throw new ShapeException("Wan text embeddings: expected [L, " + c.textDim() + "], got " + text.shape());
        KernelBackend kb = Kernels.get();
        int d = c.dim(), l = text.dim(0);
        int ppf = frames / c.patchT(), pph = height / c.patchH(), ppw = width / c.patchW(), n = ppf * pph * ppw;
        WanRope.Table rope = WanRope.table(c, frames, height, width);

        float[] patches = patchify(latents, ppf, pph, ppw);
        float[] h = new float[n * d];
        linears.get("patch_embedding").forward(patches, 0, n, h, 0);

        float[] sin = TimestepEmbedding.sinusoid(timestep, c.freqDim());
        float[] t1 = new float[d], temb = new float[d], tproj = new float[6 * d];
        linears.get("condition_embedder.time_embedder.linear_1").forward(sin, 0, 1, t1, 0);
        kb.silu(t1, 0, d);
        linears.get("condition_embedder.time_embedder.linear_2").forward(t1, 0, 1, temb, 0);
        float[] tact = temb.clone();
        kb.silu(tact, 0, d);
        linears.get("condition_embedder.time_proj").forward(tact, 0, 1, tproj, 0);

        float[] textIn = text.toArray();
        float[] ctx1 = new float[l * d], ctx = new float[l * d];
        linears.get("condition_embedder.text_embedder.linear_1").forward(textIn, 0, l, ctx1, 0);
        kb.geluTanh(ctx1, 0, l * d);
        linears.get("condition_embedder.text_embedder.linear_2").forward(ctx1, 0, l, ctx, 0);

        hook.beforeBlocks(ppf, pph, ppw, patches, h, ctx, tproj);
        WanBlock.Workspace ws = new WanBlock.Workspace(c, n, l);
        Tensor hView = Tensor.of(h, n, d);
        for (int i = 0; i < blocks.size(); i++) {
            hook.beforeBlock(i, hView);
            blocks.get(i).forward(h, n, ctx, l, tproj, rope, ws);
            hook.afterBlock(i, hView);
        }

        // output head: shift = table[0] + temb, scale = table[1] + temb (the time embedding, before SiLU)
        float[] mod = new float[2 * d];
        for (int j = 0; j < d; j++) { mod[j] = headTable[j] + temb[j]; mod[d + j] = headTable[d + j] + temb[j]; }
        kb.layerNorm(h, 0, ws.norm, 0, n, d, null, null, c.eps());
        WanBlock.modulate(ws.norm, n, d, mod, 0, d);
        float[] out = new float[n * c.patchOut()];
        linears.get("proj_out").forward(ws.norm, 0, n, out, 0);
        Tensor y = unpatchify(out, frames, height, width, ppf, pph, ppw);
        Tensor v = c.predictsSample() ? velocityFromSample(latents, y, timestep, c.sampleMinSigma()) : y;
        hook.afterForward(latents, timestep, v);
        return v;
    }

    /** v = (x_t − x̂) / max(σ, minSigma) with σ = timestep/1000 (see {@link WanConfig#predictsSample()}). */
    static Tensor velocityFromSample(Tensor latents, Tensor sample, float timestep, float minSigma) {
        float[] v = sample.toArray().clone(); // toArray may be the backing array
        sampleToVelocity(latents.toArray(), v, 0, v.length, timestep / 1000f, minSigma);
        return Tensor.of(v, sample.shape().dims());
    }

    /**
     * Replaces the clean-sample prediction {@code xhat[off, off + n)} by the velocity {@code (x_t − x̂) / max(σ, minSigma)}
     * in place: the one definition of the {@code prediction_type "sample"} output, shared with training.
     */
    public static void sampleToVelocity(float[] xt, float[] xhat, int off, int n, float sigma, float minSigma) {
        float inv = 1f / Math.max(sigma, minSigma);
        for (int i = off; i < off + n; i++) xhat[i] = (xt[i] - xhat[i]) * inv;
    }

    /**
     * A latent [C, F, H, W] as the patch-embedding input, tokens × (C·pt·ph·pw) (what {@link #forward} feeds
     * {@code patch_embedding}); for methods that score latent-shaped tensors the way the model sees them.
     */
    public float[] tokens(Tensor latents) {
        if (latents.rank() != 4 || latents.dim(0) != c.inChannels() || latents.dim(1) % c.patchT() != 0
                || latents.dim(2) % c.patchH() != 0 || latents.dim(3) % c.patchW() != 0)
            throw new ShapeException("Wan latents: expected [" + c.inChannels() + ", F, H, W] in whole patches, got " + latents.shape());
        return patchify(latents, latents.dim(1) / c.patchT(), latents.dim(2) / c.patchH(), latents.dim(3) / c.patchW());
    }

    /** Tokens in (f, h, w) order; each patch flattened as (c, kt, kh, kw), the Conv3d weight's order. */
    private float[] patchify(Tensor x, int ppf, int pph, int ppw) {
        int pt = c.patchT(), ph = c.patchH(), pw = c.patchW(), ch = c.inChannels();
        int frames = x.dim(1), height = x.dim(2), width = x.dim(3), pin = c.patchIn();
        float[] src = x.data();
        int base = x.offset();
        float[] p = new float[ppf * pph * ppw * pin];
        Parallel.range(ppf * pph * ppw, (from, to) -> {
            for (int tok = from; tok < to; tok++) {
                int f = tok / (pph * ppw), hh = (tok / ppw) % pph, w = tok % ppw;
                int o = tok * pin;
                for (int ci = 0; ci < ch; ci++)
                    for (int kt = 0; kt < pt; kt++)
                        for (int kh = 0; kh < ph; kh++)
                            for (int kw = 0; kw < pw; kw++)
                                p[o++] = src[base + ((ci * frames + f * pt + kt) * height + hh * ph + kh) * width + w * pw + kw];
            }
        });
        return p;
    }

    /** Inverse of the head's layout: token (f, h, w), channel index ((kt·ph + kh)·pw + kw)·C + c. */
    private Tensor unpatchify(float[] out, int frames, int height, int width, int ppf, int pph, int ppw) {
        int pt = c.patchT(), ph = c.patchH(), pw = c.patchW(), co = c.outChannels(), pout = c.patchOut();
        Tensor y = Tensor.zeros(co, frames, height, width);
        float[] dst = y.data();
        Parallel.range(ppf * pph * ppw, (from, to) -> {
            for (int tok = from; tok < to; tok++) {
                int f = tok / (pph * ppw), hh = (tok / ppw) % pph, w = tok % ppw;
                for (int kt = 0; kt < pt; kt++)
                    for (int kh = 0; kh < ph; kh++)
                        for (int kw = 0; kw < pw; kw++)
                            for (int ci = 0; ci < co; ci++)
                                dst[((ci * frames + f * pt + kt) * height + hh * ph + kh) * width + w * pw + kw] =
                                        out[tok * pout + ((kt * ph + kh) * pw + kw) * co + ci];
            }
        });
        return y;
    }
}
