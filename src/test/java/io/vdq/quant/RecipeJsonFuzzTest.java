package io.vdq.quant;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ConfigException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The recipe parser answers any input with a recipe or a ConfigException, never another exception. */
class RecipeJsonFuzzTest {
    @Property(tries = 300, seed = "2026112401")
    void arbitraryTextIsARecipeOrAConfigError(@ForAll("jsonish") String text) {
        try {
            Recipe r = RecipeJson.parse(text, "fuzz.json");
            assertEquals(r, RecipeJson.parse(RecipeJson.write(r), "again"));
        } catch (ConfigException e) {
            assertTrue(e.getMessage().contains("fuzz.json"), e.getMessage());
        }
    }

    @Property(tries = 300, seed = "2026112402")
    void mutatedPresetsAreARecipeOrAConfigError(@ForAll("mutations") String text) {
        arbitraryTextIsARecipeOrAConfigError(text);
    }

    @Provide
    Arbitrary<String> jsonish() {
        return Arbitraries.strings().withChars("{}[]\":,0123456789.-truefalsnmethodweight_bitsactivation_ ").ofMaxLength(80);
    }

    @Provide
    Arbitrary<String> mutations() {
        String base = RecipeJson.write(Presets.get("w4a6-vidit-lite"));
        return Arbitraries.integers().between(0, base.length() - 1).tuple3()
                .map(t -> {
                    int a = Math.min(t.get1(), t.get2()), b = Math.max(t.get1(), t.get2());
                    String chars = "{}[]\":,0-9a .";
                    char c = chars.charAt(t.get3() % chars.length());
                    return base.substring(0, a) + c + base.substring(b);
                });
    }
}
