package io.vdq.quant.dvd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException.CheckpointException;
import io.vdq.io.DType;
import io.vdq.quant.ckpt.LayerCodec;
import io.vdq.quant.ckpt.LayerReader;
import io.vdq.quant.ckpt.LayerWriter;
import java.util.Locale;

/**
 * Stores an {@link ArqLinear} in a quantized checkpoint as kind {@code arq}: the BGR codes (packed), per-group scales
 * and real zero points, the bias, the ARQ options and rotation seed, and whether the layer runs the integer path.
 * Registered in {@code META-INF/services/io.vdq.quant.ckpt.LayerCodec}; docs/FORMAT.md describes the fields.
 */
public final class ArqCodec implements LayerCodec<ArqLinear> {
    @Override public String kind() { return "arq"; }
    @Override public Class<ArqLinear> type() { return ArqLinear.class; }

    @Override
    public void encode(String p, ArqLinear a, LayerWriter w, ObjectNode d) {
        if (a.activationBits() != w.activationBits())
            throw new CheckpointException("layer '" + p + "': its activation width is not the model's shared ActivationBits");
        if (a.shiftWeights() != null)
            throw new CheckpointException("layer '" + p + "': recipe option center_weights (a copy of the weights for centring's "
                    + "correction) is not stored in a quantized checkpoint; quantize with center_weights=quantized to save");
        Bgr.Result r = a.weights();
        int out = r.rows(), in = r.cols();
        d.put("out", out).put("in", in);
        w.bias(p, a.bias(), out, d);
        ObjectNode wd = d.putObject("weight");
        wd.put("bits", r.bits()).put("symmetric", false).put("group_size", r.groupSize());
        int[] codes = new int[out * in];
        for (int i = 0; i < codes.length; i++) codes[i] = r.codes()[i] & 0xFF;
        wd.put("packing", w.codes(p + ".qweight", codes, out, in, r.bits(), false));
        int[] ss = {out, r.groupsPerRow()};
        w.f32(p + ".scales", r.scales(), ss);
        w.f32(p + ".zeros", r.zeros(), ss);
        Arq q = a.arq();
        Arq.Options o = q.options();
        d.putObject("arq").put("rotate", o.rotate()).put("random_signs", o.randomSigns()).put("rotation_cap", o.rotationCap())
                .put("scaling", o.scaling().name().toLowerCase(Locale.ROOT)).put("scale_block", o.scaleBlock())
                .put("granularity", o.granularity().name().toLowerCase(Locale.ROOT)).put("eps", o.eps()).put("center", o.center())
                .put("seed", q.seed());
        d.put("integer_reference", a.integerPath());
    }

    @Override
    public ArqLinear decode(String p, JsonNode d, LayerReader t) {
        int out = t.integer(d, "out", p), in = t.integer(d, "in", p);
        t.checkShape(p, out, in);
        float[] bias = t.bias(p, d, out);
        JsonNode wd = t.object(d, "weight", p);
        int bits = t.integer(wd, "bits", p + " weight"), gs = t.integer(wd, "group_size", p + " weight");
        if (gs < 1 || in % gs != 0)
            throw new CheckpointException(t.file() + ": layer '" + p + "' weight group_size " + gs + " must divide K = " + in);
        int[] codes = t.codes(p + ".qweight", t.text(wd, "packing", p + " weight"), out, in, bits, false);
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
        return new ArqLinear(new Arq(in, opt, t.longValue(o, "seed", where)), r, bias, t.activationBits(),
                t.bool(d, "integer_reference", p));
    }
}
