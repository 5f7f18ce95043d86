package io.vdq.io.gguf;

import java.util.Arrays;

/**
 * The fields of one ggml quantization block, unpacked: the fp16 super-block scale {@code d} (and {@code dmin},
 * which holds the fp16 minimum {@code m} of Q4_1/Q5_1), the integer sub-block scales {@code sc} and minima
 * {@code mn} of the K-quants, and one integer code per element, all as stored (unsigned offsets included).
 * The value of element i is what {@link GgmlBlocks#dequantize} computes, in ggml's float order:
 * <pre>
 *   Q8_0   d·q              Q4_0 d·(q−8)     Q5_0 d·(q−16)     Q4_1, Q5_1  d·q + m
 *   Q2_K, Q4_K, Q5_K  (d·sc)·q − dmin·mn     Q3_K (d·(sc−32))·(q−4)     Q6_K (d·sc)·(q−32)
 * </pre>
 * A mutable scratch object: encoders fill one and {@link GgmlBlocks#pack} writes it.
 */
public final class QBlock {
    public final GgmlType type;
    /** fp16 bits of the block scale. */
    public short d;
    /** fp16 bits of the K-quants' scale of minima, or of Q4_1/Q5_1's minimum m. */
    public short dmin;
    /** Sub-block scales (K-quants; Q6_K signed −128..127, Q3_K stored 0..63 with 32 meaning 0). */
    public final int[] sc;
    /** Sub-block minima (Q2_K, Q4_K, Q5_K). */
    public final int[] mn;
    /** Element codes, as stored. */
    public final int[] q;

    public QBlock(GgmlType type) {
        if (!type.quantized()) throw new IllegalArgumentException(type + " has no blocks");
        this.type = type;
        int subs = subBlocks(type);
        this.sc = new int[subs];
        this.mn = new int[subs];
        this.q = new int[type.blockSize];
    }

    /** Sub-blocks with their own scale: 16 of 16 (Q2_K, Q3_K, Q6_K), 8 of 32 (Q4_K, Q5_K), else 1. */
    public static int subBlocks(GgmlType t) {
        return switch (t) {
            case Q2_K, Q3_K, Q6_K -> 16;
            case Q4_K, Q5_K -> 8;
            default -> 1;
        };
    }

    public int subBlockSize() { return type.blockSize / sc.length; }

    /** Largest code ({@code 2^bits − 1}). */
    public static int maxCode(GgmlType t) {
        return switch (t) {
            case Q8_0 -> 127;
            case Q4_0, Q4_1, Q4_K -> 15;
            case Q5_0, Q5_1, Q5_K -> 31;
            case Q2_K -> 3;
            case Q3_K -> 7;
            case Q6_K -> 63;
            default -> throw new IllegalArgumentException(t.name());
        };
    }

    /** Smallest code (−128 for Q8_0's signed codes, else 0). */
    public static int minCode(GgmlType t) { return t == GgmlType.Q8_0 ? -128 : 0; }

    /** The code that decodes to zero for the symmetric formats (Q4_0 8, Q5_0 16, Q3_K 4, Q6_K 32, Q8_0 0). */
    public static int zeroCode(GgmlType t) {
        return switch (t) {
            case Q4_0 -> 8;
            case Q5_0 -> 16;
            case Q3_K -> 4;
            case Q6_K -> 32;
            default -> 0;
        };
    }

    public void copyFrom(QBlock o) {
        d = o.d;
        dmin = o.dmin;
        System.arraycopy(o.sc, 0, sc, 0, sc.length);
        System.arraycopy(o.mn, 0, mn, 0, mn.length);
        System.arraycopy(o.q, 0, q, 0, q.length);
    }

    public void clear() {
        d = 0;
        dmin = 0;
        Arrays.fill(sc, 0);
        Arrays.fill(mn, 0);
        Arrays.fill(q, 0);
    }
}
