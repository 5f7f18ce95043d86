package io.vdq.io.gguf;

import java.util.List;

/**
 * One GGUF metadata value: its type and a Java value (integers as {@code Long}, unsigned ones holding their bits;
 * FLOAT32 as {@code Float}, FLOAT64 as {@code Double}, BOOL as {@code Boolean}, STRING as {@code String}, ARRAY as
 * an unmodifiable {@code List} of such values with {@code elementType} saying their type).
 */
public record GgufValue(Type type, Object value, Type elementType) {
    /** GGUF value types with their ids and payload sizes (−1: variable). */
    public enum Type {
        UINT8(0, 1), INT8(1, 1), UINT16(2, 2), INT16(3, 2), UINT32(4, 4), INT32(5, 4), FLOAT32(6, 4), BOOL(7, 1),
        STRING(8, -1), ARRAY(9, -1), UINT64(10, 8), INT64(11, 8), FLOAT64(12, 8);

        public final int id;
        public final int size;

        Type(int id, int size) {
            this.id = id;
            this.size = size;
        }

        public static Type byId(long id) {
            for (Type t : values()) if (t.id == id) return t;
            return null;
        }

        boolean integer() { return this != FLOAT32 && this != FLOAT64 && this != BOOL && this != STRING && this != ARRAY; }

        boolean unsigned() { return this == UINT8 || this == UINT16 || this == UINT32 || this == UINT64; }
    }

    public GgufValue {
        if (type == Type.ARRAY) {
            if (elementType == null || elementType == Type.ARRAY)
                throw new IllegalArgumentException("GGUF array of " + elementType + " (ggml refuses arrays of arrays)");
            value = List.copyOf((List<?>) value);
        } else if (elementType != null) {
            throw new IllegalArgumentException("element type on a scalar");
        }
    }

    public static GgufValue string(String s) { return new GgufValue(Type.STRING, s, null); }

    public static GgufValue u32(long v) { return new GgufValue(Type.UINT32, v & 0xffffffffL, null); }

    public static GgufValue i32(int v) { return new GgufValue(Type.INT32, (long) v, null); }

    public static GgufValue u64(long v) { return new GgufValue(Type.UINT64, v, null); }

    public static GgufValue f32(float v) { return new GgufValue(Type.FLOAT32, v, null); }

    public static GgufValue f64(double v) { return new GgufValue(Type.FLOAT64, v, null); }

    public static GgufValue bool(boolean v) { return new GgufValue(Type.BOOL, v, null); }

    public static GgufValue array(Type elementType, List<?> values) { return new GgufValue(Type.ARRAY, values, elementType); }

    /** The value as a long (integers; unsigned 64-bit values above 2^63 come back negative). */
    public long asLong() {
        if (!type.integer()) throw new IllegalStateException(type + " is not an integer");
        return (Long) value;
    }

    /** A short human form: strings as they are, numbers in decimal (unsigned as unsigned), arrays abbreviated. */
    public String display() {
        if (type == Type.ARRAY) {
            List<?> l = (List<?>) value;
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < Math.min(16, l.size()); i++) {
                if (i > 0) sb.append(", ");
                sb.append(scalar(elementType, l.get(i)));
            }
            if (l.size() > 16) sb.append(", … (").append(l.size()).append(" ").append(elementType).append(")");
            return sb.append("]").toString();
        }
        return scalar(type, value);
    }

    private static String scalar(Type t, Object v) {
        if (t == Type.UINT64) return Long.toUnsignedString((Long) v);
        return String.valueOf(v);
    }
}
