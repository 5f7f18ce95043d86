package io.vdq.quant.s2q;

import io.vdq.quant.MethodSettings;
import io.vdq.quant.Recipe;
import io.vdq.quant.SettingsReader;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Options of method {@code s2q} (version 1); {@link S2qMethod} says what each choice means (docs/QUANT.md has the table).
 *
 * @param selector      {@code selector} [sds]: sds | uniform | random | atop | atfp | rtfp
 * @param samples       {@code samples} [40]: K candidates (one step of one prompt each)
 * @param allBranches   {@code cfg_branches} ["all"]: every CFG branch of a candidate is a training sequence; "first" = only
 *                      the first
 * @param norm          {@code norm} [spectral]: spectral | frobenius, C_quant's norm
 * @param sdsDiff       {@code sds_diff} [denoised]: denoised | latent, the trajectory C_diff follows
 * @param sdsInput      {@code sds_input} [= sds_diff]: latent | hidden | denoised, the X of C_quant
 * @param sdsMaxPerStep {@code sds_max_per_step} [0]: 0 = plain top-K; n = at most n picks per sampling step
 * @param std           {@code std} [true]: token weights λ from the float self-attention; false = λ ≡ 1
 * @param lambdaMin     {@code lambda_min} [0.5]
 * @param lambdaMax     {@code lambda_max} [1.0]
 * @param epochs        {@code epochs} [15]
 * @param batch         {@code batch} [4] sequences
 * @param lr            {@code lr} [5e-3]: learning rate of the scales and rotations
 * @param clipLr        {@code clip_lr} [5e-2]: learning rate of the clipping ratios
 * @param alpha         {@code alpha} [0.3]: SmoothQuant-style initial balancing scale
 * @param rotation      {@code rotation} [hadamard]: hadamard | random | identity, the initial Kronecker factors
 * @param learnRotation {@code learn_rotation} [true]: learn the rotations through a Cayley map
 * @param actClip       {@code act_clip} [false]: learn and deploy one activation clipping ratio per layer
 * @param damp          {@code damp} [0.01]: GPTQ damping
 * @param seed          {@code seed} [0]: batch order, random rotation factors, the random/rtfp selectors
 * @param poolMemoryMb  {@code pool_memory_mb} [1024]: replay data beyond it spill to a temporary file
 */
public record S2qSettings(SalientDataSelection.Selector selector, int samples, boolean allBranches, SalientDataSelection.Norm norm,
                          SalientDataSelection.DiffInput sdsDiff, SalientDataSelection.QuantInput sdsInput, int sdsMaxPerStep,
                          boolean std, double lambdaMin, double lambdaMax, int epochs, int batch, double lr, double clipLr,
                          double alpha, LearnableTransform.RotationInit rotation, boolean learnRotation, boolean actClip,
                          double damp, int seed, double poolMemoryMb) implements MethodSettings {
    public static final int VERSION = 1;
    public static final Set<String> KEYS = Set.of("act_clip", "alpha", "batch", "cfg_branches", "clip_lr", "damp", "epochs",
            "lambda_max", "lambda_min", "learn_rotation", "lr", "norm", "pool_memory_mb", "rotation", "samples", "sds_diff",
            "sds_input", "sds_max_per_step", "seed", "selector", "std");

    public static S2qSettings parse(Recipe r) {
        SettingsReader o = new SettingsReader(r, "s2q", KEYS);
        SalientDataSelection.DiffInput diff = o.choice("sds_diff", SalientDataSelection.DiffInput.DENOISED, SalientDataSelection.DiffInput.class);
        // both scores read the same x_t by default (the paper's Eq. 3 and 6): sds_input follows sds_diff unless set
        SalientDataSelection.QuantInput input = o.choice("sds_input", SalientDataSelection.QuantInput.valueOf(diff.name()),
                SalientDataSelection.QuantInput.class);
        return new S2qSettings(o.choice("selector", SalientDataSelection.Selector.SDS, SalientDataSelection.Selector.class),
                o.integer("samples", 40), o.choice("cfg_branches", "all", "all", "first").equals("all"),
                o.choice("norm", SalientDataSelection.Norm.SPECTRAL, SalientDataSelection.Norm.class), diff, input,
                o.integer("sds_max_per_step", 0), o.bool("std", true), o.number("lambda_min", 0.5), o.number("lambda_max", 1.0),
                o.integer("epochs", 15), o.integer("batch", 4), o.number("lr", 5e-3), o.number("clip_lr", 5e-2),
                o.number("alpha", 0.3), o.choice("rotation", LearnableTransform.RotationInit.HADAMARD, LearnableTransform.RotationInit.class),
                o.bool("learn_rotation", true), o.bool("act_clip", false), o.number("damp", 0.01), o.integer("seed", 0),
                o.number("pool_memory_mb", 1024));
    }

    /** The replay pool's memory bound in bytes. */
    public long poolMemoryBytes() { return (long) (poolMemoryMb * (1 << 20)); }

    @Override public int version() { return VERSION; }

    @Override public Map<String, Object> toOptions() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("selector", SettingsReader.lower(selector));
        m.put("samples", samples);
        m.put("cfg_branches", allBranches ? "all" : "first");
        m.put("norm", SettingsReader.lower(norm));
        m.put("sds_diff", SettingsReader.lower(sdsDiff));
        m.put("sds_input", SettingsReader.lower(sdsInput));
        m.put("sds_max_per_step", sdsMaxPerStep);
        m.put("std", std);
        m.put("lambda_min", lambdaMin);
        m.put("lambda_max", lambdaMax);
        m.put("epochs", epochs);
        m.put("batch", batch);
        m.put("lr", lr);
        m.put("clip_lr", clipLr);
        m.put("alpha", alpha);
        m.put("rotation", SettingsReader.lower(rotation));
        m.put("learn_rotation", learnRotation);
        m.put("act_clip", actClip);
        m.put("damp", damp);
        m.put("seed", seed);
        m.put("pool_memory_mb", poolMemoryMb);
        return m;
    }
}
