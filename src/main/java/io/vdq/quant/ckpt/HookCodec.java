package io.vdq.quant.ckpt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.Recipe;
import io.vdq.quant.SamplerHook;

/**
 * How a method's {@link SamplerHook} (one that holds settings a loaded model needs, such as δ-GBS's) is stored: a
 * JSON object under its own {@code __metadata__} key, written after the layers. A method package registers its codec
 * in {@code META-INF/services/io.vdq.quant.ckpt.HookCodec}.
 */
public interface HookCodec {
    /** The {@code __metadata__} key ({@code "gbs"}), unique among hook codecs and no format key. */
    String key();

    /** The hook's settings to store, or null when {@code hook} is not one this codec stores. */
    ObjectNode encode(SamplerHook hook);

    /**
     * The recipe to store with {@code hook}: the same, or with the setting the hook chose filled in (δ-GBS's δ when
     * the recipe left it to be tuned), so that a loaded model never tunes it again.
     */
    default Recipe stored(Recipe recipe, SamplerHook hook) { return recipe; }

    /** Rebuilds the hook from its stored settings; {@code where} names them in errors. */
    SamplerHook decode(JsonNode settings, ActivationBits bits, LayerReader read, String where);
}
