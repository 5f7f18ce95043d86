package io.vdq.io.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * ggml's block layouts: packing {@link QBlock} fields into bytes, unpacking them, and dequantizing with the same
 * float operations, in the same order, as ggml's {@code dequantize_row_*} (so results are bit-identical).
 * Layouts (all little-endian; "fp16" is IEEE binary16):
 * <ul>
 * <li>Q8_0 [d fp16][qs int8 ×32]; Q4_0 [d][qs ×16]; Q4_1 [d][m][qs ×16]; Q5_0 [d][qh u32][qs ×16];
 *     Q5_1 [d][m][qh][qs ×16]. Byte j of qs holds element j in its low and element j+16 in its high nibble;
 *     bit i of qh is the fifth bit of element i.</li>
 * <li>Q2_K [scales ×16: low nibble scale, high nibble min][qs ×64][d][dmin]; Q3_K [hmask ×32][qs ×64][scales ×12][d];
 *     in both, element 128h + 32k + l has its two low bits at bit 2k of qs[32h + l]; Q3_K's third bit is bit
 *     e/32 of hmask[e%32] and its 6-bit scales are split in low nibbles (bytes 0–7) and 2-bit high parts (8–11).</li>
 * <li>Q4_K [d][dmin][scales ×12][qs ×128], Q5_K [d][dmin][scales ×12][qh ×32][qs ×128]: eight 6-bit scales
 *     and minima packed in 12 bytes; element 64c + l is the low nibble of qs[32c + l], element 64c + 32 + l its
 *     high nibble; Q5_K's fifth bits are bits 2c and 2c+1 of qh[l].</li>
 * <li>Q6_K [ql ×128][qh ×64][scales int8 ×16][d]: per half h of 128, elements l, l+32, l+64, l+96 share ql[64h+l],
 *     ql[64h+l+32] (low/high nibbles) and qh[32h+l] (two bits each).</li>
 * </ul>
 */
public final class GgmlBlocks {
    private GgmlBlocks() {}

    static float h2f(short h) { return Float.float16ToFloat(h); }

    static short f2h(float f) { return Float.floatToFloat16(f); }

    /** ggml's f32 → bf16: round to nearest even, NaN kept quiet. */
    public static short f2bf(float f) {
        int b = Float.floatToRawIntBits(f);
        if ((b & 0x7fffffff) > 0x7f800000) return (short) ((b >>> 16) | 64);
        return (short) ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16);
    }

    public static float bf2f(short h) { return Float.intBitsToFloat((h & 0xffff) << 16); }

    private static int u8(byte[] b, int i) { return b[i] & 0xff; }

    private static short le16(byte[] b, int i) { return (short) ((b[i] & 0xff) | (b[i + 1] & 0xff) << 8); }

    private static void put16(byte[] b, int i, short v) {
        b[i] = (byte) v;
        b[i + 1] = (byte) (v >> 8);
    }

    /** Reads the block at {@code b[off]} into {@code k} (whose type says the layout). */
    public static void unpack(byte[] b, int off, QBlock k) {
        int[] q = k.q;
        switch (k.type) {
            case Q8_0 -> {
                k.d = le16(b, off);
                for (int i = 0; i < 32; i++) q[i] = b[off + 2 + i];
            }
            case Q4_0, Q4_1 -> {
                k.d = le16(b, off);
                int qs = off + 2;
                if (k.type == GgmlType.Q4_1) { k.dmin = le16(b, off + 2); qs += 2; }
                for (int j = 0; j < 16; j++) { q[j] = u8(b, qs + j) & 15; q[j + 16] = u8(b, qs + j) >> 4; }
            }
            case Q5_0, Q5_1 -> {
                k.d = le16(b, off);
                int p = off + 2;
                if (k.type == GgmlType.Q5_1) { k.dmin = le16(b, off + 2); p += 2; }
                int qh = u8(b, p) | u8(b, p + 1) << 8 | u8(b, p + 2) << 16 | u8(b, p + 3) << 24;
                int qs = p + 4;
                for (int j = 0; j < 16; j++) {
                    q[j] = (u8(b, qs + j) & 15) | ((qh >>> j) & 1) << 4;
                    q[j + 16] = (u8(b, qs + j) >> 4) | ((qh >>> (j + 16)) & 1) << 4;
                }
            }
            case Q2_K -> {
                for (int j = 0; j < 16; j++) { k.sc[j] = u8(b, off + j) & 15; k.mn[j] = u8(b, off + j) >> 4; }
                for (int e = 0; e < 256; e++) q[e] = (u8(b, off + 16 + 32 * (e >> 7) + (e & 31)) >> (2 * ((e & 127) >> 5))) & 3;
                k.d = le16(b, off + 80);
                k.dmin = le16(b, off + 82);
            }
            case Q3_K -> {
                for (int e = 0; e < 256; e++) {
                    int low = (u8(b, off + 32 + 32 * (e >> 7) + (e & 31)) >> (2 * ((e & 127) >> 5))) & 3;
                    int hi = (u8(b, off + (e & 31)) >> (e >> 5)) & 1;
                    q[e] = low | hi << 2;
                }
                int s = off + 96;
                for (int j = 0; j < 16; j++) {
                    int low = j < 8 ? u8(b, s + j) & 15 : u8(b, s + j - 8) >> 4;
                    k.sc[j] = low | ((u8(b, s + 8 + (j & 3)) >> (2 * (j >> 2))) & 3) << 4;
                }
                k.d = le16(b, off + 108);
            }
            case Q4_K, Q5_K -> {
                k.d = le16(b, off);
                k.dmin = le16(b, off + 2);
                int s = off + 4;
                for (int j = 0; j < 8; j++) {
                    if (j < 4) {
                        k.sc[j] = u8(b, s + j) & 63;
                        k.mn[j] = u8(b, s + j + 4) & 63;
                    } else {
                        k.sc[j] = (u8(b, s + j + 4) & 15) | (u8(b, s + j - 4) >> 6) << 4;
                        k.mn[j] = (u8(b, s + j + 4) >> 4) | (u8(b, s + j) >> 6) << 4;
                    }
                }
                boolean five = k.type == GgmlType.Q5_K;
                int qs = off + (five ? 48 : 16), qh = off + 16;
                for (int c = 0; c < 4; c++) {
                    for (int l = 0; l < 32; l++) {
                        int v = u8(b, qs + 32 * c + l);
                        q[64 * c + l] = v & 15;
                        q[64 * c + 32 + l] = v >> 4;
                        if (five) {
                            int h = u8(b, qh + l);
                            q[64 * c + l] |= ((h >> (2 * c)) & 1) << 4;
                            q[64 * c + 32 + l] |= ((h >> (2 * c + 1)) & 1) << 4;
                        }
                    }
                }
            }
            case Q6_K -> {
                for (int h = 0; h < 2; h++) {
                    int ql = off + 64 * h, qh = off + 128 + 32 * h, e = 128 * h;
                    for (int l = 0; l < 32; l++) {
                        int a = u8(b, ql + l), c = u8(b, ql + l + 32), hb = u8(b, qh + l);
                        q[e + l] = (a & 15) | (hb & 3) << 4;
                        q[e + l + 32] = (c & 15) | ((hb >> 2) & 3) << 4;
                        q[e + l + 64] = (a >> 4) | ((hb >> 4) & 3) << 4;
                        q[e + l + 96] = (c >> 4) | ((hb >> 6) & 3) << 4;
                    }
                }
                for (int j = 0; j < 16; j++) k.sc[j] = b[off + 192 + j];
                k.d = le16(b, off + 208);
            }
            default -> throw new IllegalArgumentException(k.type.name());
        }
    }

    /** Writes {@code k} as one block at {@code b[off]} ({@code k.type.typeSize} bytes). Codes are masked to their bit width. */
    public static void pack(QBlock k, byte[] b, int off) {
        Arrays.fill(b, off, off + k.type.typeSize, (byte) 0);
        int[] q = k.q;
        switch (k.type) {
            case Q8_0 -> {
                put16(b, off, k.d);
                for (int i = 0; i < 32; i++) b[off + 2 + i] = (byte) q[i];
            }
            case Q4_0, Q4_1 -> {
                put16(b, off, k.d);
                int qs = off + 2;
                if (k.type == GgmlType.Q4_1) { put16(b, off + 2, k.dmin); qs += 2; }
                for (int j = 0; j < 16; j++) b[qs + j] = (byte) ((q[j] & 15) | (q[j + 16] & 15) << 4);
            }
            case Q5_0, Q5_1 -> {
                put16(b, off, k.d);
                int p = off + 2;
                if (k.type == GgmlType.Q5_1) { put16(b, off + 2, k.dmin); p += 2; }
                int qh = 0;
                for (int j = 0; j < 32; j++) qh |= ((q[j] >> 4) & 1) << j;
                for (int i = 0; i < 4; i++) b[p + i] = (byte) (qh >>> (8 * i));
                for (int j = 0; j < 16; j++) b[p + 4 + j] = (byte) ((q[j] & 15) | (q[j + 16] & 15) << 4);
            }
            case Q2_K -> {
                for (int j = 0; j < 16; j++) b[off + j] = (byte) ((k.sc[j] & 15) | (k.mn[j] & 15) << 4);
                for (int e = 0; e < 256; e++) b[off + 16 + 32 * (e >> 7) + (e & 31)] |= (byte) ((q[e] & 3) << (2 * ((e & 127) >> 5)));
                put16(b, off + 80, k.d);
                put16(b, off + 82, k.dmin);
            }
            case Q3_K -> {
                for (int e = 0; e < 256; e++) {
                    b[off + 32 + 32 * (e >> 7) + (e & 31)] |= (byte) ((q[e] & 3) << (2 * ((e & 127) >> 5)));
                    b[off + (e & 31)] |= (byte) (((q[e] >> 2) & 1) << (e >> 5));
                }
                int s = off + 96;
                for (int j = 0; j < 16; j++) {
                    int l = k.sc[j] & 63;
                    if (j < 8) b[s + j] |= (byte) (l & 15);
                    else b[s + j - 8] |= (byte) ((l & 15) << 4);
                    b[s + 8 + (j & 3)] |= (byte) ((l >> 4) << (2 * (j >> 2)));
                }
                put16(b, off + 108, k.d);
            }
            case Q4_K, Q5_K -> {
                put16(b, off, k.d);
                put16(b, off + 2, k.dmin);
                int s = off + 4;
                for (int j = 0; j < 4; j++) {
                    b[s + j] = (byte) (k.sc[j] & 63);
                    b[s + j + 4] = (byte) (k.mn[j] & 63);
                }
                for (int j = 4; j < 8; j++) {
                    int ls = k.sc[j] & 63, lm = k.mn[j] & 63;
                    b[s + j + 4] = (byte) ((ls & 15) | (lm & 15) << 4);
                    b[s + j - 4] |= (byte) ((ls >> 4) << 6);
                    b[s + j] |= (byte) ((lm >> 4) << 6);
                }
                boolean five = k.type == GgmlType.Q5_K;
                int qs = off + (five ? 48 : 16), qh = off + 16;
                for (int c = 0; c < 4; c++) {
                    for (int l = 0; l < 32; l++) {
                        int lo = q[64 * c + l], hi = q[64 * c + 32 + l];
                        b[qs + 32 * c + l] = (byte) ((lo & 15) | (hi & 15) << 4);
                        if (five) b[qh + l] |= (byte) (((lo >> 4) & 1) << (2 * c) | ((hi >> 4) & 1) << (2 * c + 1));
                    }
                }
            }
            case Q6_K -> {
                for (int h = 0; h < 2; h++) {
                    int ql = off + 64 * h, qh = off + 128 + 32 * h, e = 128 * h;
                    for (int l = 0; l < 32; l++) {
                        int q1 = q[e + l] & 63, q2 = q[e + l + 32] & 63, q3 = q[e + l + 64] & 63, q4 = q[e + l + 96] & 63;
                        b[ql + l] = (byte) ((q1 & 15) | (q3 & 15) << 4);
                        b[ql + l + 32] = (byte) ((q2 & 15) | (q4 & 15) << 4);
                        b[qh + l] = (byte) ((q1 >> 4) | (q2 >> 4) << 2 | (q3 >> 4) << 4 | (q4 >> 4) << 6);
                    }
                }
                for (int j = 0; j < 16; j++) b[off + 192 + j] = (byte) k.sc[j];
                put16(b, off + 208, k.d);
            }
            default -> throw new IllegalArgumentException(k.type.name());
        }
    }

    /** The block's values into {@code y[off .. off+blockSize)}, computed as ggml's dequantize_row_* computes them. */
    public static void dequantize(QBlock k, float[] y, int off) {
        int[] q = k.q;
        float d = h2f(k.d);
        switch (k.type) {
            case Q8_0 -> { for (int i = 0; i < 32; i++) y[off + i] = q[i] * d; }
            case Q4_0 -> { for (int i = 0; i < 32; i++) y[off + i] = (q[i] - 8) * d; }
            case Q5_0 -> { for (int i = 0; i < 32; i++) y[off + i] = (q[i] - 16) * d; }
            case Q4_1, Q5_1 -> {
                float m = h2f(k.dmin);
                for (int i = 0; i < 32; i++) y[off + i] = q[i] * d + m;
            }
            case Q2_K, Q4_K, Q5_K -> {
                float dmin = h2f(k.dmin);
                int sub = k.subBlockSize();
                for (int j = 0; j < k.sc.length; j++) {
                    float dl = d * k.sc[j], ml = dmin * k.mn[j];
                    for (int l = 0; l < sub; l++) y[off + j * sub + l] = dl * q[j * sub + l] - ml;
                }
            }
            case Q3_K -> {
                for (int j = 0; j < 16; j++) {
                    float dl = d * (k.sc[j] - 32);
                    for (int l = 0; l < 16; l++) y[off + 16 * j + l] = dl * (q[16 * j + l] - 4);
                }
            }
            case Q6_K -> {
                for (int j = 0; j < 16; j++) {
                    float dl = d * k.sc[j];
                    for (int l = 0; l < 16; l++) y[off + 16 * j + l] = dl * (q[16 * j + l] - 32);
                }
            }
            default -> throw new IllegalArgumentException(k.type.name());
        }
    }

    /**
     * Decodes {@code n} elements (a multiple of the block size) of type {@code t} starting at byte {@code src[srcOff]}
     * into {@code y[yOff..]}.
     */
    public static void decode(GgmlType t, MemorySegment src, long srcOff, float[] y, int yOff, int n) {
        switch (t) {
            case F32 -> MemorySegment.copy(src, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), srcOff, y, yOff, n);
            case F16 -> {
                for (int i = 0; i < n; i++) y[yOff + i] = Float.float16ToFloat(src.get(LE16, srcOff + 2L * i));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) y[yOff + i] = bf2f(src.get(LE16, srcOff + 2L * i));
            }
            default -> {
                QBlock k = new QBlock(t);
                byte[] buf = new byte[t.typeSize];
                int blocks = n / t.blockSize;
                for (int i = 0; i < blocks; i++) {
                    MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOff + (long) i * t.typeSize, buf, 0, t.typeSize);
                    unpack(buf, 0, k);
                    dequantize(k, y, yOff + i * t.blockSize);
                }
            }
        }
    }

    /** Decodes a byte array holding whole blocks. */
    public static float[] decode(GgmlType t, byte[] bytes, int n) {
        float[] y = new float[n];
        decode(t, MemorySegment.ofArray(bytes), 0, y, 0, n);
        return y;
    }

    static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
}
