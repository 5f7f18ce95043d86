package io.vdq.quant;

import io.vdq.VdqException.ShapeException;

/**
 * Integer code packing for checkpoints and native kernels. int8: one code per byte; signed codes as two's
 * complement, unsigned codes (0..255) as the byte's unsigned value. int4: two codes per byte, element 2i in the
 * LOW nibble and element 2i+1 in the HIGH nibble of byte i (the order of GGUF Q4 and most int4 GEMMs);
 * signed codes (−8..7) as two's-complement nibbles, unsigned (0..15) as is; an odd count pads the last high
 * nibble with 0.
 */
public final class IntPacking {
    private IntPacking() {}

    public static byte[] packInt8(int[] q, int off, int n, boolean signed) {
        int lo = signed ? -128 : 0, hi = signed ? 127 : 255;
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) {
            int v = q[off + i];
            if (v < lo || v > hi) throw new ShapeException("int8 code " + v + " at " + i + " outside [" + lo + ", " + hi + "]");
            out[i] = (byte) v;
        }
        return out;
    }

    public static int[] unpackInt8(byte[] p, int n, boolean signed) {
        if (p.length < n) throw new ShapeException("int8 buffer has " + p.length + " bytes, expected " + n);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = signed ? p[i] : p[i] & 0xFF;
        return out;
    }

    /** Packed size in bytes of n int4 codes. */
    public static int int4Bytes(int n) { return (n + 1) / 2; }

    public static byte[] packInt4(int[] q, int off, int n, boolean signed) {
        int lo = signed ? -8 : 0, hi = signed ? 7 : 15;
        byte[] out = new byte[int4Bytes(n)];
        for (int i = 0; i < n; i++) {
            int v = q[off + i];
            if (v < lo || v > hi) throw new ShapeException("int4 code " + v + " at " + i + " outside [" + lo + ", " + hi + "]");
            int nib = v & 0xF;
            out[i >> 1] |= (byte) ((i & 1) == 0 ? nib : nib << 4);
        }
        return out;
    }

    public static int[] unpackInt4(byte[] p, int n, boolean signed) {
        if (p.length < int4Bytes(n)) throw new ShapeException("int4 buffer has " + p.length + " bytes, expected " + int4Bytes(n));
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int nib = (i & 1) == 0 ? p[i >> 1] & 0xF : (p[i >> 1] >> 4) & 0xF;
            out[i] = signed && nib >= 8 ? nib - 16 : nib;
        }
        return out;
    }
}
