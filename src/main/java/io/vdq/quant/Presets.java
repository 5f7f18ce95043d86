package io.vdq.quant;

import io.vdq.VdqException.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SequencedMap;

/**
 * Built-in recipes (Wan default layer patterns). Weights per output channel and symmetric unless said otherwise;
 * a preset whose weights are grouped along K says so in its name ({@code -g128}). Activations dynamic per token,
 * symmetric. Old names stay resolvable as aliases ({@link #ALIASES}).
 */
public final class Presets {
    private Presets() {}

    /**
     * A preset: its recipe, its one-line description, and whether it is an ablation or variant of a method, run on
     * request ({@code vdq demo --ablations}) rather than by default in the demo.
     */
    public record Preset(Recipe recipe, String description, boolean ablation) {
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

    /** Starts the preset {@code name}; {@link Builder#describe} adds it. */
    private static Builder preset(String name) { return new Builder(name); }

    /**
     * One preset, field by field: {@code preset("w4a8-gptq").method("gptq", 4, 8).asymmetricWeights().option("damp", 0.01)
     * .describe("…")}. Unset fields are {@link Recipe#of}'s: Wan layer patterns, symmetric per-channel weights,
     * symmetric dynamic per-token activations, no options.
     */
    private static final class Builder {
        private final String name;
        private String method;
        private int weightBits, activationBits;
        private Granularity weightGranularity = Granularity.PER_CHANNEL;
        private int groupSize = 128;
        private boolean weightSymmetric = true, activationSymmetric = true;
        private final Map<String, Object> options = new LinkedHashMap<>();
        private boolean ablation;

        private Builder(String name) { this.name = name; }

        Builder method(String m, int wBits, int aBits) {
            method = m;
            weightBits = wBits;
            activationBits = aBits;
            return this;
        }

        /** Everything of preset {@code base} (added before), to change a field or two. */
        Builder like(String base) {
            Recipe r = PRESETS.get(base).recipe();
            method(r.method(), r.weightBits(), r.activationBits());
            weightGranularity = r.weightGranularity();
            groupSize = r.groupSize();
            weightSymmetric = r.weightSymmetric();
            activationSymmetric = r.activationSymmetric();
            options.putAll(r.options());
            return this;
        }

        Builder asymmetricWeights() { weightSymmetric = false; return this; }

        Builder asymmetricActivations() { activationSymmetric = false; return this; }

        /** Weights in groups of {@code group} along K. */
        Builder weightGroups(int group) {
            weightGranularity = Granularity.PER_GROUP;
            groupSize = group;
            return this;
        }

        Builder option(String key, Object value) { options.put(key, value); return this; }

        Builder options(Map<String, ?> kv) { options.putAll(kv); return this; }

        /** An ablation or variant of a method: not in the demo's default list. */
        Builder ablation() { ablation = true; return this; }

        void describe(String description) {
            Recipe r = new Recipe(name, method, weightBits, activationBits, weightGranularity, groupSize, weightSymmetric,
                    activationSymmetric, Granularity.PER_TOKEN, null, null, options);
            if (PRESETS.putIfAbsent(name, new Preset(r, description, ablation)) != null)
                throw new IllegalStateException("preset " + name + " defined twice");
        }
    }

    /** DVD-Quant's shared options (quant.dvd.DvdQuantMethod documents every one): BGR weights searched, rotated A, block Λ. */
    private static final Map<String, Object> DVD = ordered("bgr_init", "search", "bgr_max_iterations", 50, "rotation_cap", 1024,
            "random_signs", true, "seed", 1234, "scaling", "block", "scale_block", 128);
    /**
     * DVD-Quant's W4A4/W4A6 default (issue #31, docs/DVD.md): each call's per-channel token mean is taken out before ARQ and
     * added back through the weights in float (not on the cross-attention K/V inputs, the text tokens), and Λ is the paper's
     * exact per-channel scale. Both run on the integer kernels: per-channel Λ sits inside the K sum and changes per call, so
     * ArqIntExec writes the activation as two int8 planes (two W4A8 GEMMs). The "-paper" presets keep the deployed block Λ.
     */
    private static final Map<String, Object> CENTRED = ordered("center", true, "scaling", "channel");
    /** δ-GBS switching A4/A8 per step, δ auto-tuned to a mean of 6 activation bits. */
    private static final Map<String, Object> GBS_A6 = ordered("gbs", true, "gbs_delta", "auto", "gbs_target_bits", 6.0);
    private static final Map<String, Object> QUAROT = ordered("random_signs", true, "seed", 1234, "block", 0);

    /** A DVD-Quant preset: W4, asymmetric weights, {@code aBits}-bit activations, the shared options. */
    private static Builder dvd(String name, int aBits) {
        return preset(name).method("dvd", 4, aBits).asymmetricWeights().options(DVD);
    }

    private static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return Collections.unmodifiableMap(m);
    }

    static {
        preset("w8a8-minmax").method("minmax", 8, 8)
                .describe("RTN min/max: int8 per-channel weights, int8 dynamic per-token activations");
        preset("w4a8-minmax").method("minmax", 4, 8)
                .describe("RTN min/max: int4 per-channel weights, int8 dynamic per-token activations");
        preset("w4a4-minmax").method("minmax", 4, 4)
                .describe("RTN min/max: int4 per-channel weights, int4 dynamic per-token activations");
        preset("w4a8-minmax-g128").like("w4a8-minmax").weightGroups(128).ablation()
                .describe("RTN min/max variant: int4 weights in groups of 128 along K, int8 dynamic per-token activations");
        preset("w4a8-smoothquant").method("smoothquant", 4, 8).option("alpha", 0.5)
                .describe("SmoothQuant α=0.5: calibrated per-channel smoothing folded into weights, applied online to activations");
        // what ViDiT-Q's paper has and this lacks (CFG-branch parameters, metric-decoupled mixed precision, the
        // rotation half of its channel balancing): docs/QUANT.md "ViDiT-Q lite"
        preset("w4a6-vidit-lite").method("vidit", 4, 6).asymmetricActivations().option("alphas", List.of(0.7, 0.5))
                .describe("ViDiT-Q subset: per-channel W4, dynamic asymmetric per-token A6, channel balancing with α per timestep range "
                        + "(no CFG-branch parameters, no mixed precision)");
        dvd("w4a4-dvd", 4).options(CENTRED).describe("DVD-Quant W4A4: Hadamard + BGR weights; A4 centred per call (not the text "
                + "inputs), rotated, per-channel Λ, per token (beats the paper's block Λ when the residual stream has outlier channels)");
        dvd("w4a4/8-dvd", 6).options(CENTRED).options(GBS_A6)
                .describe("DVD-Quant W4 A4/8 mix, mean 6.0 activation bits: as w4a4-dvd with δ-GBS switching A4/A8 per step, first and "
                        + "last steps at A8 in the paper's proportion, δ auto-tuned to the mean (was w4a6-dvd)");
        dvd("w4a4-dvd-paper", 4).ablation().describe("DVD-Quant ablation: the paper's deployed ARQ (no centring, block-scaled Λ "
                + "of 128 channels) at W4A4; runs on the integer kernels (the w4a4-dvd default before issue #31)");
        dvd("w4a4/8-dvd-paper", 6).options(GBS_A6).ablation()
                .describe("DVD-Quant ablation: w4a4-dvd-paper with δ-GBS A4/A8, mean 6.0 activation bits (was w4a6-dvd-paper; the w4a6-dvd default before issue #31)");
        dvd("w4a8-dvd", 8).describe("DVD-Quant W4A8: Hadamard + BGR weights, rotated block-scaled per-token A8");
        dvd("w4a6-arq", 6).options(CENTRED).ablation()
                .describe("DVD-Quant variant: w4a4-dvd's BGR weights and ARQ at uniform 6-bit activations "
                        + "(true 6-bit codes every step, no δ-GBS), the counterpart of the other W4A6 rows");
        preset("w4a8-dvd-g128").like("w4a8-dvd").weightGroups(128).ablation()
                .describe("DVD-Quant variant: w4a8-dvd with BGR weights in groups of 128 along K (integer kernels: group scales in the epilogue)");
        dvd("w4a4-dvd-bgr-only", 4).option("arq", false).option("scaling", "off").ablation()
                .describe("DVD-Quant ablation: BGR weights (no rotation), plain dynamic per-token A4");
        dvd("w4a4-dvd-arq-only", 4).option("bgr", false).ablation()
                .describe("DVD-Quant ablation: ARQ activations, MinMax asymmetric weights on W·H");
        // QuaRot (quant.quarot.QuaRotMethod; docs/QUANT.md "QuaRot on Wan" says why the residual stream is not rotated)
        preset("w4a4-quarot").method("quarot", 4, 4).options(QUAROT).option("weights", "gptq")
                .describe("QuaRot W4A4: block-Hadamard rotation of each quantized layer's input (folded into W, online on x), GPTQ weights");
        preset("w4a8-quarot").method("quarot", 4, 8).options(QUAROT).option("weights", "gptq")
                .describe("QuaRot W4A8: as w4a4-quarot with 8-bit activations");
        preset("w4a4-quarot-rtn").method("quarot", 4, 4).options(QUAROT).option("weights", "rtn").ablation()
                .describe("QuaRot ablation: the rotation with round-to-nearest weights, data-free (the w4a4-quarot default before issue #25)");
        preset("w4a16-gptq-g128").method("gptq", 4, 16).asymmetricWeights().weightGroups(128).option("damp", 0.01).option("act_order", false)
                .describe("GPTQ weight-only: int4 asymmetric, groups of 128 along K, Hessian from calibration, float activations");
        preset("w4a8-gptq").method("gptq", 4, 8).asymmetricWeights().option("damp", 0.01).option("act_order", false)
                .describe("GPTQ: int4 asymmetric per-channel weights, int8 dynamic per-token activations");
        preset("w4a8-gptq-g128").like("w4a8-gptq").weightGroups(128).ablation()
                .describe("GPTQ variant: int4 asymmetric weights in groups of 128 along K, int8 dynamic per-token activations");
        // S²Q-VDiT (quant.s2q.S2qMethod documents every option); symmetric per-channel GPTQ weights, dynamic per-token A
        preset("w4a6-s2q").method("s2q", 4, 6)
                .describe("S²Q-VDiT W4A6: salient data selection, attention-weighted block reconstruction (scale, rotation, clipping), GPTQ");
        preset("w4a4-s2q").method("s2q", 4, 4).describe("S²Q-VDiT W4A4: as w4a6-s2q with 4-bit activations");
        preset("w4a6-s2q-nosds").method("s2q", 4, 6).option("selector", "uniform").ablation()
                .describe("S²Q-VDiT ablation: calibration samples at uniformly spaced steps instead of salient data selection");
        preset("w4a6-s2q-nostd").method("s2q", 4, 6).option("std", false).ablation()
                .describe("S²Q-VDiT ablation: plain block MSE (λ = 1) instead of attention-guided token weights");
        // the paper's selection baselines (its §4.3 / Fig. 6a), all with K = 40 from the same pool
        preset("w4a6-s2q-atop").method("s2q", 4, 6).option("selector", "atop").ablation()
                .describe("S²Q-VDiT ablation: ATOP calibration set, all timesteps of one prompt (K evenly spaced steps of prompt 0)");
        preset("w4a6-s2q-atfp").method("s2q", 4, 6).option("selector", "atfp").ablation()
                .describe("S²Q-VDiT ablation: ATFP calibration set, all timesteps of five prompts (K/5 evenly spaced steps of each)");
        preset("w4a6-s2q-rtfp").method("s2q", 4, 6).option("selector", "rtfp").ablation()
                .describe("S²Q-VDiT ablation: RTFP calibration set, K random timesteps of five prompts");
        // GGUF block formats as fake-quant recipes (quant.gguf.GgufMethod; docs/GGUF.md): on request only (Preset.gguf)
        record Gguf(String type, int bits) {}
        for (Gguf g : List.of(new Gguf("q8_0", 8), new Gguf("q5_k", 5), new Gguf("q4_k", 4), new Gguf("q4_0", 4), new Gguf("q3_k", 3))) {
            String upper = g.type().toUpperCase(Locale.ROOT);
            preset("gguf-" + g.type()).method("gguf", g.bits(), 16).option("type", g.type()).option("encoder", "ref")
                    .describe("GGUF " + upper + ", ggml's reference encoder (llama-quantize without imatrix); weights decoded as ggml does, float activations");
            preset("gguf-" + g.type() + "-bgr").method("gguf", g.bits(), 16).option("type", g.type()).option("encoder", "bgr")
                    .describe("GGUF " + upper + ", vdq's BGR block refinement weighted by calibration mean squares; float activations");
            preset("gguf-" + g.type() + "-gptq").method("gguf", g.bits(), 16).option("type", g.type()).option("encoder", "gptq")
                    .option("damp", 0.01)
                    .describe("GGUF " + upper + ", GPTQ error feedback on the ggml grid (calibration Hessian); float activations");
        }
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
     * spec, so reports tell runs apart. The overridden options are checked against the method's settings at once.
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
            r = r.withName(spec);
            QuantMethods.settings(r);   // an override the method does not take, or a bad value, fails here
            return r;
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
