package io.vdq.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.quant.Presets;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.Recipe;
import io.vdq.quant.RecipeJson;
import java.util.Map;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class RecipesCommandTest {
    private static String run(String... args) {
        StringWriter sw = new StringWriter();
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(new PrintWriter(sw));
        assertEquals(0, cl.execute(args));
        return sw.toString();
    }

    @Test
    void listsEveryPresetOnOneLine() {
        String[] lines = run("recipes").strip().split("\n");
        assertEquals(Presets.all().size() + 2, lines.length, "one line per preset, a blank line, the aliases");
        int i = 0;
        for (String name : Presets.all().keySet()) assertTrue(lines[i++].startsWith(name + " "), name);
        assertTrue(lines[lines.length - 1].contains("w4a6-dvd → w4a4/8-dvd;"), lines[lines.length - 1]);
    }

    @Test
    void showPrintsParseableJsonAndMethodsAreListed() {
        assertEquals(Presets.get("w4a16-gptq"), RecipeJson.parse(run("recipes", "--show", "w4a16-gptq"), "stdout"));
        assertTrue(run("recipes", "--methods").contains("smoothquant"));
    }

    /** --settings spells out every option of the method; the explicit recipe reads back to the same settings. */
    @Test
    void settingsSpellOutTheDefaults() {
        Recipe full = RecipeJson.parse(run("recipes", "--settings", "w4a8-smoothquant+static_activations=true"), "stdout");
        assertEquals(Map.of("alpha", 0.5, "static_activations", true), full.options());
        Recipe gptq = RecipeJson.parse(run("recipes", "--settings", "w4a8-gptq"), "stdout");
        // GptqMethod's documented defaults: damp 0.01, act_order false, layers_per_pass 0 (all at once), token_stride 1
        assertEquals(Map.of("damp", 0.01, "act_order", false, "layers_per_pass", 0, "token_stride", 1), gptq.options());
        for (String name : Presets.all().keySet()) {
            Recipe r = RecipeJson.parse(run("recipes", "--settings", name), "stdout");
            assertEquals(QuantMethods.settings(Presets.get(name)), QuantMethods.settings(r), name);
            assertEquals(QuantMethods.get(r.method()).options(), r.options().keySet(), name);
        }
    }
}
