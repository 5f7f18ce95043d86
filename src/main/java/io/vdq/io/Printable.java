package io.vdq.io;

/** Names read from files (tensor names, metadata keys) made safe to print on one terminal line. */
public final class Printable {
    private Printable() {}

    /**
     * {@code s} with every control character (C0, DEL, C1), backslash, line/paragraph separator and invisible
     * format character (bidi overrides, zero-width) written as {@code \\uXXXX}: a NUL or newline in a tensor name
     * never reaches a terminal raw, and two names that print alike are alike.
     */
    public static String name(String s) { return escape(s, true); }

    /** A message kept on one line: control and invisible format characters escaped as in {@link #name}, backslashes kept. */
    public static String line(String s) { return escape(s, false); }

    private static String escape(String s, boolean backslash) {
        if (s == null) return "null";
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean bad = c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || (backslash && c == '\\') || c == 0x2028 || c == 0x2029
                    || Character.getType(c) == Character.FORMAT;
            if (bad && b == null) b = new StringBuilder(s.length() + 8).append(s, 0, i);
            if (b != null) {
                if (bad) b.append(String.format("\\u%04x", (int) c));
                else b.append(c);
            }
        }
        return b == null ? s : b.toString();
    }
}
