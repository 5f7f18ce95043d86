package io.vdq.quant.ckpt;

import io.vdq.VdqException.CheckpointException;
import io.vdq.io.DType;
import io.vdq.io.SafetensorsWriter;
import io.vdq.quant.IntPacking;

/**
 * How integer weight codes and zero points are laid out in a quantized checkpoint. Codes of 2–4 bits are packed
 * two per byte row by row ({@code int4}: U8 {@code [out, ceil(in/2)]}, element 2i of a row in the low nibble of
 * byte i, 2i+1 in the high nibble, a row of odd length padded with a zero high nibble; signed codes as
 * two's-complement nibbles, see {@link IntPacking}); 5–8 bits take one byte each ({@code int8}: I8 for signed
 * codes, U8 for unsigned, {@code [out, in]}). Integer zero points are U8 when all fit 0..255, else I32.
 */
final class Packing {
    private Packing() {}

    /** Adds the codes as {@code name}; returns the packing written ("int4" or "int8"). */
    static String write(String name, int[] codes, int rows, int cols, int bits, boolean signed, SafetensorsWriter w) {
        if (bits <= 4) {
            int rb = IntPacking.int4Bytes(cols);
            byte[] all = new byte[rows * rb];
            for (int r = 0; r < rows; r++) System.arraycopy(IntPacking.packInt4(codes, r * cols, cols, signed), 0, all, r * rb, rb);
            w.addBytes(name, DType.U8, new long[]{rows, rb}, all);
            return "int4";
        }
        w.addBytes(name, signed ? DType.I8 : DType.U8, new long[]{rows, cols}, IntPacking.packInt8(codes, 0, rows * cols, signed));
        return "int8";
    }

    /** Reads codes written by {@link #write}, checking the packing, dtype and shape. */
    static int[] read(String name, String packing, int rows, int cols, int bits, boolean signed, Tensors t) {
        if (bits < 2 || bits > 8)
            throw new CheckpointException(t.file() + ": tensor '" + name + "' has " + bits + " bits, expected 2..8");
        String want = bits <= 4 ? "int4" : "int8";
        if (!want.equals(packing))
            throw new CheckpointException(t.file() + ": tensor '" + name + "' packing '" + packing + "', expected '" + want
                    + "' for " + bits + "-bit codes");
        if (bits <= 4) {
            int rb = IntPacking.int4Bytes(cols);
            byte[] all = t.bytes(name, DType.U8, rows, rb);
            int[] out = new int[rows * cols];
            byte[] row = new byte[rb];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(all, r * rb, row, 0, rb);
                System.arraycopy(IntPacking.unpackInt4(row, cols, signed), 0, out, r * cols, cols);
            }
            return out;
        }
        byte[] all = t.bytes(name, signed ? DType.I8 : DType.U8, rows, cols);
        return IntPacking.unpackInt8(all, rows * cols, signed);
    }

    /** Adds integer zero points as U8 (all in 0..255) or I32; returns the dtype written. */
    static String writeZeros(String name, int[] zeros, long[] shape, SafetensorsWriter w) {
        boolean small = true;
        for (int z : zeros) small &= z >= 0 && z <= 255;
        if (small) {
            w.addBytes(name, DType.U8, shape, IntPacking.packInt8(zeros, 0, zeros.length, false));
            return "U8";
        }
        w.addInts(name, shape, zeros);
        return "I32";
    }
}
