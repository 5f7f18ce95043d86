package io.vdq.synth;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The fixed, append-only vocabulary of the prompt grammar. Id 0 is padding; words follow in this order:
 * articles, "moving", "on", "gradient", "background", object colours, shapes, directions, speeds, background
 * colours, gradient kinds (each group in its enum's declaration order). New words may only be appended, so the
 * ids (and the text encoder's embeddings) of existing words never change.
 */
public final class Vocabulary {
    public static final int PAD = 0;
    private static final List<String> WORDS;
    private static final Map<String, Integer> IDS = new HashMap<>();

    static {
        List<String> w = new ArrayList<>();
        w.add("<pad>");
        w.addAll(List.of("a", "an", "moving", "on", "gradient", "background"));
        for (ObjectColor c : ObjectColor.values()) w.add(c.word());
        for (ObjectShape s : ObjectShape.values()) w.add(s.word());
        for (Direction d : Direction.values()) w.add(d.word());
        for (Speed s : Speed.values()) w.add(s.word());
        for (BackgroundColor c : BackgroundColor.values()) w.add(c.word());
        for (Background.Gradient g : Background.Gradient.values()) if (g.word() != null) w.add(g.word());
        WORDS = Collections.unmodifiableList(w);
        for (int i = 1; i < w.size(); i++) {
            if (IDS.put(w.get(i), i) != null) throw new IllegalStateException("duplicate vocabulary word " + w.get(i));
        }
    }

    private Vocabulary() {}

    /** Number of ids including padding. */
    public static int size() { return WORDS.size(); }

    /** The words of the grammar (without padding). */
    public static List<String> words() { return WORDS.subList(1, WORDS.size()); }

    public static boolean contains(String word) { return IDS.containsKey(word); }

    /** The id of a word, or −1. */
    public static int id(String word) { return IDS.getOrDefault(word, -1); }

    public static String word(int id) { return WORDS.get(id); }
}
