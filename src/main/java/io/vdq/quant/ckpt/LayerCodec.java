package io.vdq.quant.ckpt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException.CheckpointException;
import io.vdq.io.DType;
import io.vdq.io.SafetensorsWriter;
import io.vdq.model.Linear;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.ActivationQuantizer;
import io.vdq.quant.Granularity;
import io.vdq.quant.Hadamard;
import io.vdq.quant.InputTransform;
import io.vdq.quant.QuantParams;
import io.vdq.quant.QuantizedLinear;
import io.vdq.quant.StepTag;
import io.vdq.quant.UniformQuantizer;
import io.vdq.quant.dvd.Arq;
import io.vdq.quant.dvd.ArqLinear;
import io.vdq.quant.dvd.Bgr;
import io.vdq.quant.s2q.KroneckerTransform;
import io.vdq.quant.vidit.TimestepSwitchedLinear;
import io.vdq.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes and reads one quantized layer: its tensors under the layer's prefix and a JSON descriptor (kept in the
 * file's {@code __metadata__}). Kinds: {@code quantized_linear} ({@link QuantizedLinear}: codes, scales, zero
 * points, named input transforms, activation quantizer), {@code arq} ({@link ArqLinear}: BGR codes, scales, real
 * zero points, ARQ options and seed) and {@code timestep_switched} ({@link TimestepSwitchedLinear}: one
 * {@code quantized_linear} per step range under {@code PREFIX.range<i>}). docs/FORMAT.md describes the layout.
 */
final class LayerCodec {
    private LayerCodec() {}

    static final ObjectMapper JSON = new ObjectMapper();

    /** The objects every layer of one model shares: the activation width and the step tag. */
    record Shared(ActivationBits bits, StepTag tag) {}

    /** Writes the layer's tensors under {@code p} and returns its descriptor; float tensors (biases) as {@code floatType}. */
    static ObjectNode encode(String p, Linear layer, SafetensorsWriter w, DType floatType, ActivationBits shared) {
        ObjectNode d = JSON.createObjectNode();
        switch (layer) {
            case QuantizedLinear q -> encodeQuantized(p, q, w, floatType, shared, d);
            case ArqLinear a -> encodeArq(p, a, w, floatType, shared, d);
            case TimestepSwitchedLinear t -> {
                d.put("kind", "timestep_switched").put("out", t.outFeatures()).put("in", t.inFeatures());
                ArrayNode vs = d.putArray("variants");
                for (int i = 0; i < t.variants().size(); i++) {
                    ObjectNode v = JSON.createObjectNode();
                    encodeQuantized(p + ".range" + i, t.variants().get(i), w, floatType, shared, v);
                    vs.add(v);
                }
            }
            default -> throw new CheckpointException("layer '" + p + "' is a " + layer.getClass().getName()
                    + ": a quantized checkpoint stores QuantizedLinear, ArqLinear and TimestepSwitchedLinear layers only");
        }
        return d;
    }

    /** Rebuilds the layer at {@code p} from its descriptor and the file's tensors. */
    static Linear decode(String p, JsonNode d, Tensors t, Shared shared) {
        String kind = t.text(d, "kind", p);
        return switch (kind) {
            case "quantized_linear" -> decodeQuantized(p, d, t, shared);
            case "arq" -> decodeArq(p, d, t, shared);
            case "timestep_switched" -> {
                JsonNode vs = d.get("variants");
                if (vs == null || !vs.isArray() || vs.isEmpty())
                    throw new CheckpointException(t.file() + ": layer '" + p + "': field 'variants' must be a non-empty list");
                List<QuantizedLinear> list = new ArrayList<>();
                for (int i = 0; i < vs.size(); i++) list.add(decodeQuantized(p + ".range" + i, vs.get(i), t, shared));
                yield new TimestepSwitchedLinear(list, shared.tag());
            }
            default -> throw new CheckpointException(t.file() + ": layer '" + p + "' has kind '" + kind
                    + "', expected quantized_linear, arq or timestep_switched (written by a newer vdq?)");
        };
    }

    // ---- QuantizedLinear ----

    private static void encodeQuantized(String p, QuantizedLinear q, SafetensorsWriter w, DType floatType,
                                        ActivationBits shared, ObjectNode d) {
        int out = q.outFeatures(), in = q.inFeatures();
        d.put("kind", "quantized_linear").put("out", out).put("in", in);
        putBias(p, q.bias(), out, w, floatType, d);
        ObjectNode wd = d.putObject("weight");
        QuantParams qp = q.weightParams();
        if (qp == null) {
            wd.put("bits", 16);
            w.add(p + ".weight", Tensor.of(q.dequantizedWeight(), out, in), DType.F32);
        } else {
            int[] codes = q.codes();
            if (codes == null)
                throw new CheckpointException("layer '" + p + "': quantization parameters without integer codes cannot be saved");
            float[] check = new float[out * in];
            UniformQuantizer.dequantize(codes, 0, out, in, qp, check, 0);
            float[] deq = q.dequantizedWeight();
            for (int i = 0; i < check.length; i++)
                if (Float.floatToRawIntBits(check[i]) != Float.floatToRawIntBits(deq[i]))
                    throw new CheckpointException("layer '" + p + "': dequantized weight [" + i / in + ", " + i % in + "] = "
                            + deq[i] + " is not scale·(code − zero) = " + check[i] + "; such a layer cannot be stored as codes");
            wd.put("bits", qp.bits()).put("symmetric", qp.symmetric()).put("granularity", qp.granularity().jsonName())
                    .put("group_size", qp.groupSize());
            wd.put("packing", Packing.write(p + ".qweight", codes, out, in, qp.bits(), qp.symmetric(), w));
            long[] ss = scaleShape(qp.granularity(), out, in, qp.groupSize());
            w.add(p + ".scales", Tensor.of(qp.scale(), toInts(ss)), DType.F32);
            if (!qp.symmetric()) wd.put("zero_dtype", Packing.writeZeros(p + ".zeros", qp.zero(), ss, w));
        }
        ArrayNode td = d.putArray("transform");
        List<InputTransform> parts = new ArrayList<>();
        flatten(q.transform(), parts);
        for (int i = 0; i < parts.size(); i++) {
            ObjectNode o = td.addObject();
            switch (parts.get(i)) {
                case InputTransform.DivideChannels s -> {
                    o.put("type", "divide_channels");
                    w.add(p + ".transform." + i + ".divisors", Tensor.of(s.divisors(), in), DType.F32);
                }
                case InputTransform.HadamardRotation h -> o.put("type", "hadamard").put("block", h.hadamard().block())
                        .put("seed", h.hadamard().seed());
                case KroneckerTransform k -> {
                    o.put("type", "kronecker").put("d1", k.d1()).put("d2", k.d2());
                    w.add(p + ".transform." + i + ".scale", Tensor.of(k.scale(), in), DType.F32);
                    w.add(p + ".transform." + i + ".p1", Tensor.of(k.p1(), k.d1(), k.d1()), DType.F32);
                    w.add(p + ".transform." + i + ".p2", Tensor.of(k.p2(), k.d2(), k.d2()), DType.F32);
                }
                default -> throw new CheckpointException("layer '" + p + "': input transform " + parts.get(i).getClass().getName()
                        + " cannot be saved (known: divide_channels, hadamard, kronecker and chains of them)");
            }
        }
        ActivationQuantizer aq = q.activations();
        if (aq == null) { d.putNull("activations"); return; }
        if (aq.bits() != shared)
            throw new CheckpointException("layer '" + p + "': its activation width is not the model's shared ActivationBits");
        ObjectNode ad = d.putObject("activations");
        ad.put("symmetric", aq.symmetric()).put("granularity", aq.granularity().jsonName()).put("group_size", aq.groupSize());
        if (aq.clip() != 1f) ad.put("clip", aq.clip());
        QuantParams sp = aq.staticParams();
        if (sp != null) {
            ad.putObject("static").put("bits", sp.bits()).put("symmetric", sp.symmetric()).put("rows", sp.rows()).put("cols", sp.cols());
            w.add(p + ".act_scale", Tensor.of(sp.scale(), 1), DType.F32);
            w.addInts(p + ".act_zero", new long[]{1}, sp.zero());
        }
    }

    private static QuantizedLinear decodeQuantized(String p, JsonNode d, Tensors t, Shared shared) {
        int out = t.integer(d, "out", p), in = t.integer(d, "in", p);
        checkShape(p, out, in, t);
        float[] bias = readBias(p, d, t, out);
        JsonNode wd = t.object(d, "weight", p);
        int bits = t.integer(wd, "bits", p + " weight");
        float[] deq;
        int[] codes = null;
        QuantParams qp = null;
        if (bits == 16) {
            deq = t.floats(p + ".weight", DType.F32, out, in);
        } else {
            boolean sym = t.bool(wd, "symmetric", p + " weight");
            Granularity g = Granularity.parse(t.text(wd, "granularity", p + " weight"), p + " weight granularity");
            int gs = t.integer(wd, "group_size", p + " weight");
            if (g == Granularity.PER_GROUP && gs < 1)
                throw new CheckpointException(t.file() + ": layer '" + p + "' weight group_size " + gs + ": expected >= 1 for per_group");
            codes = Packing.read(p + ".qweight", t.text(wd, "packing", p + " weight"), out, in, bits, sym, t);
            long[] ss = scaleShape(g, out, in, gs);
            float[] scale = t.floats(p + ".scales", DType.F32, ss);
            int[] zero = sym ? new int[scale.length] : t.ints(p + ".zeros", ss);
            qp = new QuantParams(bits, sym, g, gs, out, in, scale, zero);
            for (int c : codes)
                if (c < qp.qmin() || c > qp.qmax())
                    throw new CheckpointException(t.file() + ": tensor '" + p + ".qweight' has code " + c + " outside ["
                            + qp.qmin() + ", " + qp.qmax() + "] for " + bits + " bits");
            deq = new float[out * in];
            UniformQuantizer.dequantize(codes, 0, out, in, qp, deq, 0);
        }
        InputTransform tr = null;
        JsonNode td = d.get("transform");
        if (td != null && !td.isArray()) throw new CheckpointException(t.file() + ": layer '" + p + "': field 'transform' must be a list");
        for (int i = 0; td != null && i < td.size(); i++) {
            JsonNode o = td.get(i);
            String type = t.text(o, "type", p + " transform " + i);
            InputTransform part = switch (type) {
                case "divide_channels" -> InputTransform.divideChannels(t.floats(p + ".transform." + i + ".divisors", DType.F32, in));
                case "hadamard" -> InputTransform.hadamard(new Hadamard(in, t.integer(o, "block", p + " transform " + i),
                        t.longValue(o, "seed", p + " transform " + i)));
                case "kronecker" -> {
                    String where = p + " transform " + i;
                    int d1 = t.integer(o, "d1", where), d2 = t.integer(o, "d2", where);
                    if (d1 < 1 || d2 < 1 || (long) d1 * d2 != in)
                        throw new CheckpointException(t.file() + ": layer '" + p + "' transform " + i + ": d1 " + d1 + " × d2 " + d2
                                + " must equal in_features " + in);
                    yield new KroneckerTransform(t.floats(p + ".transform." + i + ".scale", DType.F32, in), d1,
                            t.floats(p + ".transform." + i + ".p1", DType.F32, d1, d1), d2, t.floats(p + ".transform." + i + ".p2", DType.F32, d2, d2));
                }
                default -> throw new CheckpointException(t.file() + ": layer '" + p + "' transform " + i + " has type '" + type
                        + "', expected divide_channels, hadamard or kronecker");
            };
            tr = tr == null ? part : tr.andThen(part);
        }
        ActivationQuantizer aq = null;
        JsonNode ad = d.get("activations");
        if (ad != null && !ad.isNull()) {
            String where = p + " activations";
            QuantParams sp = null;
            JsonNode st = ad.get("static");
            if (st != null && !st.isNull()) {
                float[] s = t.floats(p + ".act_scale", DType.F32, 1);
                int[] z = t.ints(p + ".act_zero", new long[]{1});
                sp = new QuantParams(t.integer(st, "bits", where), t.bool(st, "symmetric", where), Granularity.PER_TENSOR, 0,
                        t.integer(st, "rows", where), t.integer(st, "cols", where), s, z);
            }
            aq = new ActivationQuantizer(shared.bits(), t.bool(ad, "symmetric", where),
                    Granularity.parse(t.text(ad, "granularity", where), where + " granularity"),
                    t.integer(ad, "group_size", where), sp, clip(ad, where));
        }
        return new QuantizedLinear(out, in, deq, bias, codes, qp, tr, aq);
    }

    /** The optional activation clipping ratio (absent = 1, no clipping); a float in (0, 1]. */
    private static float clip(JsonNode ad, String where) {
        JsonNode c = ad.get("clip");
        if (c == null || c.isNull()) return 1f;
        if (!c.isNumber() || !(c.floatValue() > 0 && c.floatValue() <= 1))
            throw new CheckpointException(where + ": field 'clip' = " + c + ", expected a number in (0, 1]");
        return c.floatValue();
    }

    // ---- ArqLinear ----

    private static void encodeArq(String p, ArqLinear a, SafetensorsWriter w, DType floatType, ActivationBits shared, ObjectNode d) {
        if (a.activationBits() != shared)
            throw new CheckpointException("layer '" + p + "': its activation width is not the model's shared ActivationBits");
        if (a.shiftWeights() != null)
            throw new CheckpointException("layer '" + p + "': recipe option center_weights (a copy of the weights for centring's "
                    + "correction) is not stored in a quantized checkpoint; quantize with center_weights=quantized to save");
        Bgr.Result r = a.weights();
        int out = r.rows(), in = r.cols();
        d.put("kind", "arq").put("out", out).put("in", in);
        putBias(p, a.bias(), out, w, floatType, d);
        ObjectNode wd = d.putObject("weight");
        wd.put("bits", r.bits()).put("symmetric", false).put("group_size", r.groupSize());
        int[] codes = new int[out * in];
        for (int i = 0; i < codes.length; i++) codes[i] = r.codes()[i] & 0xFF;
        wd.put("packing", Packing.write(p + ".qweight", codes, out, in, r.bits(), false, w));
        int[] ss = {out, r.groupsPerRow()};
        w.add(p + ".scales", Tensor.of(r.scales(), ss), DType.F32);
        w.add(p + ".zeros", Tensor.of(r.zeros(), ss), DType.F32);
        Arq q = a.arq();
        Arq.Options o = q.options();
        d.putObject("arq").put("rotate", o.rotate()).put("random_signs", o.randomSigns()).put("rotation_cap", o.rotationCap())
                .put("scaling", o.scaling().name().toLowerCase(Locale.ROOT)).put("scale_block", o.scaleBlock())
                .put("granularity", o.granularity().name().toLowerCase(Locale.ROOT)).put("eps", o.eps()).put("center", o.center())
                .put("seed", q.seed());
        d.put("integer_reference", a.integerPath());
    }

    private static ArqLinear decodeArq(String p, JsonNode d, Tensors t, Shared shared) {
        int out = t.integer(d, "out", p), in = t.integer(d, "in", p);
        checkShape(p, out, in, t);
        float[] bias = readBias(p, d, t, out);
        JsonNode wd = t.object(d, "weight", p);
        int bits = t.integer(wd, "bits", p + " weight"), gs = t.integer(wd, "group_size", p + " weight");
        if (gs < 1 || in % gs != 0)
            throw new CheckpointException(t.file() + ": layer '" + p + "' weight group_size " + gs + " must divide K = " + in);
        int[] codes = Packing.read(p + ".qweight", t.text(wd, "packing", p + " weight"), out, in, bits, false, t);
        byte[] b = new byte[codes.length];
        for (int i = 0; i < b.length; i++) {
            if (codes[i] > (1 << bits) - 1)
                throw new CheckpointException(t.file() + ": tensor '" + p + ".qweight' has code " + codes[i] + " above " + ((1 << bits) - 1));
            b[i] = (byte) codes[i];
        }
        long[] ss = {out, in / gs};
        Bgr.Result r = Bgr.fromCodes(out, in, gs, bits, b, t.floats(p + ".scales", DType.F32, ss), t.floats(p + ".zeros", DType.F32, ss));
        JsonNode o = t.object(d, "arq", p);
        String where = p + " arq";
        Arq.Options opt = new Arq.Options(t.bool(o, "rotate", where), t.bool(o, "random_signs", where),
                t.integer(o, "rotation_cap", where), t.enumValue(Arq.Scaling.class, o, "scaling", where),
                t.integer(o, "scale_block", where), t.enumValue(Arq.Granularity.class, o, "granularity", where),
                t.doubleValue(o, "eps", where), o.has("center") && t.bool(o, "center", where)); // absent before issue #31: off
        return new ArqLinear(new Arq(in, opt, t.longValue(o, "seed", where)), r, bias, shared.bits(),
                t.bool(d, "integer_reference", p));
    }

    // ---- helpers ----

    private static void checkShape(String p, int out, int in, Tensors t) {
        if (out < 1 || in < 1 || (long) out * in > Integer.MAX_VALUE - 16)
            throw new CheckpointException(t.file() + ": layer '" + p + "' is " + out + "×" + in + ": expected positive sizes "
                    + "with out·in below 2^31");
    }

    private static void putBias(String p, float[] bias, int out, SafetensorsWriter w, DType floatType, ObjectNode d) {
        d.put("bias", bias != null);
        if (bias != null) w.add(p + ".bias", Tensor.of(bias, out), floatType);
    }

    private static float[] readBias(String p, JsonNode d, Tensors t, int out) {
        return t.bool(d, "bias", p) ? t.floats(p + ".bias", null, out) : null;
    }

    private static void flatten(InputTransform tr, List<InputTransform> out) {
        if (tr == null) return;
        if (tr instanceof InputTransform.Chain(InputTransform a, InputTransform b)) { flatten(a, out); flatten(b, out); }
        else out.add(tr);
    }

    /** Shape of the scale / zero-point tensor: [1], [out] or [out, groups]. */
    static long[] scaleShape(Granularity g, int out, int in, int groupSize) {
        return switch (g) {
            case PER_TENSOR -> new long[]{1};
            case PER_CHANNEL, PER_TOKEN -> new long[]{out};
            case PER_GROUP -> new long[]{out, Granularity.groupsPerRow(in, groupSize)};
        };
    }

    private static int[] toInts(long[] s) {
        int[] r = new int[s.length];
        for (int i = 0; i < s.length; i++) r[i] = Math.toIntExact(s[i]);
        return r;
    }
}
