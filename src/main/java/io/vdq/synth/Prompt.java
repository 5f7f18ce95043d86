package io.vdq.synth;

import io.vdq.VdqException.ConfigException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A prompt of the world's grammar, parsed into what it fixes about a scene:
 * <pre>
 *   prompt     = article COLOUR SHAPE "moving" DIRECTION [SPEED] [background]
 *   background = "on" article BGCOLOUR [("vertical" | "horizontal") "gradient"] "background"
 *   article    = "a" | "an"
 * </pre>
 * Words are case-insensitive and separated by white space; a final "." is ignored. {@code speed} and
 * {@code background} are null when the prompt leaves them open. {@link #text()} writes the canonical form
 * ("an" before a vowel), which parses back to the same record.
 */
public record Prompt(ObjectColor color, ObjectShape shape, Direction direction, Speed speed, Background background) {
    public Prompt {
        if (color == null || shape == null || direction == null)
            throw new ConfigException("prompt: colour, shape and direction are required");
    }

    /** The prompt's words in canonical form. */
    public String text() {
        StringBuilder sb = new StringBuilder();
        sb.append(article(color.word())).append(' ').append(color.word()).append(' ').append(shape.word())
                .append(" moving ").append(direction.word());
        if (speed != null) sb.append(' ').append(speed.word());
        if (background != null) sb.append(" on ").append(article(background.color().word())).append(' ').append(background.phrase());
        return sb.toString();
    }

    @Override public String toString() { return text(); }

    static String article(String next) { return "aeiou".indexOf(next.charAt(0)) >= 0 ? "an" : "a"; }

    /** Whether every field this prompt fixes agrees with the scene. */
    public boolean matches(SceneSpec s) {
        return s.color() == color && s.shape() == shape && s.direction() == direction
                && (speed == null || s.speed() == speed) && (background == null || background.equals(s.background()));
    }

    /** Splits a prompt into lower-case words (white space; a final "." dropped). */
    public static List<String> words(String text) {
        if (text == null) throw new ConfigException("prompt: text is null");
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (t.endsWith(".")) t = t.substring(0, t.length() - 1).strip();
        List<String> out = new ArrayList<>();
        for (String w : t.split("\\s+")) if (!w.isEmpty()) out.add(w);
        return out;
    }

    /**
     * Parses a prompt. Throws {@link ConfigException} naming the first word that is not in the vocabulary,
     * or the word (and its position) where the grammar expected something else.
     */
    public static Prompt parse(String text) {
        List<String> w = words(text);
        for (String word : w)
            if (!Vocabulary.contains(word))
                throw new ConfigException("prompt '" + text + "': unknown word '" + word + "' (known: " + Vocabulary.words() + ")");
        Cursor c = new Cursor(text, w);
        c.article();
        ObjectColor color = c.expect("an object colour", ObjectColor.ofWord(c.peek()));
        ObjectShape shape = c.expect("a shape", ObjectShape.ofWord(c.peek()));
        c.literal("moving");
        Direction dir = c.expect("a direction", Direction.ofWord(c.peek()));
        Speed speed = null;
        if (c.more() && Speed.ofWord(c.peek()) != null) speed = c.expect("a speed", Speed.ofWord(c.peek()));
        Background bg = null;
        if (c.more()) {
            c.literal("on");
            c.article();
            BackgroundColor bc = c.expect("a background colour", BackgroundColor.ofWord(c.peek()));
            Background.Gradient g = Background.Gradient.PLAIN;
            if (c.more() && Background.Gradient.ofWord(c.peek()) != null) {
                g = c.expect("a gradient", Background.Gradient.ofWord(c.peek()));
                c.literal("gradient");
            }
            c.literal("background");
            bg = new Background(bc, g);
        }
        if (c.more()) throw c.error("the end of the prompt");
        return new Prompt(color, shape, dir, speed, bg);
    }

    private static final class Cursor {
        final String text;
        final List<String> w;
        int i;

        Cursor(String text, List<String> w) { this.text = text; this.w = w; }

        boolean more() { return i < w.size(); }
        String peek() { return more() ? w.get(i) : ""; }

        <T> T expect(String what, T value) {
            if (value == null) throw error(what);
            i++;
            return value;
        }

        void literal(String word) { expect("'" + word + "'", word.equals(peek()) ? word : null); }

        void article() { expect("'a' or 'an'", "a".equals(peek()) || "an".equals(peek()) ? peek() : null); }

        ConfigException error(String what) {
            String got = more() ? "word " + (i + 1) + " '" + w.get(i) + "'" : "the end of the prompt";
            return new ConfigException("prompt '" + text + "': expected " + what + " at " + got
                    + "; grammar: a COLOUR SHAPE moving DIRECTION [slowly|quickly] [on a BGCOLOUR [vertical|horizontal gradient] background]");
        }
    }
}
