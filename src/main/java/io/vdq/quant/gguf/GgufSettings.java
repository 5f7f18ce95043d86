package io.vdq.quant.gguf;

import io.vdq.VdqException.ConfigException;
import io.vdq.io.gguf.GgmlType;
import io.vdq.quant.MethodSettings;
import io.vdq.quant.Recipe;
import io.vdq.quant.SettingsReader;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Options of method {@code gguf} (version 1).
 *
 * @param type        {@code type} (required): the quantized ggml block type, e.g. q4_k
 * @param encoder     {@code encoder} ["ref"]: ref = ggml's reference quantizer, bgr = {@link GgufBgr}, gptq = {@link GgufGptq}
 * @param damp        {@code damp} [{@link GgufGptq#DEFAULT_DAMP}], >= 0: GPTQ damping (encoder gptq)
 * @param importance  {@code importance} [true]: BGR weighs columns by the calibration inputs' mean squares (encoder bgr
 *                    only; false with the other encoders whatever the recipe says)
 * @param tokenStride {@code token_stride} [1], >= 1: the Hessian uses every n-th calibration token
 */
public record GgufSettings(GgmlType type, GgufEncoding.Method encoder, double damp, boolean importance, int tokenStride)
        implements MethodSettings {
    public static final int VERSION = 1;
    public static final Set<String> KEYS = Set.of("type", "encoder", "damp", "importance", "token_stride");

    public static GgufSettings parse(Recipe r) {
        SettingsReader o = new SettingsReader(r, GgufMethod.NAME, KEYS);
        String typeName = o.string("type", null);
        if (typeName == null) throw new ConfigException("recipe '" + r.name() + "': method gguf needs option 'type' (e.g. q4_k)");
        GgmlType t = GgmlType.parse(typeName);
        if (t == null || !t.quantized())
            throw new ConfigException("recipe '" + r.name() + "': option 'type' = " + typeName + " is not a quantized ggml type "
                    + "(q8_0, q6_k, q5_k, q5_1, q5_0, q4_k, q4_1, q4_0, q3_k, q2_k)");
        GgufEncoding.Method m = o.choice("encoder", GgufEncoding.Method.REF, GgufEncoding.Method.class);
        double damp = o.number("damp", GgufGptq.DEFAULT_DAMP, 0);
        boolean importance = m == GgufEncoding.Method.BGR && o.bool("importance", true);
        return new GgufSettings(t, m, damp, importance, o.integer("token_stride", 1, 1));
    }

    @Override public int version() { return VERSION; }

    @Override public Map<String, Object> toOptions() {
        return Map.of("type", type.name().toLowerCase(Locale.ROOT), "encoder", SettingsReader.lower(encoder), "damp", damp,
                "importance", importance, "token_stride", tokenStride);
    }
}
