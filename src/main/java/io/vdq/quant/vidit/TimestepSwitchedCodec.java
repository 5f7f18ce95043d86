package io.vdq.quant.vidit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException.CheckpointException;
import io.vdq.quant.QuantizedLinear;
import io.vdq.quant.ckpt.LayerCodec;
import io.vdq.quant.ckpt.LayerReader;
import io.vdq.quant.ckpt.LayerWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * Stores a {@link TimestepSwitchedLinear} in a quantized checkpoint as kind {@code timestep_switched}: one
 * {@code quantized_linear} descriptor per step range under {@code PREFIX.range<i>}, sharing the model's step tag on
 * loading. Registered in {@code META-INF/services/io.vdq.quant.ckpt.LayerCodec}.
 */
public final class TimestepSwitchedCodec implements LayerCodec<TimestepSwitchedLinear> {
    @Override public String kind() { return "timestep_switched"; }
    @Override public Class<TimestepSwitchedLinear> type() { return TimestepSwitchedLinear.class; }
    @Override public boolean stepTagged() { return true; }

    @Override
    public void encode(String p, TimestepSwitchedLinear t, LayerWriter w, ObjectNode d) {
        d.put("out", t.outFeatures()).put("in", t.inFeatures());
        ArrayNode vs = d.putArray("variants");
        for (int i = 0; i < t.variants().size(); i++) vs.add(w.quantized(p + ".range" + i, t.variants().get(i)));
    }

    @Override
    public TimestepSwitchedLinear decode(String p, JsonNode d, LayerReader r) {
        JsonNode vs = d.get("variants");
        if (vs == null || !vs.isArray() || vs.isEmpty())
            throw new CheckpointException(r.file() + ": layer '" + p + "': field 'variants' must be a non-empty list");
        List<QuantizedLinear> list = new ArrayList<>();
        for (int i = 0; i < vs.size(); i++) list.add(r.quantized(p + ".range" + i, vs.get(i)));
        return new TimestepSwitchedLinear(list, r.stepTag());
    }
}
