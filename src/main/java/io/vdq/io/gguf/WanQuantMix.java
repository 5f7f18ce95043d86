package io.vdq.io.gguf;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The type of each Wan block linear for an export: one ggml type for all ({@code q4_k}, {@code q8_0}, …), or one of
 * llama.cpp's mixed "file types" as city96's llama.cpp patch applies them to Wan ({@code q4_k_m} etc.), which give
 * the value projections ({@code self_attn.v}, {@code cross_attn.v}) and the FFN down projection ({@code ffn.2})
 * more bits:
 * <pre>
 *   name     base  .v.weight                         ffn.2.weight   general.file_type
 *   q3_k_s   Q3_K  –                                 –              11
 *   q3_k_m   Q3_K  Q5_K in block 0, then Q4_K        Q4_K           12
 *   q3_k_l   Q3_K  Q5_K                              Q5_K           13
 *   q4_k_s   Q4_K  Q5_K in blocks 0–1                Q5_K           14
 *   q4_k_m   Q4_K  Q6_K                              Q6_K           15
 *   q5_k_s   Q5_K  –                                 –              16
 *   q5_k_m   Q5_K  Q6_K                              Q6_K           17
 * </pre>
 * ("the first 2 / first 4 value tensors" of the patch are those of blocks 0 and 0–1: every block has two.)
 */
public record WanQuantMix(String name, GgmlType base, int fileType) {
    private static final Pattern V = Pattern.compile("blocks\\.(\\d+)\\.(self_attn|cross_attn)\\.v\\.weight");

    /** The mix named {@code s} (case-insensitive), a plain type, or null when neither. */
    public static WanQuantMix parse(String s) {
        String n = s.toLowerCase(Locale.ROOT);
        return switch (n) {
            case "q3_k_s" -> new WanQuantMix(n, GgmlType.Q3_K, 11);
            case "q3_k_m" -> new WanQuantMix(n, GgmlType.Q3_K, 12);
            case "q3_k_l" -> new WanQuantMix(n, GgmlType.Q3_K, 13);
            case "q4_k_s" -> new WanQuantMix(n, GgmlType.Q4_K, 14);
            case "q4_k_m" -> new WanQuantMix(n, GgmlType.Q4_K, 15);
            case "q5_k_s" -> new WanQuantMix(n, GgmlType.Q5_K, 16);
            case "q5_k_m" -> new WanQuantMix(n, GgmlType.Q5_K, 17);
            default -> {
                GgmlType t = GgmlType.parse(n);
                yield t == null ? null : new WanQuantMix(t.name().toLowerCase(Locale.ROOT), t, t.fileType);
            }
        };
    }

    /** The type asked of one block linear weight (before {@link WanNames#storageType} checks the row length). */
    public GgmlType typeFor(String wanName) {
        boolean ffnDown = wanName.matches("blocks\\.\\d+\\.ffn\\.2\\.weight");
        Matcher v = V.matcher(wanName);
        int block = v.matches() ? Integer.parseInt(v.group(1)) : -1;
        return switch (name) {
            case "q3_k_m" -> block >= 0 ? (block < 1 ? GgmlType.Q5_K : GgmlType.Q4_K) : ffnDown ? GgmlType.Q4_K : base;
            case "q3_k_l" -> block >= 0 || ffnDown ? GgmlType.Q5_K : base;
            case "q4_k_s" -> block >= 0 && block < 2 ? GgmlType.Q5_K : ffnDown ? GgmlType.Q5_K : base;
            case "q4_k_m", "q5_k_m" -> block >= 0 || ffnDown ? GgmlType.Q6_K : base;
            default -> base;
        };
    }
}
