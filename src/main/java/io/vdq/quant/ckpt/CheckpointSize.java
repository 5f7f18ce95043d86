package io.vdq.quant.ckpt;

import com.fasterxml.jackson.databind.JsonNode;
import io.vdq.VdqException.CheckpointException;
import io.vdq.VdqException.ConfigException;
import io.vdq.io.DType;
import io.vdq.io.SafetensorsFile;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanParameters;
import io.vdq.quant.Granularity;
import io.vdq.quant.QuantMethod;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.Recipe;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Sizes of a quantized checkpoint: measured from a written file (tensor data bytes from its header), or estimated
 * from a config's shapes and a recipe by the same layout rules the {@link LayerCodec}s write (so a Wan2.1-1.3B-shaped
 * checkpoint can be sized without quantizing 1.3 B parameters; a test keeps estimate and files equal). The BF16
 * reference of the quantized layers is their weight and bias at 2 bytes per value; header JSON is not counted.
 *
 * @param quantizedBytes     tensor bytes of the quantized layers (codes, scales, zero points, transforms, biases)
 * @param quantizedBf16Bytes the same layers' weight + bias in BF16
 * @param floatBytes         every other tensor (embeddings, norms, modulation tables, float linears)
 * @param floatBf16Bytes     those tensors in BF16
 */
public record CheckpointSize(int layers, long quantizedBytes, long quantizedBf16Bytes, long floatBytes, long floatBf16Bytes) {

    /** Quantized-layer bytes over their BF16 size (≤ 1/3.9 ≈ 0.256 is the W4 target). */
    public double quantizedRatio() { return (double) quantizedBytes / quantizedBf16Bytes; }

    /** Whole checkpoint (tensor data) over the whole model in BF16. */
    public double totalRatio() { return (double) (quantizedBytes + floatBytes) / (quantizedBf16Bytes + floatBf16Bytes); }

    /** Measures a written checkpoint file. */
    public static CheckpointSize measure(Path weightsFile) {
        try (SafetensorsFile f = SafetensorsFile.open(weightsFile)) {
            String layers = f.metadata().get(QuantizedCheckpoint.KEY_LAYERS);
            if (layers == null) throw new CheckpointException(weightsFile + ": __metadata__ has no 'layers' (not a vdq quantized checkpoint)");
            JsonNode l;
            try {
                l = Codecs.JSON.readTree(layers);
            } catch (IOException e) {
                throw new CheckpointException(weightsFile + ": __metadata__ layers is not valid JSON: " + e.getMessage(), e);
            }
            long q = 0, qRef = 0, fl = 0, flRef = 0;
            for (String n : f.names()) {
                var info = f.info(n);
                boolean quant = false;
                for (var it = l.fieldNames(); it.hasNext() && !quant; ) quant = n.startsWith(it.next() + ".");
                if (quant) q += info.bytes();
                else { fl += info.bytes(); flRef += 2 * info.elements(); }
            }
            for (var it = l.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                long out = e.getValue().path("out").asLong(), in = e.getValue().path("in").asLong();
                JsonNode b = e.getValue().has("variants") ? e.getValue().get("variants").get(0) : e.getValue();
                qRef += 2 * (out * in + (b.path("bias").asBoolean() ? out : 0));
            }
            return new CheckpointSize(l.size(), q, qRef, fl, flRef);
        }
    }

    /**
     * Estimates the checkpoint of {@code c} quantized by {@code r} with float parameters stored as {@code floatType}.
     * Each quantized layer's bytes come from its method ({@link QuantMethod#storedBytes}); a method without a size
     * model is refused.
     */
    public static CheckpointSize estimate(WanConfig c, Recipe r, DType floatType) {
        long q = 0, qRef = 0, fl = 0, flRef = 0;
        int layers = 0;
        QuantMethods.LayerBytes size = QuantMethods.storedBytes(r);
        Map<String, int[]> shapes = WanParameters.expectedShapes(c);
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            String name = e.getKey();
            int[] s = e.getValue();
            long n = 1;
            for (int d : s) n *= d;
            boolean linearWeight = name.endsWith(".weight") && s.length >= 2;
            String prefix = name.substring(0, Math.max(0, name.lastIndexOf('.')));
            boolean isQuantLinear = (linearWeight || (name.endsWith(".bias") && shapes.containsKey(prefix + ".weight")
                    && shapes.get(prefix + ".weight").length >= 2)) && r.selects(prefix);
            if (!isQuantLinear) { fl += n * floatType.bytes; flRef += 2 * n; continue; }
            if (name.endsWith(".bias")) continue; // counted with its weight
            int out = s[0];
            int in = (int) (n / out);
            boolean bias = shapes.containsKey(prefix + ".bias");
            q += layerBytes(size, r, out, in, bias, floatType, prefix);
            qRef += 2 * ((long) out * in + (bias ? out : 0));
            layers++;
        }
        if (layers == 0) throw new ConfigException("recipe '" + r.name() + "' selects no layer of this config");
        return new CheckpointSize(layers, q, qRef, fl, flRef);
    }

    private static long layerBytes(QuantMethods.LayerBytes size, Recipe r, int out, int in, boolean bias, DType floatType, String layer) {
        long biasBytes = bias ? (long) out * floatType.bytes : 0;
        return size.of(layer, out, in, biasBytes).orElseThrow(() -> new ConfigException(
                "no size model for method '" + r.method() + "': write the checkpoint and measure it (vdq quantize prints its size)"));
    }

    /**
     * The stored bytes of a {@code QuantizedLinear}'s weight under {@code r} (the {@code quantized_linear} codec): float32
     * weights, or codes (two 4-bit codes a byte up to 4 bits, a byte each above), a float32 scale per weight group
     * and a one-byte zero point per group unless symmetric; with static activations, their scale (F32) and zero point
     * (I32). Without bias and input transforms.
     */
    public static long quantizedLinearBytes(Recipe r, int out, int in, boolean staticActivations) {
        long one;
        if (r.floatWeights()) one = 4L * out * in;
        else {
            long n = r.weightGranularity().count(out, in, r.weightGranularity() == Granularity.PER_GROUP ? r.groupSize() : 1);
            one = codes(out, in, r.weightBits()) + 4 * n + (r.weightSymmetric() ? 0 : n);
        }
        return one + (staticActivations ? 8 : 0);
    }

    /** The bytes a registered input transform of {@code type} (e.g. {@code divide_channels}) stores for a layer of input width {@code in}. */
    public static long transformBytes(String type, int in) { return Codecs.transform(type).storedBytes(in); }

    /** Packed weight codes: two a byte up to 4 bits, one a byte above. */
    public static long codes(int out, int in, int bits) {
        return bits <= 4 ? (long) out * ((in + 1) / 2) : (long) out * in;
    }
}
