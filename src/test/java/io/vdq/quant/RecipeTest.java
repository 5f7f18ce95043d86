package io.vdq.quant;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ConfigException;
import io.vdq.quant.dvd.DvdSettings;
import io.vdq.quant.minmax.MinMaxSettings;
import io.vdq.quant.s2q.S2qSettings;
import io.vdq.quant.s2q.SalientDataSelection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecipeTest {
    @Test
    void everyPresetRoundTripsThroughJson() {
        for (var e : Presets.all().entrySet()) {
            Recipe r = e.getValue().recipe();
            assertEquals(e.getKey(), r.name());
            assertEquals(r, RecipeJson.parse(RecipeJson.write(r), "preset " + e.getKey()));
        }
    }

    @Test
    void fileRoundTripKeepsOptionsAndPatterns(@TempDir Path dir) {
        // a method this build does not know (a plug-in's): its options travel as written, unchecked
        Recipe r = Recipe.of("mine", "plugin-method", 4, 6, Map.of("alphas", List.of(0.7, 0.5), "seed", 7L, "flag", true, "mode", "x"))
                .withPatterns(List.of("blocks.**"), List.of("blocks.0.*"));
        Path f = dir.resolve("r.json");
        RecipeJson.write(r, f);
        Recipe back = RecipeJson.read(f);
        assertEquals(r.include(), back.include());
        assertEquals(List.of(0.7, 0.5), back.options().get("alphas"));
        assertEquals(7, back.options().get("seed"));
        assertEquals(true, back.options().get("flag"));
        assertEquals("x", back.options().get("mode"));
        assertEquals(r.withOption("seed", 7), back);
        assertFalse(Files.exists(dir.resolve("r.json.tmp")));
    }

    @Test
    void presetOverridesSetTypedOptionsAndNameTheRun() {
        Recipe base = Presets.get("w4a6-s2q");
        Recipe r = Presets.resolve("w4a6-s2q+seed=3+sds_diff=denoised+std=false+lr=1e-3+lambda_min=.25");
        assertEquals("w4a6-s2q+seed=3+sds_diff=denoised+std=false+lr=1e-3+lambda_min=.25", r.name());
        S2qSettings s = (S2qSettings) QuantMethods.settings(r);
        assertEquals(3, s.seed());
        assertEquals(SalientDataSelection.DiffInput.DENOISED, s.sdsDiff());
        assertFalse(s.std());
        assertEquals(1e-3, s.lr());
        assertEquals(0.25, s.lambdaMin());
        assertEquals(base.withName(r.name()).withOption("seed", 3L).withOption("sds_diff", "denoised").withOption("std", false)
                .withOption("lr", 1e-3).withOption("lambda_min", 0.25), r);
        assertEquals(0.8, ((DvdSettings) QuantMethods.settings(Presets.resolve("w4a4-dvd+bgr_alpha=0.8"))).bgrAlpha());
        for (String bad : new String[]{"w4a6-s2q+seed", "w4a6-s2q+seed=", "w4a6-s2q+=1", "w4a6-s2q+seed=1+"}) {
            var e = assertThrows(ConfigException.class, () -> Presets.resolve(bad), bad);
            assertTrue(e.getMessage().contains("key=value") && e.getMessage().contains(bad), e.getMessage());
        }
        var e = assertThrows(ConfigException.class, () -> Presets.resolve("w4a7-s2q+seed=1"));
        assertTrue(e.getMessage().contains("'w4a7-s2q+seed=1'") && e.getMessage().contains("NAME+key=value"), e.getMessage());
    }

    @Test
    void overridesApplyToRecipeFilesWhoseNameHoldsAPlus(@TempDir Path dir) {
        Path f = dir.resolve("a+b.json");
        RecipeJson.write(Recipe.of("ab", "minmax", 4, 8, Map.of()), f);
        assertEquals("ab", Presets.resolve(f.toString()).name());
        Recipe r = Presets.resolve(f + "+static_activations=true");
        assertTrue(((MinMaxSettings) QuantMethods.settings(r)).staticActivations());
        assertEquals(8, r.activationBits());
    }

    @Test
    void minimalJsonGetsDefaults() {
        Recipe r = RecipeJson.parse("{\"method\":\"minmax\",\"weight_bits\":4,\"activation_bits\":8}", "t.json");
        assertEquals(Granularity.PER_CHANNEL, r.weightGranularity());
        assertEquals(Granularity.PER_TOKEN, r.activationGranularity());
        assertTrue(r.selects("blocks.12.attn2.to_out.0"));
        assertTrue(r.selects("blocks.0.ffn.net.0.proj"));
        assertFalse(r.selects("condition_embedder.time_proj"));
        assertFalse(r.selects("proj_out"));
        assertFalse(r.selects("patch_embedding"));
        assertFalse(r.selects("blocks.0.attn1.norm_q"));
    }

    @Test
    void badFieldsAreNamedInErrors() {
        assertMessage("{\"method\":\"minmax\",\"weight_bits\":\"four\",\"activation_bits\":8}", "weight_bits");
        assertMessage("{\"method\":\"minmax\",\"weight_bits\":4,\"activation_bits\":8,\"weigth_granularity\":\"per_tensor\"}", "weigth_granularity");
        assertMessage("{\"method\":\"minmax\",\"weight_bits\":4,\"activation_bits\":8,\"weight_granularity\":\"per_row\"}", "weight_granularity");
        assertMessage("{\"method\":\"minmax\",\"weight_bits\":12,\"activation_bits\":8}", "weight_bits");
        assertMessage("{\"method\":\"minmax\",\"weight_bits\":4}", "activation_bits");
        assertMessage("{\"weight_bits\":4,\"activation_bits\":8}", "method");
        assertMessage("{\"method\":\"minmax\",\"weight_bits\":4,\"activation_bits\":8,\"include\":\"blocks\"}", "include");
        assertMessage("{\"method\":\"minmax\",\"weight_bits\":4,\"activation_bits\":8,\"weight_granularity\":\"per_group\",\"group_size\":0}", "group_size");
        assertMessage("{\"method\":", "malformed");
        Recipe r = Recipe.of("x", "smoothquant", 4, 8, Map.of("alpha", "high"));
        ConfigException e = assertThrows(ConfigException.class, () -> QuantMethods.settings(r));
        assertEquals("recipe 'x' option 'alpha' = 'high': expected a number", e.getMessage());
    }

    private static void assertMessage(String json, String field) {
        ConfigException e = assertThrows(ConfigException.class, () -> RecipeJson.parse(json, "bad.json"));
        assertTrue(e.getMessage().contains(field) && e.getMessage().contains("bad.json"), e.getMessage());
    }

    @Test
    void globsMatchWithinAndAcrossSegments() {
        assertTrue(NamePatterns.matches("blocks.*.attn1.to_q", "blocks.17.attn1.to_q"));
        assertFalse(NamePatterns.matches("blocks.*.to_q", "blocks.17.attn1.to_q"));
        assertTrue(NamePatterns.matches("blocks.**", "blocks.17.attn1.to_q"));
        assertTrue(NamePatterns.matches("**time_proj", "condition_embedder.time_proj"));
        assertFalse(NamePatterns.matches("blocks.1.*", "blocks.10.x"));
    }
}
