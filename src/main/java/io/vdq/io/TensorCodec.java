package io.vdq.io;

import io.vdq.VdqException.CheckpointException;
import io.vdq.tensor.Parallel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Conversions between safetensors' little-endian element encodings and Java arrays: decoding any readable
 * dtype to float32 / int / long, encoding float32 to every writable dtype (F16 and BF16 round to nearest,
 * ties to even). Large decodes are split over {@link Parallel} in contiguous ranges.
 */
public final class TensorCodec {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int PARALLEL_MIN = 1 << 16;

    private TensorCodec() {}

    /** bfloat16 bits to float32: the bf16 bits are the top half of the float's bits. */
    public static float bf16ToFloat(short bits) { return Float.intBitsToFloat((bits & 0xFFFF) << 16); }

    /** float32 to bfloat16 bits, rounding to nearest with ties to even; NaN stays a (quiet) NaN. */
    public static short floatToBf16(float f) {
        int x = Float.floatToRawIntBits(f);
        if ((x & 0x7FFFFFFF) > 0x7F800000) return (short) ((x >>> 16) | 0x0040);
        int rounded = x + 0x7FFF + ((x >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    /** IEEE binary16 bits to float32 (exact). */
    public static float f16ToFloat(short bits) { return Float.float16ToFloat(bits); }

    /** float32 to IEEE binary16 bits, rounding to nearest with ties to even (the JDK's conversion). */
    public static short floatToF16(float f) { return Float.floatToFloat16(f); }

    /** Decodes {@code n} elements of {@code dt} from {@code seg} into float32. */
    public static float[] toFloats(MemorySegment seg, DType dt, int n) {
        float[] out = new float[n];
        toFloats(seg, dt, out, 0, n);
        return out;
    }

    /** Decodes {@code n} elements of {@code dt} from the start of {@code seg} into {@code out[off, off + n)}. */
    public static void toFloats(MemorySegment seg, DType dt, float[] out, int off, int n) {
        rangeOf(n, (from, to) -> {
            switch (dt) {
                case F16, BF16 -> halves(seg, dt == DType.BF16, out, off, from, to);
                case I8 -> { for (int i = from; i < to; i++) out[off + i] = seg.get(ValueLayout.JAVA_BYTE, i); }
                case U8 -> { for (int i = from; i < to; i++) out[off + i] = seg.get(ValueLayout.JAVA_BYTE, i) & 0xFF; }
                case BOOL -> { for (int i = from; i < to; i++) out[off + i] = seg.get(ValueLayout.JAVA_BYTE, i) != 0 ? 1f : 0f; }
                case I32 -> { for (int i = from; i < to; i++) out[off + i] = seg.get(I32, 4L * i); }
                case I64 -> { for (int i = from; i < to; i++) out[off + i] = seg.get(I64, 8L * i); }
                case F32 -> MemorySegment.copy(seg, F32, 4L * from, out, off + from, to - from);
            }
        });
    }

    /** F16/BF16 elements [from, to) to float at out[off + i], through a small bulk-copied short[] buffer (faster than per-element reads). */
    private static void halves(MemorySegment seg, boolean bf16, float[] out, int off, int from, int to) {
        short[] buf = new short[Math.min(4096, to - from)];
        for (int i = from; i < to; i += buf.length) {
            int c = Math.min(buf.length, to - i);
            MemorySegment.copy(seg, I16, 2L * i, buf, 0, c);
            if (bf16) for (int k = 0; k < c; k++) out[off + i + k] = Float.intBitsToFloat(buf[k] << 16);
            else for (int k = 0; k < c; k++) out[off + i + k] = Float.float16ToFloat(buf[k]);
        }
    }

    /** Decodes integer dtypes (I8, U8, I32, I64, BOOL) to int; I64 values outside int range are refused. */
    public static int[] toInts(String where, MemorySegment seg, DType dt, int n) {
        int[] out = new int[n];
        switch (dt) {
            case I8 -> { for (int i = 0; i < n; i++) out[i] = seg.get(ValueLayout.JAVA_BYTE, i); }
            case U8 -> { for (int i = 0; i < n; i++) out[i] = seg.get(ValueLayout.JAVA_BYTE, i) & 0xFF; }
            case BOOL -> { for (int i = 0; i < n; i++) out[i] = seg.get(ValueLayout.JAVA_BYTE, i) != 0 ? 1 : 0; }
            case I32 -> MemorySegment.copy(seg, I32, 0, out, 0, n);
            case I64 -> {
                for (int i = 0; i < n; i++) {
                    long v = seg.get(I64, 8L * i);
                    if (v != (int) v)
                        throw new CheckpointException(where + ": I64 value " + v + " at index " + i + " does not fit an int");
                    out[i] = (int) v;
                }
            }
            default -> throw new CheckpointException(where + ": dtype " + dt + " is not an integer type (expected I8, U8, I32, I64 or BOOL)");
        }
        return out;
    }

    /** Decodes integer dtypes (I8, U8, I32, I64, BOOL) to long. */
    public static long[] toLongs(String where, MemorySegment seg, DType dt, int n) {
        long[] out = new long[n];
        if (dt == DType.I64) { MemorySegment.copy(seg, I64, 0, out, 0, n); return out; }
        int[] v = toInts(where, seg, dt, n);
        for (int i = 0; i < n; i++) out[i] = v[i];
        return out;
    }

    /**
     * Encodes {@code n} floats from {@code src[off..]} as {@code dt} into {@code dst} (little-endian).
     * Integer targets need integral values inside the type's range; {@code where} names the tensor otherwise.
     */
    public static void encode(String where, float[] src, int off, int n, DType dt, MemorySegment dst) {
        encode(where, src, off, n, 0, dt, dst);
    }

    /** As {@link #encode(String, float[], int, int, DType, MemorySegment)}; messages number elements from {@code firstIndex}. */
    public static void encode(String where, float[] src, int off, int n, long firstIndex, DType dt, MemorySegment dst) {
        switch (dt) {
            case F32 -> MemorySegment.copy(src, off, dst, F32, 0, n);
            case F16, BF16 -> {
                short[] buf = new short[Math.min(4096, n)];
                for (int i = 0; i < n; i += buf.length) {
                    int c = Math.min(buf.length, n - i);
                    if (dt == DType.F16) for (int k = 0; k < c; k++) buf[k] = Float.floatToFloat16(src[off + i + k]);
                    else for (int k = 0; k < c; k++) buf[k] = floatToBf16(src[off + i + k]);
                    MemorySegment.copy(buf, 0, dst, I16, 2L * i, c);
                }
            }
            case I8, U8, I32 -> {
                long lo = dt == DType.I8 ? Byte.MIN_VALUE : dt == DType.I32 ? Integer.MIN_VALUE : 0;
                long hi = dt == DType.I8 ? Byte.MAX_VALUE : dt == DType.U8 ? 255 : Integer.MAX_VALUE;
                for (int i = 0; i < n; i++) {
                    double v = src[off + i];
                    if (v != Math.rint(v) || v < lo || v > hi)
                        throw new CheckpointException(where + ": value " + v + " at index " + (firstIndex + i) + " is not an integer in ["
                                + lo + ", " + hi + "] as " + dt + " needs");
                    if (dt == DType.I32) dst.set(I32, 4L * i, (int) v);
                    else dst.set(ValueLayout.JAVA_BYTE, i, (byte) (int) v);
                }
            }
            case I64, BOOL -> throw new CheckpointException(where + ": vdq does not write " + dt + " (writable: F32, F16, BF16, I8, U8, I32)");
        }
    }

    private static void rangeOf(int n, Parallel.RangeBody body) {
        if (n < PARALLEL_MIN) body.run(0, n);
        else Parallel.range(n, body);
    }
}
