package io.vdq.quant.quarot;

import io.vdq.quant.MethodSettings;
import io.vdq.quant.Recipe;
import io.vdq.quant.SettingsReader;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Options of method {@code quarot} (version 1).
 *
 * @param gptq        {@code weights} ["rtn"]: "gptq" = GPTQ on the rotated weights with the rotated calibration Hessian;
 *                    "rtn" = round to nearest (data-free)
 * @param block       {@code block} [0], >= 0: the Walsh–Hadamard block (a power of two dividing K); 0 = the largest
 *                    power of two dividing K, capped by {@code max_block}
 * @param maxBlock    {@code max_block} [1024], >= 1
 * @param randomSigns {@code random_signs} [true]: random ±1 signs before the Hadamard transform
 * @param seed        {@code seed} [1234]: layer i's signs use seed + i
 * @param voFold      {@code vo_fold} [false]: a head-wise rotation of each value projection's outputs, folded into the
 *                    output projection's input (no online rotation there)
 * @param headDim     {@code head_dim} [0], >= 0: the head dimension vo_fold rotates within; 0 = the Wan model's
 * @param damp        {@code damp} [0.01], >= 0: GPTQ damping (weights=gptq)
 * @param actOrder    {@code act_order} [false]: GPTQ column order (weights=gptq)
 * @param tokenStride {@code token_stride} [1], >= 1: the Hessian uses every n-th calibration token (weights=gptq)
 */
public record QuaRotSettings(boolean gptq, int block, int maxBlock, boolean randomSigns, long seed, boolean voFold, int headDim,
                             double damp, boolean actOrder, int tokenStride) implements MethodSettings {
    public static final int VERSION = 1;
    public static final Set<String> KEYS = Set.of("act_order", "block", "damp", "head_dim", "max_block", "random_signs", "seed",
            "token_stride", "vo_fold", "weights");

    public static QuaRotSettings parse(Recipe r) {
        SettingsReader o = new SettingsReader(r, "quarot", KEYS);
        return new QuaRotSettings(o.choice("weights", "rtn", "rtn", "gptq").equals("gptq"), o.integer("block", 0, 0),
                o.integer("max_block", 1024, 1), o.bool("random_signs", true), o.integer64("seed", 1234), o.bool("vo_fold", false),
                o.integer("head_dim", 0, 0), o.number("damp", 0.01, 0), o.bool("act_order", false), o.integer("token_stride", 1, 1));
    }

    /** The {@code weights} option's value. */
    public String weights() { return gptq ? "gptq" : "rtn"; }

    /** Whether the recipe needs no calibration data (weights=rtn) and rotates each layer on its own (no vo_fold). */
    public boolean dataFree() { return !gptq && !voFold; }

    @Override public int version() { return VERSION; }

    @Override public Map<String, Object> toOptions() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("weights", weights());
        m.put("block", block);
        m.put("max_block", maxBlock);
        m.put("random_signs", randomSigns);
        m.put("seed", seed);
        m.put("vo_fold", voFold);
        m.put("head_dim", headDim);
        m.put("damp", damp);
        m.put("act_order", actOrder);
        m.put("token_stride", tokenStride);
        return m;
    }
}
