package io.vdq.quant;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ConfigException;
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
        Recipe r = Recipe.of("mine", "vidit", 4, 6, Map.of("alphas", List.of(0.7, 0.5), "seed", 7L, "flag", true, "mode", "x"))
                .withPatterns(List.of("blocks.**"), List.of("blocks.0.*"));
        Path f = dir.resolve("r.json");
        RecipeJson.write(r, f);
        Recipe back = RecipeJson.read(f);
        assertEquals(r.include(), back.include());
        assertArrayEquals(new double[]{0.7, 0.5}, back.optDoubles("alphas", null));
        assertEquals(7L, back.optLong("seed", 0));
        assertTrue(back.optBool("flag", false));
        assertEquals("x", back.optString("mode", ""));
        assertEquals(r.withOption("seed", 7), back);
        assertFalse(Files.exists(dir.resolve("r.json.tmp")));
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
        ConfigException e = assertThrows(ConfigException.class, () -> r.optDouble("alpha", 0.5));
        assertTrue(e.getMessage().contains("alpha"));
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
