package io.vdq.cli;

import io.vdq.quant.Presets;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.Recipe;
import io.vdq.quant.RecipeJson;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vdq recipes}: the built-in recipe presets, one line each; {@code --show NAME|FILE} prints one as JSON. */
@Command(name = "recipes", mixinStandardHelpOptions = true, description = "List the built-in quantization recipes, or print one as JSON.")
final class RecipesCommand implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--show", paramLabel = "NAME|FILE", description = "Print this preset (or recipe file) as JSON.")
    String show;

    @Option(names = "--methods", description = "List the registered quantization methods instead.")
    boolean methods;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        if (show != null) {
            out.println(RecipeJson.write(Presets.resolve(show)));
        } else if (methods) {
            for (String n : QuantMethods.names()) out.printf("%-12s %s%n", n, QuantMethods.get(n).description());
            out.println("Every method also takes int8_attention (int8 Q·Kᵀ self-attention) and int8_attention_pv (int8 P·V too),"
                    + " both false by default; e.g. --recipes 'w4a4-dvd+int8_attention=true+int8_attention_pv=true'.");
        } else {
            for (var p : Presets.all().values()) {
                Recipe r = p.recipe();
                out.printf("%-17s %-11s W%-2s A%-2s %s%n", r.name(), r.method(), r.weightBits(),
                        r.floatActivations() ? "16" : String.valueOf(r.activationBits()), p.description());
            }
            if (!Presets.ALIASES.isEmpty()) {   // earlier names still resolve; say to what
                out.println();
                out.print("Earlier names, still accepted:");
                new TreeMap<>(Presets.ALIASES).forEach((old, now) -> out.print(" " + old + " → " + now + ";"));
                out.println();
            }
        }
        out.flush();
        return 0;
    }
}
