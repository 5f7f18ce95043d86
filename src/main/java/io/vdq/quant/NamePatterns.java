package io.vdq.quant;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Globs on diffusers parameter prefixes: {@code *} matches within one dot-separated segment, {@code **} matches
 * across segments (any characters), {@code ?} one character; everything else is literal and the whole name must
 * match. Example: {@code blocks.*.attn1.to_q} selects the query projection of every block.
 */
public final class NamePatterns {
    private NamePatterns() {}

    public static Pattern compile(String glob) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*') {
                if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') { re.append(".*"); i++; }
                else re.append("[^.]*");
            } else if (c == '?') re.append("[^.]");
            else re.append(Pattern.quote(String.valueOf(c)));
        }
        return Pattern.compile(re.toString());
    }

    public static boolean matches(String glob, String name) { return compile(glob).matcher(name).matches(); }

    public static boolean matchesAny(List<String> globs, String name) {
        for (String g : globs) if (matches(g, name)) return true;
        return false;
    }

    /** Included by at least one include glob and by no exclude glob. */
    public static boolean selects(List<String> include, List<String> exclude, String name) {
        return matchesAny(include, name) && !matchesAny(exclude, name);
    }
}
