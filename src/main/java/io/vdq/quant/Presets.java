package io.vdq.quant;

import io.vdq.VdqException.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

/**
 * Built-in recipes (Wan default layer patterns). Weights per output channel and symmetric unless said otherwise;
 * a preset whose weights are grouped along K says so in its name ({@code -g128}). Activations dynamic per token,
 * symmetric. Old names stay resolvable as aliases ({@link #ALIASES}).
 */
public final class Presets {
    private Presets() {}

    /** A preset and its one-line description. */
    public record Preset(Recipe recipe, String description) {
        /**
         * An ablation or variant of a method (its description says "ablation:" or "variant:"): run on request
         * ({@code vdq demo --ablations}), not by default in the demo.
         */
        public boolean ablation() { return description.contains("ablation:") || description.contains("variant:"); }

        /** A GGUF block format (method {@code gguf}): run on request only, never in the demo's default list. */
        public boolean gguf() { return recipe.method().equals("gguf"); }
    }

    private static final SequencedMap<String, Preset> PRESETS = new LinkedHashMap<>();

    /** Earlier preset names that still resolve, to the preset that replaced them (and is named as such). */
    public static final Map<String, String> ALIASES = Map.of(
            "w4a6-dvd", "w4a4/8-dvd",            // a 4/8-bit mix with a 6-bit mean, not 6-bit codes (issue #25)
            "w4a6-dvd-paper", "w4a4/8-dvd-paper",
            "w4a16-gptq", "w4a16-gptq-g128",     // its weights were always in groups of 128
            "w4a6-vidit", "w4a6-vidit-lite");    // a subset of ViDiT-Q (issue #25)

    private static void add(Recipe r, String description) { PRESETS.put(r.name(), new Preset(r, description)); }

    /** The recipe with its weights in groups of {@code group} along K, named {@code name}. */
    private static Recipe grouped(String name, Recipe r, int group) {
        return r.withWeightGranularity(Granularity.PER_GROUP, group).withName(name);
    }

    static {
        add(Recipe.of("w8a8-minmax", "minmax", 8, 8, Map.of()),
                "RTN min/max: int8 per-channel weights, int8 dynamic per-token activations");
        add(Recipe.of("w4a8-minmax", "minmax", 4, 8, Map.of()),
                "RTN min/max: int4 per-channel weights, int8 dynamic per-token activations");
        add(Recipe.of("w4a4-minmax", "minmax", 4, 4, Map.of()),
                "RTN min/max: int4 per-channel weights, int4 dynamic per-token activations");
        add(grouped("w4a8-minmax-g128", PRESETS.get("w4a8-minmax").recipe(), 128),
                "RTN min/max variant: int4 weights in groups of 128 along K, int8 dynamic per-token activations");
        add(Recipe.of("w4a8-smoothquant", "smoothquant", 4, 8, Map.of("alpha", 0.5)),
                "SmoothQuant α=0.5: calibrated per-channel smoothing folded into weights, applied online to activations");
        // what ViDiT-Q's paper has and this lacks (CFG-branch parameters, metric-decoupled mixed precision, the
        // rotation half of its channel balancing): docs/QUANT.md "ViDiT-Q lite"
        add(new Recipe("w4a6-vidit-lite", "vidit", 4, 6, Granularity.PER_CHANNEL, 128, true, false, Granularity.PER_TOKEN,
                        null, null, Map.of("alphas", List.of(0.7, 0.5))),
                "ViDiT-Q subset: per-channel W4, dynamic asymmetric per-token A6, channel balancing with α per timestep range "
                        + "(no CFG-branch parameters, no mixed precision)");
        // DVD-Quant (quant.dvd.DvdQuantMethod documents every option): asymmetric BGR weights on W·H, ARQ activations.
        Object[] dvd = {"bgr_init", "search", "bgr_max_iterations", 50, "rotation_cap", 1024,
                "random_signs", true, "seed", 1234, "scaling", "block", "scale_block", 128};
        // W4A4/W4A6 default (issue #31, docs/DVD.md): each call's per-channel token mean is taken out before ARQ and
        // added back through the weights in float (not on the cross-attention K/V inputs, the text tokens), and Λ is the paper's exact per-channel scale.
        // Both run on the integer kernels: per-channel Λ sits inside the K sum and changes per call, so ArqIntExec writes
        // the activation as two int8 planes (two W4A8 GEMMs). The "-paper" presets keep the deployed block Λ (one GEMM).
        Object[] a4 = {"center", true, "scaling", "channel"};
        add(dvdRecipe("w4a4-dvd", 4, dvd, a4), "DVD-Quant W4A4: Hadamard + BGR weights; A4 centred per call (not the text "
                + "inputs), rotated, per-channel Λ, per token (beats the paper's block Λ when the residual stream has outlier channels)");
        add(dvdRecipe("w4a4/8-dvd", 6, dvd, concat(a4, "gbs", true, "gbs_delta", "auto", "gbs_target_bits", 6.0)),
                "DVD-Quant W4 A4/8 mix, mean 6.0 activation bits: as w4a4-dvd with δ-GBS switching A4/A8 per step, first and "
                        + "last steps at A8 in the paper's proportion, δ auto-tuned to the mean (was w4a6-dvd)");
        add(dvdRecipe("w4a4-dvd-paper", 4, dvd), "DVD-Quant ablation: the paper's deployed ARQ (no centring, block-scaled Λ "
                + "of 128 channels) at W4A4; runs on the integer kernels (the w4a4-dvd default before issue #31)");
        add(dvdRecipe("w4a4/8-dvd-paper", 6, dvd, "gbs", true, "gbs_delta", "auto", "gbs_target_bits", 6.0),
                "DVD-Quant ablation: w4a4-dvd-paper with δ-GBS A4/A8, mean 6.0 activation bits (was w4a6-dvd-paper; the w4a6-dvd default before issue #31)");
        add(dvdRecipe("w4a8-dvd", 8, dvd), "DVD-Quant W4A8: Hadamard + BGR weights, rotated block-scaled per-token A8");
        add(dvdRecipe("w4a6-arq", 6, dvd, a4), "DVD-Quant variant: w4a4-dvd's BGR weights and ARQ at uniform 6-bit activations "
                + "(true 6-bit codes every step, no δ-GBS), the counterpart of the other W4A6 rows");
        add(grouped("w4a8-dvd-g128", PRESETS.get("w4a8-dvd").recipe(), 128),
                "DVD-Quant variant: w4a8-dvd with BGR weights in groups of 128 along K (integer kernels: group scales in the epilogue)");
        add(dvdRecipe("w4a4-dvd-bgr-only", 4, dvd, "arq", false, "scaling", "off"),
                "DVD-Quant ablation: BGR weights (no rotation), plain dynamic per-token A4");
        add(dvdRecipe("w4a4-dvd-arq-only", 4, dvd, "bgr", false),
                "DVD-Quant ablation: ARQ activations, MinMax asymmetric weights on W·H");
        // QuaRot (quant.quarot.QuaRotMethod; docs/QUANT.md "QuaRot on Wan" says why the residual stream is not rotated)
        add(Recipe.of("w4a4-quarot", "quarot", 4, 4, Map.of("random_signs", true, "seed", 1234, "block", 0, "weights", "gptq")),
                "QuaRot W4A4: block-Hadamard rotation of each quantized layer's input (folded into W, online on x), GPTQ weights");
        add(Recipe.of("w4a8-quarot", "quarot", 4, 8, Map.of("random_signs", true, "seed", 1234, "block", 0, "weights", "gptq")),
                "QuaRot W4A8: as w4a4-quarot with 8-bit activations");
        add(Recipe.of("w4a4-quarot-rtn", "quarot", 4, 4, Map.of("random_signs", true, "seed", 1234, "block", 0, "weights", "rtn")),
                "QuaRot ablation: the rotation with round-to-nearest weights, data-free (the w4a4-quarot default before issue #25)");
        add(new Recipe("w4a16-gptq-g128", "gptq", 4, 16, Granularity.PER_GROUP, 128, false, true, Granularity.PER_TOKEN,
                        null, null, Map.of("damp", 0.01, "act_order", false)),
                "GPTQ weight-only: int4 asymmetric, groups of 128 along K, Hessian from calibration, float activations");
        add(new Recipe("w4a8-gptq", "gptq", 4, 8, Granularity.PER_CHANNEL, 128, false, true, Granularity.PER_TOKEN,
                        null, null, Map.of("damp", 0.01, "act_order", false)),
                "GPTQ: int4 asymmetric per-channel weights, int8 dynamic per-token activations");
        add(grouped("w4a8-gptq-g128", PRESETS.get("w4a8-gptq").recipe(), 128),
                "GPTQ variant: int4 asymmetric weights in groups of 128 along K, int8 dynamic per-token activations");
        // S²Q-VDiT (quant.s2q.S2qMethod documents every option); symmetric per-channel GPTQ weights, dynamic per-token A
        add(Recipe.of("w4a6-s2q", "s2q", 4, 6, Map.of()),
                "S²Q-VDiT W4A6: salient data selection, attention-weighted block reconstruction (scale, rotation, clipping), GPTQ");
        add(Recipe.of("w4a4-s2q", "s2q", 4, 4, Map.of()), "S²Q-VDiT W4A4: as w4a6-s2q with 4-bit activations");
        add(Recipe.of("w4a6-s2q-nosds", "s2q", 4, 6, Map.of("selector", "uniform")),
                "S²Q-VDiT ablation: calibration samples at uniformly spaced steps instead of salient data selection");
        add(Recipe.of("w4a6-s2q-nostd", "s2q", 4, 6, Map.of("std", false)),
                "S²Q-VDiT ablation: plain block MSE (λ = 1) instead of attention-guided token weights");
        // the paper's selection baselines (its §4.3 / Fig. 6a), all with K = 40 from the same pool
        add(Recipe.of("w4a6-s2q-atop", "s2q", 4, 6, Map.of("selector", "atop")),
                "S²Q-VDiT ablation: ATOP calibration set, all timesteps of one prompt (K evenly spaced steps of prompt 0)");
        add(Recipe.of("w4a6-s2q-atfp", "s2q", 4, 6, Map.of("selector", "atfp")),
                "S²Q-VDiT ablation: ATFP calibration set, all timesteps of five prompts (K/5 evenly spaced steps of each)");
        add(Recipe.of("w4a6-s2q-rtfp", "s2q", 4, 6, Map.of("selector", "rtfp")),
                "S²Q-VDiT ablation: RTFP calibration set, K random timesteps of five prompts");
        // GGUF block formats as fake-quant recipes (quant.gguf.GgufMethod; docs/GGUF.md): on request only
        String[][] gguf = {{"q8_0", "8", "Q8_0"}, {"q5_k", "5", "Q5_K"}, {"q4_k", "4", "Q4_K"}, {"q4_0", "4", "Q4_0"}, {"q3_k", "3", "Q3_K"}};
        for (String[] g : gguf) {
            int bits = Integer.parseInt(g[1]);
            add(Recipe.of("gguf-" + g[0], "gguf", bits, 16, Map.of("type", g[0], "encoder", "ref")),
                    "GGUF " + g[2] + ", ggml's reference encoder (llama-quantize without imatrix); weights decoded as ggml does, float activations");
            add(Recipe.of("gguf-" + g[0] + "-bgr", "gguf", bits, 16, Map.of("type", g[0], "encoder", "bgr")),
                    "GGUF " + g[2] + ", vdq's BGR block refinement weighted by calibration mean squares; float activations");
            add(Recipe.of("gguf-" + g[0] + "-gptq", "gguf", bits, 16, Map.of("type", g[0], "encoder", "gptq", "damp", 0.01)),
                    "GGUF " + g[2] + ", GPTQ error feedback on the ggml grid (calibration Hessian); float activations");
        }
    }

    /** A DVD-Quant recipe whose options are the base key/value pairs then the extra ones, in that order. */
    private static Recipe dvdRecipe(String name, int aBits, Object[] base, Object... extra) {
        Map<String, Object> o = new LinkedHashMap<>();
        for (Object[] kv : new Object[][]{base, extra}) for (int i = 0; i < kv.length; i += 2) o.put((String) kv[i], kv[i + 1]);
        return new Recipe(name, "dvd", 4, aBits, Granularity.PER_CHANNEL, 128, false, true, Granularity.PER_TOKEN, null, null, o);
    }

    private static Object[] concat(Object[] a, Object... b) {
        Object[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    public static SequencedMap<String, Preset> all() { return Collections.unmodifiableSequencedMap(PRESETS); }

    public static Recipe get(String name) {
        Preset p = PRESETS.get(ALIASES.getOrDefault(name, name));
        if (p == null) throw new ConfigException("unknown recipe preset '" + name + "': known presets are " + PRESETS.keySet());
        return p.recipe();
    }

    /**
     * A preset name, a path to a recipe JSON file, or either followed by option overrides
     * {@code +key=value} (repeatable; e.g. {@code w4a6-s2q+seed=1+sds_diff=denoised}): values {@code true}/{@code false}
     * become booleans, numbers become numbers, anything else a string. The overridden recipe is named by the whole
     * spec, so reports tell runs apart.
     */
    public static Recipe resolve(String spec) {
        if (PRESETS.containsKey(spec)) return PRESETS.get(spec).recipe();
        if (ALIASES.containsKey(spec)) return PRESETS.get(ALIASES.get(spec)).recipe();
        Path p = Path.of(spec);
        if (Files.isRegularFile(p)) return RecipeJson.read(p);
        int plus = spec.indexOf('+'); // the first '+' after which overrides start: the prefix must be a preset or file
        while (plus > 0 && !PRESETS.containsKey(spec.substring(0, plus)) && !ALIASES.containsKey(spec.substring(0, plus))
                && !Files.isRegularFile(Path.of(spec.substring(0, plus))))
            plus = spec.indexOf('+', plus + 1);
        if (plus > 0) {
            Recipe r = resolve(spec.substring(0, plus));
            for (String kv : spec.substring(plus + 1).split("\\+", -1)) {
                int eq = kv.indexOf('=');
                if (eq <= 0 || eq == kv.length() - 1)
                    throw new ConfigException("recipe '" + spec + "': override '" + kv + "' is not key=value");
                r = override(r, spec, kv.substring(0, eq), overrideValue(spec, kv.substring(0, eq), kv.substring(eq + 1)));
            }
            return r.withName(spec);
        }
        throw new ConfigException("recipe '" + spec + "' is neither a preset " + PRESETS.keySet() + " nor a readable file"
                + " (options can be overridden as NAME+key=value)");
    }

    /**
     * One override: {@code group_size} and {@code weight_granularity} set the recipe's weight granularity
     * ({@code +group_size=64} = per_group of 64 along K, {@code +group_size=0} or
     * {@code +weight_granularity=per_channel} = per output channel); any other key is a method option.
     */
    private static Recipe override(Recipe r, String spec, String key, Object value) {
        switch (key) {
            case "group_size" -> {
                if (!(value instanceof Long g) || g < 0 || g > Integer.MAX_VALUE)
                    throw new ConfigException("recipe '" + spec + "': group_size = " + value + ": expected a group size >= 1 along K, or 0 = per channel");
                return g == 0 ? r.withWeightGranularity(Granularity.PER_CHANNEL, r.groupSize())
                        : r.withWeightGranularity(Granularity.PER_GROUP, g.intValue());
            }
            case "weight_granularity" -> {
                Granularity g = Granularity.parse(String.valueOf(value), "recipe '" + spec + "': weight_granularity");
                return r.withWeightGranularity(g, r.groupSize());
            }
            default -> { return r.withOption(key, value); }
        }
    }

    private static Object overrideValue(String spec, String key, String v) {
        if (v.equals("true") || v.equals("false")) return Boolean.parseBoolean(v);
        if (v.matches("[-+]?\\d+")) {
            try {
                return Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw new ConfigException("recipe '" + spec + "': option '" + key + "' = " + v + " is outside the 64-bit integer range");
            }
        }
        if (v.matches("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?")) return Double.parseDouble(v);
        return v;
    }
}
