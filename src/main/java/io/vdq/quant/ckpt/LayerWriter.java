package io.vdq.quant.ckpt;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.io.DType;
import io.vdq.io.SafetensorsWriter;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.QuantizedLinear;
import io.vdq.tensor.Tensor;

/**
 * What a {@link LayerCodec} or {@link TransformCodec} writes through: tensors into the checkpoint being written (float
 * parameters as F32, biases in the checkpoint's float dtype, integer codes packed as the format packs them), the
 * model's shared activation width, and the built-in {@code quantized_linear} descriptor for layers made of them.
 */
public final class LayerWriter {
    private final SafetensorsWriter w;
    private final DType floatType;
    private final ActivationBits bits;

    LayerWriter(SafetensorsWriter w, DType floatType, ActivationBits bits) {
        this.w = w;
        this.floatType = floatType;
        this.bits = bits;
    }

    /** The activation width every layer of the model shares (a layer with another one cannot be stored). */
    public ActivationBits activationBits() { return bits; }

    /** A new, empty JSON object for descriptors. */
    public ObjectNode object() { return Codecs.JSON.createObjectNode(); }

    /** Writes a float32 tensor. */
    public void f32(String name, float[] values, int... shape) { w.add(name, Tensor.of(values, shape), DType.F32); }

    /** Writes the layer's bias (if any) as {@code PREFIX.bias} in the float dtype and records {@code "bias": true/false}. */
    public void bias(String prefix, float[] bias, int out, ObjectNode descriptor) {
        descriptor.put("bias", bias != null);
        if (bias != null) w.add(prefix + ".bias", Tensor.of(bias, out), floatType);
    }

    /** Writes integer codes ({@code rows × cols}, {@code bits} wide) packed; returns the packing's name for the descriptor. */
    public String codes(String name, int[] codes, int rows, int cols, int bits, boolean signed) {
        return Packing.write(name, codes, rows, cols, bits, signed, w);
    }

    /** Writes a {@code quantized_linear} layer under {@code prefix} and returns its descriptor (with its kind). */
    public ObjectNode quantized(String prefix, QuantizedLinear q) {
        ObjectNode d = object();
        Codecs.QUANTIZED.encode(prefix, q, this, d.put("kind", Codecs.QUANTIZED.kind()));
        return d;
    }

    SafetensorsWriter writer() { return w; }
}
