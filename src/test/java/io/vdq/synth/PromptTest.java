package io.vdq.synth;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ConfigException;
import net.jqwik.api.*;
import org.junit.jupiter.api.Test;

class PromptTest {
    @Test
    void parsesTheShortForm() {
        Prompt p = Prompt.parse("a red circle moving left");
        assertEquals(new Prompt(ObjectColor.RED, ObjectShape.CIRCLE, Direction.LEFT, null, null), p);
    }

    @Test
    void parsesSpeedAndBackgroundsCaseInsensitivelyWithAFinalFullStop() {
        Prompt p = Prompt.parse("  An ORANGE triangle moving up-left quickly on a navy vertical gradient background. ");
        assertEquals(ObjectColor.ORANGE, p.color());
        assertEquals(ObjectShape.TRIANGLE, p.shape());
        assertEquals(Direction.UP_LEFT, p.direction());
        assertEquals(Speed.FAST, p.speed());
        assertEquals(new Background(BackgroundColor.NAVY, Background.Gradient.VERTICAL), p.background());
        assertEquals("an orange triangle moving up-left quickly on a navy vertical gradient background", p.text());
        Prompt q = Prompt.parse("a blue square moving down on a gray background");
        assertNull(q.speed());
        assertEquals(new Background(BackgroundColor.GRAY, Background.Gradient.PLAIN), q.background());
    }

    @Test
    void unknownWordsAreNamed() {
        ConfigException e = assertThrows(ConfigException.class, () -> Prompt.parse("a red hexagon moving left"));
        assertTrue(e.getMessage().contains("'hexagon'"), e.getMessage());
    }

    @Test
    void misplacedWordsNameThePositionAndWhatWasExpected() {
        ConfigException e = assertThrows(ConfigException.class, () -> Prompt.parse("a circle red moving left"));
        assertTrue(e.getMessage().contains("expected an object colour at word 2 'circle'"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> Prompt.parse("a red circle moving left on a gray vertical background"));
        assertTrue(e.getMessage().contains("expected 'gradient' at word 10 'background'"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> Prompt.parse("a red circle moving"));
        assertTrue(e.getMessage().contains("expected a direction at the end of the prompt"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> Prompt.parse("a red circle moving left left"));
        assertTrue(e.getMessage().contains("word 6 'left'"), e.getMessage());
    }

    @Test
    void sceneSpecPromptsParseBackToTheirScene() {
        SpecSampler sampler = new SpecSampler(32, 32, true);
        for (long seed = 0; seed < 300; seed++) {
            SceneSpec s = sampler.sample(seed);
            Prompt p = Prompt.parse(s.prompt());
            assertTrue(p.matches(s), s.prompt());
            assertEquals(s.toPrompt(), p);
        }
    }

    @Provide
    Arbitrary<Prompt> prompts() {
        Arbitrary<Speed> speed = Arbitraries.of(Speed.class).injectNull(0.3);
        Arbitrary<Background> bg = Combinators.combine(Arbitraries.of(BackgroundColor.class), Arbitraries.of(Background.Gradient.class))
                .as(Background::new).injectNull(0.3);
        return Combinators.combine(Arbitraries.of(ObjectColor.class), Arbitraries.of(ObjectShape.class),
                Arbitraries.of(Direction.class), speed, bg).as(Prompt::new);
    }

    @Property(tries = 300, seed = "2026112401")
    void textRoundTrips(@ForAll("prompts") Prompt p) {
        assertEquals(p, Prompt.parse(p.text()));
    }

    @Provide
    Arbitrary<String> noisyPrompts() {
        Arbitrary<String> word = Arbitraries.oneOf(Arbitraries.of(Vocabulary.words()),
                Arbitraries.strings().ofMinLength(0).ofMaxLength(6));
        return word.list().ofMaxSize(14).map(ws -> String.join(" ", ws));
    }

    @Property(tries = 500, seed = "2026112402")
    void fuzzedTextEitherParsesOrThrowsConfigException(@ForAll("noisyPrompts") String text) {
        try {
            Prompt p = Prompt.parse(text);
            assertEquals(p, Prompt.parse(p.text()));
        } catch (ConfigException e) {
            assertTrue(e.getMessage().startsWith("prompt '"), e.getMessage());
        }
    }
}
