package io.vdq.quant;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ConfigException;
import io.vdq.model.LinearRegistry;
import io.vdq.quant.dvd.Arq;
import io.vdq.quant.dvd.Bgr;
import io.vdq.quant.dvd.BitSwitcher;
import io.vdq.quant.dvd.DvdQuantMethod;
import io.vdq.quant.dvd.DvdSettings;
import io.vdq.quant.quarot.QuaRotSettings;
import io.vdq.quant.smoothquant.SmoothQuantSettings;
import io.vdq.quant.vidit.ViditSettings;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Typed, versioned method settings: parsed once from the recipe, old files still read, unknown keys refused at parse time. */
class MethodSettingsTest {
    /**
     * The recipe a quantized checkpoint stored before settings were versioned (copied from the __metadata__ of a
     * w4a4/8-dvd checkpoint of vdq-tiny written at commit 2f8db9b, δ calibrated to 1.6): no settings_version.
     */
    static final String STORED_BEFORE_VERSIONING = """
            {
              "name" : "w4a4/8-dvd",
              "method" : "dvd",
              "weight_bits" : 4,
              "activation_bits" : 6,
              "weight_granularity" : "per_channel",
              "group_size" : 128,
              "weight_symmetric" : false,
              "activation_symmetric" : true,
              "activation_granularity" : "per_token",
              "include" : [ "blocks.*.attn1.to_q", "blocks.*.attn1.to_k", "blocks.*.attn1.to_v", "blocks.*.attn1.to_out.0", "blocks.*.attn2.to_q", "blocks.*.attn2.to_k", "blocks.*.attn2.to_v", "blocks.*.attn2.to_out.0", "blocks.*.ffn.net.0.proj", "blocks.*.ffn.net.2" ],
              "exclude" : [ "patch_embedding", "patch_embedding.**", "condition_embedder.**", "**time_proj", "proj_out" ],
              "options" : {
                "bgr_init" : "search",
                "bgr_max_iterations" : 50,
                "center" : true,
                "gbs" : true,
                "gbs_delta" : 1.6,
                "gbs_target_bits" : 6.0,
                "random_signs" : true,
                "rotation_cap" : 1024,
                "scale_block" : 128,
                "scaling" : "channel",
                "seed" : 1234
              }
            }""";

    @Test
    void aRecipeStoredBeforeVersioningReadsAsVersionOne() {
        Recipe r = RecipeJson.parse(STORED_BEFORE_VERSIONING, "old checkpoint");
        DvdSettings s = (DvdSettings) QuantMethods.settings(r);
        assertEquals(1, s.version());
        // the file's values ...
        assertEquals(Bgr.Init.SEARCH, s.bgrInit());
        assertEquals(50, s.bgrMaxIterations());
        assertTrue(s.center() && s.gbs() && s.randomSigns());
        assertEquals(1.6, s.gbsDelta());
        assertFalse(s.autoDelta());
        assertEquals(6.0, s.gbsTargetBits());
        assertEquals(1024, s.rotationCap());
        assertEquals(128, s.scaleBlock());
        assertEquals(Arq.Scaling.CHANNEL, s.scaling());
        assertEquals(1234L, s.seed());
        // ... and DvdQuantMethod's documented defaults for what it leaves out
        assertTrue(s.bgr() && s.arq() && s.rotate() && s.separateBounds());
        assertEquals(0.9, s.bgrAlpha());
        assertEquals(0.5, s.bgrAlphaMin());
        assertEquals(0.05, s.bgrAlphaStep());
        assertEquals(1e-4, s.bgrTolerance());
        assertFalse(s.bgrRealZeroPoint() || s.centerText() || s.integerReference());
        assertEquals(DvdQuantMethod.CenterWeights.QUANTIZED, s.centerWeights());
        assertEquals(4, s.gbsLowBits());
        assertEquals(8, s.gbsHighBits());
        assertEquals(0.25, s.gbsTolerance());
        assertEquals(BitSwitcher.PAPER, s.gbsForceFirst());
        assertEquals(BitSwitcher.PAPER, s.gbsForceLast());
        // written again, the file says which settings version its options are
        String again = RecipeJson.write(r);
        assertTrue(again.contains("\"settings_version\" : 1"), again);
        assertEquals(r, RecipeJson.parse(again, "rewritten"));
    }

    @Test
    void shippedRecipeFilesStillRead() {
        // bench/recipes/w4a6-quarot.json, written before versioning: weights gptq, block 0, random signs, seed 1234
        QuaRotSettings q = (QuaRotSettings) QuantMethods.settings(RecipeJson.read(Path.of("bench/recipes/w4a6-quarot.json")));
        assertEquals(new QuaRotSettings(true, 0, 1024, true, 1234, false, 0, 0.01, false, 1), q);
        SmoothQuantSettings sq = (SmoothQuantSettings) QuantMethods.settings(RecipeJson.read(Path.of("bench/recipes/w4a6-smoothquant.json")));
        assertEquals(new SmoothQuantSettings(0.5, false), sq);
    }

    @Test
    void aSettingsVersionThisBuildDoesNotHaveIsRefused() {
        String v2 = STORED_BEFORE_VERSIONING.replace("\"options\"", "\"settings_version\" : 2,\n  \"options\"");
        var e = assertThrows(ConfigException.class, () -> RecipeJson.parse(v2, "future.json"));
        assertEquals("recipe future.json: settings_version 2 is not a settings version of method 'dvd' in this vdq (1..1); "
                + "the file was written by a newer vdq", e.getMessage());
        String v0 = STORED_BEFORE_VERSIONING.replace("\"options\"", "\"settings_version\" : 0,\n  \"options\"");
        assertThrows(ConfigException.class, () -> RecipeJson.parse(v0, "zero.json"));
        String v1 = STORED_BEFORE_VERSIONING.replace("\"options\"", "\"settings_version\" : 1,\n  \"options\"");
        assertEquals(RecipeJson.parse(STORED_BEFORE_VERSIONING, "a"), RecipeJson.parse(v1, "b"));
    }

    /** A method at settings version 2 that renamed option "strength" (version 1) to "alpha": old files are upgraded on read. */
    record VSettings(double alpha) implements MethodSettings {
        @Override public int version() { return 2; }
        @Override public Map<String, Object> toOptions() { return Map.of("alpha", alpha); }
    }

    static final class Versioned implements QuantMethod<VSettings> {
        @Override public String name() { return "versioned-test"; }
        @Override public String description() { return "test"; }
        @Override public Set<String> options() { return Set.of("alpha"); }
        @Override public int settingsVersion() { return 2; }
        @Override public VSettings parseSettings(Recipe r) { return new VSettings(new SettingsReader(r, name(), options()).number("alpha", 0.5)); }
        @Override public Map<String, Object> upgradeOptions(int from, Map<String, Object> options) {
            Map<String, Object> m = new LinkedHashMap<>(options);
            if (m.containsKey("strength")) m.put("alpha", m.remove("strength"));
            return m;
        }
        @Override public QuantReport apply(LinearRegistry model, Recipe recipe, VSettings settings, Calibration calibration) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void olderSettingsVersionsAreUpgradedOnRead() {
        QuantMethods.register(new Versioned());
        String v1 = "{\"method\":\"versioned-test\",\"weight_bits\":4,\"activation_bits\":8,\"options\":{\"strength\":0.25}}";
        Recipe r = RecipeJson.parse(v1, "v1.json");
        assertEquals(Map.of("alpha", 0.25), r.options());
        assertEquals(new VSettings(0.25), QuantMethods.settings(r));
        assertTrue(RecipeJson.write(r).contains("\"settings_version\" : 2"));
        String v2 = "{\"method\":\"versioned-test\",\"weight_bits\":4,\"activation_bits\":8,\"settings_version\":2,\"options\":{\"strength\":0.25}}";
        var e = assertThrows(ConfigException.class, () -> RecipeJson.parse(v2, "v2.json"));   // "strength" is not a version-2 key
        assertTrue(e.getMessage().contains("'strength'") && e.getMessage().contains("[alpha]"), e.getMessage());
    }

    @Test
    void unknownKeysAreRefusedWhenTheFileIsReadNamingTheValidOnes() {
        String json = "{\"method\":\"gptq\",\"weight_bits\":4,\"activation_bits\":8,\"options\":{\"dmap\":0.1}}";
        var e = assertThrows(ConfigException.class, () -> RecipeJson.parse(json, "typo.json"));
        assertEquals("recipe typo.json: recipe 'custom': option 'dmap' is not an option of method 'gptq'; its options are "
                + "[act_order, damp, layers_per_pass, token_stride] (and int8_attention, int8_attention_pv)", e.getMessage());
        e = assertThrows(ConfigException.class, () -> Presets.resolve("w4a4-minmax+alpha=0.5"));
        assertTrue(e.getMessage().contains("'alpha'") && e.getMessage().contains("[static_activations]"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> Presets.resolve("w4a8-gptq+damp=-1"));
        assertEquals("recipe 'w4a8-gptq+damp=-1' option 'damp' = -1.0: expected >= 0.0", e.getMessage());
        e = assertThrows(ConfigException.class, () -> Presets.resolve("w4a6-vidit-lite+alphas=1.5"));
        assertTrue(e.getMessage().contains("'alphas'") && e.getMessage().contains("0..1"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> Presets.resolve("w4a4-quarot+weights=awq"));
        assertEquals("recipe 'w4a4-quarot+weights=awq' option 'weights' = 'awq': expected rtn, gptq", e.getMessage());
        e = assertThrows(ConfigException.class, () -> Presets.resolve("w4a4-dvd+gbs_force_first=-2"));
        assertTrue(e.getMessage().contains("'gbs_force_first'") && e.getMessage().contains("paper"), e.getMessage());
        for (String bad : List.of("w4a4-minmax+alpha=0.5", "w4a8-gptq+damp=-1", "w4a4-dvd+gbs_force_first=-2"))
            assertFalse(assertThrows(ConfigException.class, () -> Presets.resolve(bad)).getMessage().contains("\n"), bad);
    }

    @Test
    void everyPresetsSettingsRoundTripThroughTheirOptions() {
        for (var p : Presets.all().values()) {
            Recipe r = p.recipe();
            MethodSettings s = QuantMethods.settings(r);
            QuantMethod<?> m = QuantMethods.get(r.method());
            assertEquals(m.settingsVersion(), s.version(), r.name());
            assertEquals(m.options(), s.toOptions().keySet(), r.name() + ": toOptions spells out every key");
            assertEquals(s, QuantMethods.settings(r.withOptions(s.toOptions())), r.name());
            assertTrue(new TreeSet<>(m.options()).containsAll(r.options().keySet()), r.name());
        }
    }

    @Test
    void presetValuesAreTheDocumentedOnes() {
        assertEquals(new SmoothQuantSettings(0.5, false), QuantMethods.settings(Presets.get("w4a8-smoothquant")));
        assertEquals(new ViditSettings(List.of(0.7, 0.5)), QuantMethods.settings(Presets.get("w4a6-vidit-lite")));
        DvdSettings bgrOnly = (DvdSettings) QuantMethods.settings(Presets.get("w4a4-dvd-bgr-only"));
        assertFalse(bgrOnly.arq());
        assertFalse(bgrOnly.rotate(), "rotate defaults to arq");
        assertEquals(Arq.Scaling.OFF, bgrOnly.scaling());
        DvdSettings a4 = (DvdSettings) QuantMethods.settings(Presets.get("w4a4-dvd"));
        assertEquals(4.0, a4.gbsTargetBits(), "gbs_target_bits defaults to activation_bits");
    }

    /** The ablation/variant presets, listed by hand from their descriptions at commit 2f8db9b ("ablation:", "variant:"). */
    @Test
    void ablationIsAFieldOfThePreset() {
        Set<String> expected = Set.of("w4a8-minmax-g128", "w4a4-dvd-paper", "w4a4/8-dvd-paper", "w4a6-arq", "w4a8-dvd-g128",
                "w4a4-dvd-bgr-only", "w4a4-dvd-arq-only", "w4a4-quarot-rtn", "w4a8-gptq-g128", "w4a6-s2q-nosds", "w4a6-s2q-nostd",
                "w4a6-s2q-atop", "w4a6-s2q-atfp", "w4a6-s2q-rtfp");
        Set<String> ablations = new TreeSet<>();
        for (var e : Presets.all().entrySet()) {
            if (e.getValue().ablation()) ablations.add(e.getKey());
            String d = e.getValue().description();
            assertEquals(d.contains("ablation:") || d.contains("variant:"), e.getValue().ablation(), e.getKey() + ": " + d);
        }
        assertEquals(new TreeSet<>(expected), ablations);
    }
}
