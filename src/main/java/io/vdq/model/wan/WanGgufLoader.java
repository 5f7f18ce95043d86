package io.vdq.model.wan;

import io.vdq.VdqException.CheckpointException;
import io.vdq.io.TensorSource;
import io.vdq.io.gguf.GgufFile;
import io.vdq.io.gguf.GgufValue;
import io.vdq.io.gguf.WanGguf;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Runs a Wan GGUF (vdq's {@code export-gguf} output or a city96-style file in the original Wan naming) as a
 * {@link WanModel}: tensors renamed to diffusers names and dequantized to float32 ({@link WanGguf#toDiffusers}),
 * the configuration read from the {@code vdq.wan.*} keys when present, otherwise inferred from the tensor shapes
 * (dim, in/out channels, patch, text/freq/ffn dims, layer count, cross-attention norm) with Wan's head size 128.
 */
public final class WanGgufLoader {
    private WanGgufLoader() {}

    /** Head size of every released Wan model, used when the file does not say. */
    public static final int WAN_HEAD_DIM = 128;

    /** Opens, validates and loads {@code gguf}; the model holds float copies, so the file is closed on return. */
    public static WanModel loadWan(Path gguf) { return loadWan(gguf, true); }

    /**
     * As {@link #loadWan(Path)}; with {@code verify}, a file that carries vdq's data digest
     * ({@link io.vdq.io.gguf.GgufWriter#DATA_SHA256}) is checked against it first (a GGUF from another tool has none).
     */
    public static WanModel loadWan(Path gguf, boolean verify) {
        try (GgufFile f = GgufFile.open(gguf)) {
            if (verify) f.verifyDataDigest();
            TensorSource d = WanGguf.toDiffusers(f);
            return WanModel.load(config(f, d), d);
        }
    }

    /** The configuration of a Wan GGUF: {@code vdq.wan.*} keys over shapes of the diffusers view {@code d}. */
    public static WanConfig config(GgufFile f, TensorSource d) {
        Map<String, GgufValue> k = WanGguf.configKeys(f);
        String src = f.describe();
        long[] patch = shape(d, "patch_embedding.weight", 5);
        int dim = (int) patch[0];
        int in = (int) patch[1];
        int pt = (int) patch[2], ph = (int) patch[3], pw = (int) patch[4];
        long vol = (long) pt * ph * pw;
        if (vol > Integer.MAX_VALUE)
            throw new CheckpointException(src + ": patch_embedding.weight patch " + pt + "×" + ph + "×" + pw + " is too large");
        int volume = (int) vol;
        long[] proj = shape(d, "proj_out.weight", 2);
        if (proj[0] % volume != 0)
            throw new CheckpointException(src + ": head.head.weight has " + proj[0] + " rows, not a multiple of the patch volume " + volume);
        int out = (int) (proj[0] / volume);
        int text = (int) shape(d, "condition_embedder.text_embedder.linear_1.weight", 2)[1];
        int freq = (int) shape(d, "condition_embedder.time_embedder.linear_1.weight", 2)[1];
        int ffn = (int) shape(d, "blocks.0.ffn.net.0.proj.weight", 2)[0];
        int layers = 0;
        while (d.contains("blocks." + layers + ".scale_shift_table")) layers++;
        boolean crossNorm = d.contains("blocks.0.norm2.weight");
        int headDim = (int) num(src, k, "attention_head_dim", WAN_HEAD_DIM);
        if (headDim <= 0) throw new CheckpointException(src + ": vdq.wan.attention_head_dim " + headDim + " must be > 0");
        int heads = (int) num(src, k, "num_attention_heads", dim % headDim == 0 ? dim / headDim : 0);
        if (heads * headDim != dim)
            throw new CheckpointException(src + ": hidden size " + dim + " is not heads × head dim (" + heads + " × " + headDim
                    + "); write vdq.wan.num_attention_heads and vdq.wan.attention_head_dim");
        float eps = k.containsKey("eps") && k.get("eps").type() == GgufValue.Type.FLOAT32 ? (Float) k.get("eps").value() : 1e-6f;
        WanConfig c = new WanConfig(pt, ph, pw, heads, headDim, in, out, text, freq, ffn, layers, crossNorm,
                WanConfig.QK_NORM_ACROSS_HEADS, eps, (int) num(src, k, "rope_max_seq_len", 1024));
        if (k.containsKey("sample_min_sigma") && k.get("sample_min_sigma").type() == GgufValue.Type.FLOAT32)
            c = c.withSamplePrediction((Float) k.get("sample_min_sigma").value());
        return c;
    }

    private static long num(String src, Map<String, GgufValue> k, String key, long fallback) {
        GgufValue v = k.get(key);
        if (v == null) return fallback;
        try {
            return v.asLong();
        } catch (IllegalStateException e) {
            throw new CheckpointException(src + ": vdq.wan." + key + " is " + v.type() + ", expected an integer");
        }
    }

    private static long[] shape(TensorSource d, String name, int rank) {
        if (!d.contains(name))
            throw new CheckpointException(d.describe() + ": missing tensor '" + name + "' needed to infer the Wan configuration");
        long[] s = d.info(name).shape();
        if (s.length != rank)
            throw new CheckpointException(d.describe() + ": tensor '" + name + "' has shape " + Arrays.toString(s)
                    + ", expected " + rank + " dims");
        for (long x : s) if (x <= 0 || x > Integer.MAX_VALUE)
            throw new CheckpointException(d.describe() + ": tensor '" + name + "' has shape " + Arrays.toString(s));
        return s;
    }
}
