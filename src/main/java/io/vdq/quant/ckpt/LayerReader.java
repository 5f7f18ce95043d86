package io.vdq.quant.ckpt;

import com.fasterxml.jackson.databind.JsonNode;
import io.vdq.VdqException.CheckpointException;
import io.vdq.io.DType;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.QuantizedLinear;
import io.vdq.quant.StepTag;

/**
 * What a {@link LayerCodec}, {@link TransformCodec} or {@link HookCodec} reads through: checked reads of the
 * checkpoint's tensors (dtype and shape as expected, values finite) and descriptor fields (present, of the expected
 * type), each error naming the file, the layer or tensor and the field; the model's shared activation width and step
 * tag; and the built-in {@code quantized_linear} decoder.
 */
public final class LayerReader {
    private final Tensors t;
    private final ActivationBits bits;
    private final StepTag tag;

    LayerReader(Tensors t, ActivationBits bits, StepTag tag) {
        this.t = t;
        this.bits = bits;
        this.tag = tag;
    }

    /** The file read, for error messages. */
    public String file() { return t.file(); }

    /** The activation width every layer of the model shares. */
    public ActivationBits activationBits() { return bits; }

    /** The step tag the sampler sets, shared by every step-tagged layer. */
    public StepTag stepTag() { return tag; }

    public String text(JsonNode o, String field, String where) { return t.text(o, field, where); }
    public int integer(JsonNode o, String field, String where) { return t.integer(o, field, where); }
    public long longValue(JsonNode o, String field, String where) { return t.longValue(o, field, where); }
    public double doubleValue(JsonNode o, String field, String where) { return t.doubleValue(o, field, where); }
    public boolean bool(JsonNode o, String field, String where) { return t.bool(o, field, where); }
    public JsonNode object(JsonNode o, String field, String where) { return t.object(o, field, where); }
    public <E extends Enum<E>> E enumValue(Class<E> type, JsonNode o, String field, String where) {
        return t.enumValue(type, o, field, where);
    }

    /** A float tensor of {@code dtype} (null: any of F32, F16, BF16) and exactly {@code shape}, widened to float32. */
    public float[] floats(String name, DType dtype, long... shape) { return t.floats(name, dtype, shape); }
    public float[] floats(String name, DType dtype, int... shape) { return t.floats(name, dtype, shape); }

    /** Refuses sizes that are not positive or whose product reaches 2^31. */
    public void checkShape(String prefix, int out, int in) {
        if (out < 1 || in < 1 || (long) out * in > Integer.MAX_VALUE - 16)
            throw new CheckpointException(t.file() + ": layer '" + prefix + "' is " + out + "×" + in + ": expected positive sizes "
                    + "with out·in below 2^31");
    }

    /** The layer's bias ({@code PREFIX.bias}, any float dtype) when its descriptor says it has one, else null. */
    public float[] bias(String prefix, JsonNode descriptor, int out) {
        return t.bool(descriptor, "bias", prefix) ? t.floats(prefix + ".bias", null, out) : null;
    }

    /** Integer codes written by {@link LayerWriter#codes} with the descriptor's {@code packing}. */
    public int[] codes(String name, String packing, int rows, int cols, int bits, boolean signed) {
        return Packing.read(name, packing, rows, cols, bits, signed, t);
    }

    /** Rebuilds a {@code quantized_linear} layer (as {@link LayerWriter#quantized} wrote it). */
    public QuantizedLinear quantized(String prefix, JsonNode descriptor) { return Codecs.QUANTIZED.decode(prefix, descriptor, this); }

    Tensors tensors() { return t; }
}
