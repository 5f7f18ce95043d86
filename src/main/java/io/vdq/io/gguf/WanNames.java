package io.vdq.io.gguf;

import io.vdq.VdqException.CheckpointException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tensor names of a Wan transformer in diffusers' naming and in the original Wan repository's naming (what
 * ComfyUI-GGUF and stable-diffusion.cpp expect in a GGUF). The table is the inverse of diffusers'
 * {@code scripts/convert_wan_to_diffusers.py}; shapes are the same on both sides (no transposes, no fusion):
 * <pre>
 *   patch_embedding.*                                 patch_embedding.*
 *   condition_embedder.text_embedder.linear_1 / _2    text_embedding.0 / .2
 *   condition_embedder.time_embedder.linear_1 / _2    time_embedding.0 / .2
 *   condition_embedder.time_proj                      time_projection.1
 *   scale_shift_table   [1,2,dim]                     head.modulation
 *   proj_out                                          head.head
 *   blocks.N.scale_shift_table [1,6,dim]              blocks.N.modulation
 *   blocks.N.attn1.to_q/to_k/to_v/to_out.0            blocks.N.self_attn.q/k/v/o
 *   blocks.N.attn1.norm_q/norm_k                      blocks.N.self_attn.norm_q/norm_k
 *   blocks.N.attn2.to_q/to_k/to_v/to_out.0            blocks.N.cross_attn.q/k/v/o
 *   blocks.N.attn2.norm_q/norm_k                      blocks.N.cross_attn.norm_q/norm_k
 *   blocks.N.attn2.add_k_proj/add_v_proj              blocks.N.cross_attn.k_img/v_img
 *   blocks.N.attn2.norm_added_k                       blocks.N.cross_attn.norm_k_img
 *   blocks.N.ffn.net.0.proj / ffn.net.2               blocks.N.ffn.0 / ffn.2
 *   blocks.N.norm2 (affine, before cross-attention)   blocks.N.norm3
 *   condition_embedder.image_embedder.norm1/ff.net.0.proj/ff.net.2/norm2   img_emb.proj.0/.1/.3/.4
 *   condition_embedder.image_embedder.pos_embed       img_emb.emb_pos
 * </pre>
 */
public final class WanNames {
    private WanNames() {}

    private static final String[][] GLOBAL = {
            {"condition_embedder.text_embedder.linear_1.", "text_embedding.0."},
            {"condition_embedder.text_embedder.linear_2.", "text_embedding.2."},
            {"condition_embedder.time_embedder.linear_1.", "time_embedding.0."},
            {"condition_embedder.time_embedder.linear_2.", "time_embedding.2."},
            {"condition_embedder.time_proj.", "time_projection.1."},
            {"condition_embedder.image_embedder.norm1.", "img_emb.proj.0."},
            {"condition_embedder.image_embedder.ff.net.0.proj.", "img_emb.proj.1."},
            {"condition_embedder.image_embedder.ff.net.2.", "img_emb.proj.3."},
            {"condition_embedder.image_embedder.norm2.", "img_emb.proj.4."},
            {"proj_out.", "head.head."},
            {"patch_embedding.", "patch_embedding."}};
    private static final String[][] EXACT = {
            {"scale_shift_table", "head.modulation"},
            {"condition_embedder.image_embedder.pos_embed", "img_emb.emb_pos"}};
    private static final String[][] IN_BLOCK = {
            {"attn1.to_q.", "self_attn.q."}, {"attn1.to_k.", "self_attn.k."}, {"attn1.to_v.", "self_attn.v."},
            {"attn1.to_out.0.", "self_attn.o."}, {"attn1.norm_q.", "self_attn.norm_q."}, {"attn1.norm_k.", "self_attn.norm_k."},
            {"attn2.to_q.", "cross_attn.q."}, {"attn2.to_k.", "cross_attn.k."}, {"attn2.to_v.", "cross_attn.v."},
            {"attn2.to_out.0.", "cross_attn.o."}, {"attn2.norm_q.", "cross_attn.norm_q."}, {"attn2.norm_k.", "cross_attn.norm_k."},
            {"attn2.add_k_proj.", "cross_attn.k_img."}, {"attn2.add_v_proj.", "cross_attn.v_img."},
            {"attn2.norm_added_k.", "cross_attn.norm_k_img."},
            {"ffn.net.0.proj.", "ffn.0."}, {"ffn.net.2.", "ffn.2."}, {"norm2.", "norm3."}};
    private static final Pattern BLOCK = Pattern.compile("blocks\\.(\\d+)\\.(.+)");

    /** The original Wan name of a diffusers tensor; {@code CheckpointException} naming {@code source} if it has none. */
    public static String toWan(String diffusers, String source) {
        String r = map(diffusers, 0);
        if (r == null) throw new CheckpointException(source + ": tensor '" + diffusers + "' has no counterpart in the original Wan naming");
        return r;
    }

    /** The diffusers name of an original Wan tensor; {@code CheckpointException} naming {@code source} if it has none. */
    public static String toDiffusers(String wan, String source) {
        String r = map(wan, 1);
        if (r == null) throw new CheckpointException(source + ": tensor '" + wan + "' is not a Wan transformer tensor (original naming)");
        return r;
    }

    private static String map(String name, int from) {
        int to = 1 - from;
        for (String[] e : EXACT) if (name.equals(e[from])) return e[to];
        for (String[] g : GLOBAL) if (name.startsWith(g[from])) return g[to] + name.substring(g[from].length());
        Matcher m = BLOCK.matcher(name);
        if (m.matches()) {
            String p = "blocks." + m.group(1) + ".", rest = m.group(2);
            String mod = from == 0 ? "scale_shift_table" : "modulation";
            if (rest.equals(mod)) return p + (from == 0 ? "modulation" : "scale_shift_table");
            for (String[] r : IN_BLOCK) if (rest.startsWith(r[from])) return p + r[to] + rest.substring(r[from].length());
        }
        return null;
    }

    /** Whether the names are the original Wan ones (as ComfyUI-GGUF detects a Wan model). */
    public static boolean isOriginal(Iterable<String> names) {
        boolean head = false, block = false;
        for (String n : names) {
            if (n.equals("head.modulation") || n.startsWith("head.head.")) head = true;
            if (n.contains(".self_attn.") || n.contains(".cross_attn.")) block = true;
        }
        return head || block;
    }

    /**
     * How a Wan tensor is stored in a GGUF for ComfyUI-GGUF and stable-diffusion.cpp, given the type asked for
     * the linear layers: the 2-D weights of the blocks' attention and feed-forward linears take {@code quant}
     * (F16 when their row is not a whole number of blocks); the other 2-D weights (text, time and image embedders,
     * {@code head.head}) F16; everything else F32: biases, norms, {@code *.modulation}, the 5-D
     * {@code patch_embedding.weight} (ComfyUI's Conv3d and {@code nn.Parameter} cannot take quantized data),
     * {@code img_emb.emb_pos}.
     */
    public static GgmlType storageType(String wanName, long[] shape, GgmlType quant) {
        boolean blockLinear = wanName.matches("blocks\\.\\d+\\.(self_attn\\.[qkvo]|cross_attn\\.([qkvo]|k_img|v_img)|ffn\\.[02])\\.weight");
        if (blockLinear && shape.length == 2) {
            if (shape[1] % quant.blockSize == 0) return quant;
            return quant == GgmlType.F32 ? GgmlType.F32 : GgmlType.F16;
        }
        if (quant == GgmlType.F32) return GgmlType.F32;
        long n = 1;
        for (long d : shape) n *= d;
        if (shape.length == 2 && wanName.endsWith(".weight") && !wanName.contains("modulation") && n > 1024
                && !wanName.equals("img_emb.emb_pos"))
            return quant == GgmlType.BF16 ? GgmlType.BF16 : GgmlType.F16;
        return GgmlType.F32;
    }
}
