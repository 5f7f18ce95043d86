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
import io.vdq.tensor.Tensor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.function.Function;

/**
 * The codecs of the checkpoint format: the built-in {@code quantized_linear} layer ({@link QuantizedLinear}: codes,
 * scales, zero points, input transforms, activation quantizer) and its {@code divide_channels} and {@code hadamard}
 * transforms, plus the {@link LayerCodec}s, {@link TransformCodec}s and {@link HookCodec}s the method packages list
 * in {@code META-INF/services} (ordered by name after the built-ins). Dispatches a layer to its codec by class when
 * writing and by descriptor {@code kind} when reading. docs/FORMAT.md describes the layout.
 */
final class Codecs {
    private Codecs() {}

    static final ObjectMapper JSON = new ObjectMapper();

    static final QuantizedCodec QUANTIZED = new QuantizedCodec();

    private static List<LayerCodec<?>> layers;
    private static List<TransformCodec<?>> transforms;
    private static List<HookCodec> hooks;

    static synchronized List<LayerCodec<?>> layers() {
        if (layers == null) layers = load(LayerCodec.class, List.of(QUANTIZED), c -> ((LayerCodec<?>) c).kind());
        return layers;
    }

    static synchronized List<TransformCodec<?>> transforms() {
        if (transforms == null) transforms = load(TransformCodec.class, List.of(new DivideChannelsCodec(), new HadamardCodec()),
                c -> ((TransformCodec<?>) c).type());
        return transforms;
    }

    static synchronized List<HookCodec> hooks() {
        if (hooks == null) hooks = load(HookCodec.class, List.of(), c -> ((HookCodec) c).key());
        return hooks;
    }

    /** The built-ins, then the registered codecs sorted by name; a name registered twice is refused. */
    @SuppressWarnings("unchecked")
    private static <C> List<C> load(Class<?> service, List<? extends C> builtIn, Function<Object, String> name) {
        List<C> found = new ArrayList<>();
        for (Object c : ServiceLoader.load(service, Codecs.class.getClassLoader())) found.add((C) c);
        found.sort(Comparator.comparing(name::apply));
        List<C> all = new ArrayList<>(builtIn);
        for (C c : found) {
            for (C o : all)
                if (name.apply(o).equals(name.apply(c)))
                    throw new IllegalStateException(service.getSimpleName() + " '" + name.apply(c) + "' is registered twice: "
                            + o.getClass().getName() + " and " + c.getClass().getName());
            all.add(c);
        }
        return List.copyOf(all);
    }

    /** The registered transform codec of {@code type}. */
    static TransformCodec<?> transform(String type) {
        for (TransformCodec<?> c : transforms()) if (c.type().equals(type)) return c;
        throw new IllegalStateException("no checkpoint transform codec '" + type + "' is registered");
    }

    /** True when {@code layer} is stored through a codec that follows the step tag. */
    static boolean stepTagged(Linear layer) { return codecOf(layer).stepTagged(); }

    private static LayerCodec<?> codecOf(Linear layer) {
        for (LayerCodec<?> c : layers()) if (c.type().isInstance(layer)) return c;
        return null;
    }

    /** Writes the layer's tensors under {@code p} and returns its descriptor; float tensors (biases) as {@code floatType}. */
    static ObjectNode encode(String p, Linear layer, SafetensorsWriter w, DType floatType, ActivationBits shared) {
        LayerCodec<?> c = codecOf(layer);
        if (c == null)
            throw new CheckpointException("layer '" + p + "' is a " + layer.getClass().getName() + ": a quantized checkpoint stores "
                    + list(layers().stream().map(x -> x.type().getSimpleName()).toList(), "and") + " layers only");
        ObjectNode d = JSON.createObjectNode();
        d.put("kind", c.kind());
        encode(c, p, layer, new LayerWriter(w, floatType, shared), d);
        return d;
    }

    private static <L extends Linear> void encode(LayerCodec<L> c, String p, Linear layer, LayerWriter w, ObjectNode d) {
        c.encode(p, c.type().cast(layer), w, d);
    }

    /** Rebuilds the layer at {@code p} from its descriptor and the file's tensors. */
    static Linear decode(String p, JsonNode d, LayerReader r) {
        String kind = r.text(d, "kind", p);
        for (LayerCodec<?> c : layers()) if (c.kind().equals(kind)) return c.decode(p, d, r);
        throw new CheckpointException(r.file() + ": layer '" + p + "' has kind '" + kind + "', expected "
                + list(layers().stream().map(LayerCodec::kind).toList(), "or") + " (written by a newer vdq?)");
    }

    /** "a, b and c". */
    private static String list(List<String> items, String last) {
        if (items.size() == 1) return items.getFirst();
        return String.join(", ", items.subList(0, items.size() - 1)) + " " + last + " " + items.getLast();
    }

    // ---- quantized_linear ----

    static final class QuantizedCodec implements LayerCodec<QuantizedLinear> {
        @Override public String kind() { return "quantized_linear"; }
        @Override public Class<QuantizedLinear> type() { return QuantizedLinear.class; }

        @Override
        public void encode(String p, QuantizedLinear q, LayerWriter lw, ObjectNode d) {
            SafetensorsWriter w = lw.writer();
            int out = q.outFeatures(), in = q.inFeatures();
            d.put("out", out).put("in", in);
            lw.bias(p, q.bias(), out, d);
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
                wd.put("packing", lw.codes(p + ".qweight", codes, out, in, qp.bits(), qp.symmetric()));
                long[] ss = scaleShape(qp.granularity(), out, in, qp.groupSize());
                w.add(p + ".scales", Tensor.of(qp.scale(), toInts(ss)), DType.F32);
                if (!qp.symmetric()) wd.put("zero_dtype", Packing.writeZeros(p + ".zeros", qp.zero(), ss, w));
            }
            ArrayNode td = d.putArray("transform");
            List<InputTransform> parts = new ArrayList<>();
            flatten(q.transform(), parts);
            for (int i = 0; i < parts.size(); i++) {
                InputTransform part = parts.get(i);
                TransformCodec<?> c = null;
                for (TransformCodec<?> x : transforms()) if (x.transformClass().isInstance(part)) { c = x; break; }
                if (c == null)
                    throw new CheckpointException("layer '" + p + "': input transform " + part.getClass().getName()
                            + " cannot be saved (known: " + String.join(", ", transforms().stream().map(TransformCodec::type).toList())
                            + " and chains of them)");
                ObjectNode o = td.addObject();
                o.put("type", c.type());
                encodeTransform(c, p + ".transform." + i, part, in, lw, o);
            }
            ActivationQuantizer aq = q.activations();
            if (aq == null) { d.putNull("activations"); return; }
            if (aq.bits() != lw.activationBits())
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

        private static <T extends InputTransform> void encodeTransform(TransformCodec<T> c, String name, InputTransform t, int in,
                                                                       LayerWriter w, ObjectNode o) {
            c.encode(name, c.transformClass().cast(t), in, w, o);
        }

        @Override
        public QuantizedLinear decode(String p, JsonNode d, LayerReader r) {
            Tensors t = r.tensors();
            int out = t.integer(d, "out", p), in = t.integer(d, "in", p);
            r.checkShape(p, out, in);
            float[] bias = r.bias(p, d, out);
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
                TransformCodec<?> c = null;
                for (TransformCodec<?> x : transforms()) if (x.type().equals(type)) { c = x; break; }
                if (c == null)
                    throw new CheckpointException(t.file() + ": layer '" + p + "' transform " + i + " has type '" + type
                            + "', expected " + list(transforms().stream().map(TransformCodec::type).toList(), "or"));
                InputTransform part = c.decode(p, i, p + ".transform." + i, o, in, r);
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
                aq = new ActivationQuantizer(r.activationBits(), t.bool(ad, "symmetric", where),
                        Granularity.parse(t.text(ad, "granularity", where), where + " granularity"),
                        t.integer(ad, "group_size", where), sp, clip(ad, where));
            }
            return new QuantizedLinear(out, in, deq, bias, codes, qp, tr, aq);
        }
    }

    /** The optional activation clipping ratio (absent = 1, no clipping); a float in (0, 1]. */
    private static float clip(JsonNode ad, String where) {
        JsonNode c = ad.get("clip");
        if (c == null || c.isNull()) return 1f;
        if (!c.isNumber() || !(c.floatValue() > 0 && c.floatValue() <= 1))
            throw new CheckpointException(where + ": field 'clip' = " + c + ", expected a number in (0, 1]");
        return c.floatValue();
    }

    // ---- the built-in transforms ----

    private static final class DivideChannelsCodec implements TransformCodec<InputTransform.DivideChannels> {
        @Override public String type() { return "divide_channels"; }
        @Override public Class<InputTransform.DivideChannels> transformClass() { return InputTransform.DivideChannels.class; }
        @Override public long storedBytes(int in) { return 4L * in; }

        @Override
        public void encode(String name, InputTransform.DivideChannels t, int in, LayerWriter w, ObjectNode o) {
            w.f32(name + ".divisors", t.divisors(), in);
        }

        @Override
        public InputTransform.DivideChannels decode(String layer, int index, String name, JsonNode o, int in, LayerReader r) {
            return new InputTransform.DivideChannels(r.floats(name + ".divisors", DType.F32, in));
        }
    }

    private static final class HadamardCodec implements TransformCodec<InputTransform.HadamardRotation> {
        @Override public String type() { return "hadamard"; }
        @Override public Class<InputTransform.HadamardRotation> transformClass() { return InputTransform.HadamardRotation.class; }
        @Override public long storedBytes(int in) { return 0; }

        @Override
        public void encode(String name, InputTransform.HadamardRotation h, int in, LayerWriter w, ObjectNode o) {
            o.put("block", h.hadamard().block()).put("seed", h.hadamard().seed());
        }

        @Override
        public InputTransform.HadamardRotation decode(String layer, int index, String name, JsonNode o, int in, LayerReader r) {
            String where = layer + " transform " + index;
            return new InputTransform.HadamardRotation(new Hadamard(in, r.integer(o, "block", where), r.longValue(o, "seed", where)));
        }
    }

    // ---- helpers ----

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

    /** The reader of one file's layers. */
    static LayerReader reader(Tensors t, ActivationBits bits, StepTag tag) { return new LayerReader(t, bits, tag); }
}
