package io.vdq.quant.ckpt;

import com.fasterxml.jackson.databind.JsonNode;
import io.vdq.VdqException.CheckpointException;
import io.vdq.io.DType;
import io.vdq.io.TensorInfo;
import io.vdq.io.TensorSource;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Checked reads from a quantized checkpoint: every tensor must exist with the expected dtype and shape, every
 * descriptor field with the expected type; errors name the file, the tensor or layer and field, and what was
 * expected. Remembers which tensors were read, so that leftovers can be reported.
 */
final class Tensors {
    private final TensorSource src;
    private final String file;
    private final Set<String> used = new HashSet<>();

    Tensors(TensorSource src) {
        this.src = src;
        this.file = src.describe();
    }

    String file() { return file; }

    Set<String> used() { return used; }

    private TensorInfo info(String name, long[] shape) {
        if (!src.contains(name))
            throw new CheckpointException(file + ": missing tensor '" + name + "' of shape " + Arrays.toString(shape)
                    + " (the layer descriptor in __metadata__ needs it)");
        TensorInfo i = src.info(name);
        if (!Arrays.equals(i.shape(), shape))
            throw new CheckpointException(file + ": tensor '" + name + "' has shape " + Arrays.toString(i.shape()) + ", expected "
                    + Arrays.toString(shape));
        used.add(name);
        return i;
    }

    /** A float tensor of {@code dtype} (null: any of F32, F16, BF16) widened to float32. */
    float[] floats(String name, DType dtype, long... shape) {
        DType d = info(name, shape).dtype();
        if (dtype != null ? d != dtype : !(d == DType.F32 || d == DType.F16 || d == DType.BF16))
            throw new CheckpointException(file + ": tensor '" + name + "' is " + d + ", expected " + (dtype != null ? dtype : "F32, F16 or BF16"));
        float[] v = src.readFloat(name).toArray();
        // a layer's scales, zero points, transforms and bias are never NaN/Inf (the writer refuses them): even with
        // --no-verify, a non-finite value is refused here rather than giving NaN videos on one backend only
        for (int i = 0; i < v.length; i++)
            if (!Float.isFinite(v[i]))
                throw new CheckpointException(file + ": tensor '" + name + "' element " + i + " is " + v[i] + " (expected finite values)");
        return v;
    }

    float[] floats(String name, DType dtype, int... shape) { return floats(name, dtype, longs(shape)); }

    /** An integer tensor (U8, I8 or I32) widened to int. */
    int[] ints(String name, long[] shape) {
        DType d = info(name, shape).dtype();
        if (d != DType.U8 && d != DType.I8 && d != DType.I32)
            throw new CheckpointException(file + ": tensor '" + name + "' is " + d + ", expected U8, I8 or I32");
        return src.readInts(name);
    }

    /** The raw bytes of a one-byte-per-element tensor of exactly {@code dtype}. */
    byte[] bytes(String name, DType dtype, int... shape) {
        DType d = info(name, longs(shape)).dtype();
        if (d != dtype) throw new CheckpointException(file + ": tensor '" + name + "' is " + d + ", expected " + dtype);
        return src.readBytes(name);
    }

    private static long[] longs(int[] s) { return Arrays.stream(s).asLongStream().toArray(); }

    // ---- descriptor fields ----

    private JsonNode field(JsonNode o, String f, String where) {
        JsonNode v = o == null ? null : o.get(f);
        if (v == null || v.isNull())
            throw new CheckpointException(file + ": layer descriptor of " + where + " has no field '" + f + "'");
        return v;
    }

    private CheckpointException wrong(String f, String where, String expected, JsonNode v) {
        return new CheckpointException(file + ": layer descriptor of " + where + ": field '" + f + "' = " + v + ", expected " + expected);
    }

    String text(JsonNode o, String f, String where) {
        JsonNode v = field(o, f, where);
        if (!v.isTextual()) throw wrong(f, where, "a string", v);
        return v.asText();
    }

    int integer(JsonNode o, String f, String where) {
        JsonNode v = field(o, f, where);
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw wrong(f, where, "an integer", v);
        return v.asInt();
    }

    long longValue(JsonNode o, String f, String where) {
        JsonNode v = field(o, f, where);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) throw wrong(f, where, "an integer", v);
        return v.asLong();
    }

    double doubleValue(JsonNode o, String f, String where) {
        JsonNode v = field(o, f, where);
        if (!v.isNumber()) throw wrong(f, where, "a number", v);
        return v.asDouble();
    }

    boolean bool(JsonNode o, String f, String where) {
        JsonNode v = field(o, f, where);
        if (!v.isBoolean()) throw wrong(f, where, "true or false", v);
        return v.asBoolean();
    }

    JsonNode object(JsonNode o, String f, String where) {
        JsonNode v = field(o, f, where);
        if (!v.isObject()) throw wrong(f, where, "an object", v);
        return v;
    }

    <E extends Enum<E>> E enumValue(Class<E> type, JsonNode o, String f, String where) {
        String s = text(o, f, where);
        try {
            return Enum.valueOf(type, s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw wrong(f, where, "one of " + Arrays.toString(type.getEnumConstants()).toLowerCase(Locale.ROOT), field(o, f, where));
        }
    }
}
