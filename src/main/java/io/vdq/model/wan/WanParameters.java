package io.vdq.model.wan;

import io.vdq.VdqException.CheckpointException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parameter names and shapes of a Wan transformer as diffusers stores them, and the renaming from the original
 * Wan repository's checkpoints (the table of diffusers' {@code scripts/convert_wan_to_diffusers.py}).
 */
public final class WanParameters {
    private WanParameters() {}

    /** Linear-layer suffixes within one block, in forward order. */
    public static final List<String> BLOCK_LINEARS = List.of(
            "attn1.to_q", "attn1.to_k", "attn1.to_v", "attn1.to_out.0",
            "attn2.to_q", "attn2.to_k", "attn2.to_v", "attn2.to_out.0",
            "ffn.net.0.proj", "ffn.net.2");

    /** Tensors diffusers itself drops on load ({@code _keys_to_ignore_on_load_unexpected}). */
    static boolean ignoredOnLoad(String name) { return name.contains("norm_added_q"); }

    /** Every expected tensor with its shape, in a fixed order (globals, then blocks, then the head). */
    public static SequencedMap<String, int[]> expectedShapes(WanConfig c) {
        SequencedMap<String, int[]> m = new LinkedHashMap<>();
        int d = c.dim();
        m.put("patch_embedding.weight", new int[]{d, c.inChannels(), c.patchT(), c.patchH(), c.patchW()});
        m.put("patch_embedding.bias", new int[]{d});
        linear(m, "condition_embedder.time_embedder.linear_1", d, c.freqDim());
        linear(m, "condition_embedder.time_embedder.linear_2", d, d);
        linear(m, "condition_embedder.time_proj", 6 * d, d);
        linear(m, "condition_embedder.text_embedder.linear_1", d, c.textDim());
        linear(m, "condition_embedder.text_embedder.linear_2", d, d);
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "blocks." + i + ".";
            m.put(p + "scale_shift_table", new int[]{1, 6, d});
            for (String a : new String[]{"attn1", "attn2"}) {
                for (String l : new String[]{"to_q", "to_k", "to_v", "to_out.0"}) linear(m, p + a + "." + l, d, d);
                m.put(p + a + ".norm_q.weight", new int[]{d});
                m.put(p + a + ".norm_k.weight", new int[]{d});
            }
            if (c.crossAttnNorm()) {
                m.put(p + "norm2.weight", new int[]{d});
                m.put(p + "norm2.bias", new int[]{d});
            }
            linear(m, p + "ffn.net.0.proj", c.ffnDim(), d);
            linear(m, p + "ffn.net.2", d, c.ffnDim());
        }
        m.put("scale_shift_table", new int[]{1, 2, d});
        linear(m, "proj_out", c.patchOut(), d);
        return m;
    }

    private static void linear(SequencedMap<String, int[]> m, String prefix, int out, int in) {
        m.put(prefix + ".weight", new int[]{out, in});
        m.put(prefix + ".bias", new int[]{out});
    }

    /** Whether a set of tensor names looks like an original (non-diffusers) Wan checkpoint. */
    public static boolean isOriginalNaming(Iterable<String> names) {
        for (String n : names) if (n.startsWith("head.head.") || n.contains(".self_attn.") || n.startsWith("time_embedding.")) return true;
        return false;
    }

    private static final Pattern BLOCK = Pattern.compile("blocks\\.(\\d+)\\.(.+)");

    /**
     * The diffusers name of an original Wan tensor. Image-to-video tensors ({@code img_emb}, {@code k_img},
     * {@code v_img}, {@code norm_k_img}) are refused.
     */
    public static String fromOriginal(String name, String source) {
        if (name.startsWith("img_emb.") || name.contains("k_img") || name.contains("v_img"))
            throw new CheckpointException(source + ": tensor '" + name + "' belongs to the image-to-video Wan, which is not supported");
        switch (name) {
            case "head.modulation": return "scale_shift_table";
            default: break;
        }
        if (name.startsWith("patch_embedding.")) return name;
        if (name.startsWith("head.head.")) return "proj_out." + name.substring("head.head.".length());
        String[][] globals = {
                {"text_embedding.0.", "condition_embedder.text_embedder.linear_1."},
                {"text_embedding.2.", "condition_embedder.text_embedder.linear_2."},
                {"time_embedding.0.", "condition_embedder.time_embedder.linear_1."},
                {"time_embedding.2.", "condition_embedder.time_embedder.linear_2."},
                {"time_projection.1.", "condition_embedder.time_proj."}};
        for (String[] g : globals) if (name.startsWith(g[0])) return g[1] + name.substring(g[0].length());
        Matcher mm = BLOCK.matcher(name);
        if (mm.matches()) {
            String p = "blocks." + mm.group(1) + ".", rest = mm.group(2);
            if (rest.equals("modulation")) return p + "scale_shift_table";
            String[][] inBlock = {
                    {"self_attn.q.", "attn1.to_q."}, {"self_attn.k.", "attn1.to_k."}, {"self_attn.v.", "attn1.to_v."},
                    {"self_attn.o.", "attn1.to_out.0."}, {"self_attn.norm_q.", "attn1.norm_q."}, {"self_attn.norm_k.", "attn1.norm_k."},
                    {"cross_attn.q.", "attn2.to_q."}, {"cross_attn.k.", "attn2.to_k."}, {"cross_attn.v.", "attn2.to_v."},
                    {"cross_attn.o.", "attn2.to_out.0."}, {"cross_attn.norm_q.", "attn2.norm_q."}, {"cross_attn.norm_k.", "attn2.norm_k."},
                    // the original's norm3 is the affine norm before cross-attention, diffusers' norm2
                    {"norm3.", "norm2."}, {"ffn.0.", "ffn.net.0.proj."}, {"ffn.2.", "ffn.net.2."}};
            for (String[] r : inBlock) if (rest.startsWith(r[0])) return p + r[1] + rest.substring(r[0].length());
        }
        throw new CheckpointException(source + ": tensor '" + name + "' has no diffusers counterpart in the Wan text-to-video naming");
    }
}
