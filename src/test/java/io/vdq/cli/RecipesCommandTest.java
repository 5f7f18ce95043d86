package io.vdq.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.quant.Presets;
import io.vdq.quant.RecipeJson;
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
}
