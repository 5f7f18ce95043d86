package io.vdq.quant.dvd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.Recipe;
import io.vdq.quant.SamplerHook;
import io.vdq.quant.ckpt.HookCodec;
import io.vdq.quant.ckpt.LayerReader;

/**
 * Stores δ-GBS's {@link GbsController} in a quantized checkpoint under {@code __metadata__} key {@code gbs} (δ, the
 * two widths and the forced first/last steps), and writes the δ in use into the stored recipe's {@code gbs_delta} so a
 * loaded model never tunes it again. Registered in {@code META-INF/services/io.vdq.quant.ckpt.HookCodec}.
 */
public final class GbsCodec implements HookCodec {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override public String key() { return "gbs"; }

    @Override
    public ObjectNode encode(SamplerHook hook) {
        if (!(hook instanceof GbsController g)) return null;
        BitSwitcher.Options o = g.options();
        ObjectNode n = JSON.createObjectNode();
        n.put("delta", o.delta()).put("low_bits", o.lowBits()).put("high_bits", o.highBits())
                .put("force_first", o.forceFirst()).put("force_last", o.forceLast());
        return n;
    }

    @Override
    public Recipe stored(Recipe recipe, SamplerHook hook) {
        return hook instanceof GbsController g ? DvdQuantMethod.withDelta(recipe, g.delta()) : recipe;
    }

    @Override
    public SamplerHook decode(JsonNode g, ActivationBits bits, LayerReader t, String where) {
        return new GbsController(new BitSwitcher.Options(t.doubleValue(g, "delta", where), t.integer(g, "low_bits", where),
                t.integer(g, "high_bits", where), t.integer(g, "force_first", where), t.integer(g, "force_last", where)), bits);
    }
}
