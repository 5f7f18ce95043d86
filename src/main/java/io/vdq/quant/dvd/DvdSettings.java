package io.vdq.quant.dvd;

import io.vdq.quant.MethodSettings;
import io.vdq.quant.Recipe;
import io.vdq.quant.SettingsReader;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Options of method {@code dvd} (version 1), as the recipe gives them; {@link DvdQuantMethod#settings} combines them with
 * the recipe's widths and granularities into the per-layer BGR, ARQ and δ-GBS options. {@link DvdQuantMethod} documents
 * what each choice does; defaults in brackets.
 *
 * @param bgr               {@code bgr} [true]: BGR weights; false = MinMax on the same grid (the "arq-only" ablation)
 * @param bgrInit           {@code bgr_init} [search]: search | fixed
 * @param bgrAlpha          {@code bgr_alpha} [0.9]: the fixed shrink α (bgr_init fixed)
 * @param bgrAlphaMin       {@code bgr_alpha_min} [0.5]
 * @param bgrAlphaStep      {@code bgr_alpha_step} [0.05]
 * @param separateBounds    {@code bgr_bounds} [separate]: separate = lower and upper shrink searched apart; tied = one α
 * @param bgrMaxIterations  {@code bgr_max_iterations} [50]
 * @param bgrTolerance      {@code bgr_tolerance} [1e-4]
 * @param bgrRealZeroPoint  {@code bgr_real_zero_point} [false]
 * @param arq               {@code arq} [true]: rotation and Λ; false = plain dynamic quantization (the "bgr-only" ablation)
 * @param rotate            {@code rotate} [= arq]
 * @param randomSigns       {@code random_signs} [true]
 * @param seed              {@code seed} [1234]: layer i uses seed + i
 * @param rotationCap       {@code rotation_cap} [1024]
 * @param scaling           {@code scaling} [block when arq, else off]: block | channel | off
 * @param scaleBlock        {@code scale_block} [128]
 * @param center            {@code center} [false]: subtract each call's per-channel token mean before ARQ
 * @param centerText        {@code center_text} [false]: centre the text-token inputs too
 * @param centerWeights     {@code center_weights} [quantized]: quantized | w8 | float, the weights of centring's correction
 * @param integerReference  {@code integer_reference} [false]: run the integer formulation instead of fake quantization
 * @param gbs               {@code gbs} [false]: δ-GBS bit switching per step
 * @param gbsLowBits        {@code gbs_low_bits} [4]
 * @param gbsHighBits       {@code gbs_high_bits} [8]
 * @param gbsDelta          {@code gbs_delta} [auto]: a number >= 0, or null = "auto" (chosen by sampling)
 * @param gbsTargetBits     {@code gbs_target_bits} [= activation_bits]: the mean width auto-δ aims at
 * @param gbsTolerance      {@code gbs_tolerance} [0.25]
 * @param gbsForceFirst     {@code gbs_force_first} ["paper"]: steps forced high at the start, or {@link BitSwitcher#PAPER}
 * @param gbsForceLast      {@code gbs_force_last} ["paper"]: steps forced high at the end, or {@link BitSwitcher#PAPER}
 */
public record DvdSettings(boolean bgr, Bgr.Init bgrInit, double bgrAlpha, double bgrAlphaMin, double bgrAlphaStep,
                          boolean separateBounds, int bgrMaxIterations, double bgrTolerance, boolean bgrRealZeroPoint,
                          boolean arq, boolean rotate, boolean randomSigns, long seed, int rotationCap, Arq.Scaling scaling,
                          int scaleBlock, boolean center, boolean centerText, DvdQuantMethod.CenterWeights centerWeights,
                          boolean integerReference, boolean gbs, int gbsLowBits, int gbsHighBits, Double gbsDelta,
                          double gbsTargetBits, double gbsTolerance, int gbsForceFirst, int gbsForceLast)
        implements MethodSettings {
    public static final int VERSION = 1;
    public static final Set<String> KEYS = Set.of("bgr", "bgr_init", "bgr_alpha", "bgr_alpha_min", "bgr_alpha_step", "bgr_bounds",
            "bgr_max_iterations", "bgr_tolerance", "bgr_real_zero_point", "arq", "rotate", "random_signs", "seed", "rotation_cap",
            "scaling", "scale_block", "center", "center_text", "center_weights", "integer_reference", "gbs", "gbs_low_bits",
            "gbs_high_bits", "gbs_delta", "gbs_target_bits", "gbs_tolerance", "gbs_force_first", "gbs_force_last");

    /** The options of {@code r}, each checked for its type and values (the recipe's own fields are checked by {@link DvdQuantMethod#settings}). */
    public static DvdSettings parse(Recipe r) {
        SettingsReader o = new SettingsReader(r, "dvd", KEYS);
        boolean arq = o.bool("arq", true);
        return new DvdSettings(o.bool("bgr", true), o.choice("bgr_init", Bgr.Init.SEARCH, Bgr.Init.class),
                o.number("bgr_alpha", 0.9), o.number("bgr_alpha_min", 0.5), o.number("bgr_alpha_step", 0.05),
                o.choice("bgr_bounds", "separate", "separate", "tied").equals("separate"), o.integer("bgr_max_iterations", 50),
                o.number("bgr_tolerance", 1e-4), o.bool("bgr_real_zero_point", false),
                arq, o.bool("rotate", arq), o.bool("random_signs", true), o.integer64("seed", 1234), o.integer("rotation_cap", 1024),
                o.choice("scaling", arq ? Arq.Scaling.BLOCK : Arq.Scaling.OFF, Arq.Scaling.class), o.integer("scale_block", 128),
                o.bool("center", false), o.bool("center_text", false),
                o.choice("center_weights", DvdQuantMethod.CenterWeights.QUANTIZED, DvdQuantMethod.CenterWeights.class),
                o.bool("integer_reference", false), o.bool("gbs", false), o.integer("gbs_low_bits", 4), o.integer("gbs_high_bits", 8),
                delta(o), o.number("gbs_target_bits", r.activationBits()), o.number("gbs_tolerance", 0.25),
                forced(o, "gbs_force_first"), forced(o, "gbs_force_last"));
    }

    /** Option {@code gbs_delta}: a number >= 0, or "auto" [default] = null. */
    private static Double delta(SettingsReader o) {
        Object d = o.value("gbs_delta");
        if (d == null || "auto".equals(d)) return null;
        if (d instanceof Number n && n.doubleValue() >= 0) return n.doubleValue();
        throw o.invalid("gbs_delta", d, "a number >= 0 or \"auto\"");
    }

    /** Option {@code gbs_force_first} / {@code gbs_force_last}: "paper" [default] or a step count >= 0. */
    private static int forced(SettingsReader o, String key) {
        Object v = o.value(key);
        if (v == null || "paper".equals(v)) return BitSwitcher.PAPER;
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && n.doubleValue() >= 0 && n.doubleValue() <= Integer.MAX_VALUE)
            return n.intValue();
        throw o.invalid(key, v, "\"paper\" or a step count >= 0");
    }

    /** Whether δ is chosen by sampling the model ({@code gbs_delta: auto}) rather than given. */
    public boolean autoDelta() { return gbsDelta == null; }

    @Override public int version() { return VERSION; }

    @Override public Map<String, Object> toOptions() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bgr", bgr);
        m.put("bgr_init", SettingsReader.lower(bgrInit));
        m.put("bgr_alpha", bgrAlpha);
        m.put("bgr_alpha_min", bgrAlphaMin);
        m.put("bgr_alpha_step", bgrAlphaStep);
        m.put("bgr_bounds", separateBounds ? "separate" : "tied");
        m.put("bgr_max_iterations", bgrMaxIterations);
        m.put("bgr_tolerance", bgrTolerance);
        m.put("bgr_real_zero_point", bgrRealZeroPoint);
        m.put("arq", arq);
        m.put("rotate", rotate);
        m.put("random_signs", randomSigns);
        m.put("seed", seed);
        m.put("rotation_cap", rotationCap);
        m.put("scaling", SettingsReader.lower(scaling));
        m.put("scale_block", scaleBlock);
        m.put("center", center);
        m.put("center_text", centerText);
        m.put("center_weights", SettingsReader.lower(centerWeights));
        m.put("integer_reference", integerReference);
        m.put("gbs", gbs);
        m.put("gbs_low_bits", gbsLowBits);
        m.put("gbs_high_bits", gbsHighBits);
        m.put("gbs_delta", gbsDelta == null ? "auto" : gbsDelta);
        m.put("gbs_target_bits", gbsTargetBits);
        m.put("gbs_tolerance", gbsTolerance);
        m.put("gbs_force_first", gbsForceFirst == BitSwitcher.PAPER ? "paper" : gbsForceFirst);
        m.put("gbs_force_last", gbsForceLast == BitSwitcher.PAPER ? "paper" : gbsForceLast);
        return m;
    }
}
