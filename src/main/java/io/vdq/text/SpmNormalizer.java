package io.vdq.text;

import io.vdq.VdqException.ConfigException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * SentencePiece's normalizer over UTF-8 bytes: at each position the longest rule of the precompiled charsmap
 * (a Darts-clone double-array trie whose values point into a blob of NUL-terminated replacement strings)
 * replaces the matched bytes; otherwise one character passes through unchanged (a malformed byte becomes
 * U+FFFD). User-defined pieces are never normalized. Then whitespace is handled as SentencePiece does:
 * leading spaces dropped, runs of spaces collapsed, trailing spaces dropped, a dummy {@code ▁} prefix added,
 * and every space written as {@code ▁} (U+2581).
 */
final class SpmNormalizer {
    private static final byte[] SPACE_SYMBOL = "\u2581".getBytes(StandardCharsets.UTF_8);
    private static final byte[] REPLACEMENT = "\uFFFD".getBytes(StandardCharsets.UTF_8);
    private static final int MAX_TRIE_RESULTS = 32;

    private final UnigramSpec.Normalizer spec;
    private final int[] units;      // double-array units, null for the identity normalizer
    private final byte[] replaced;  // NUL-terminated replacement strings
    private final PieceTrie userDefined;

    SpmNormalizer(String source, UnigramSpec.Normalizer spec, PieceTrie userDefined) {
        this.spec = spec;
        this.userDefined = userDefined;
        byte[] blob = spec.charsMap();
        if (blob.length == 0) {
            units = null;
            replaced = new byte[0];
            return;
        }
        if (blob.length <= 4) throw new ConfigException(source + ": precompiled_charsmap is " + blob.length + " bytes, too short");
        long trieSize = (blob[0] & 0xFFL) | (blob[1] & 0xFFL) << 8 | (blob[2] & 0xFFL) << 16 | (blob[3] & 0xFFL) << 24;
        if (trieSize >= blob.length || trieSize % 4 != 0 || trieSize == 0)
            throw new ConfigException(source + ": precompiled_charsmap declares a trie of " + trieSize + " bytes in a blob of " + blob.length);
        units = new int[(int) trieSize / 4];
        for (int i = 0; i < units.length; i++) {
            int p = 4 + 4 * i;
            units[i] = (blob[p] & 0xFF) | (blob[p + 1] & 0xFF) << 8 | (blob[p + 2] & 0xFF) << 16 | (blob[p + 3] & 0xFF) << 24;
        }
        replaced = Arrays.copyOfRange(blob, 4 + (int) trieSize, blob.length);
    }

    /** One normalization step: {@code out[from, to)} replaces the first {@code consumed} input bytes. */
    private static final class Step {
        byte[] out;
        int from, to, consumed;

        boolean isSingleSpace() { return to - from == 1 && out[from] == ' '; }
    }

    /** The normalized UTF-8 bytes of {@code input}, with whitespace escaped as configured. */
    byte[] normalize(byte[] input) {
        Bytes out = new Bytes(input.length * 3 / 2 + 8);
        Step step = new Step();
        int pos = 0, n = input.length;
        if (spec.removeExtraWhitespaces()) {
            while (pos < n) {
                prefix(input, pos, step);
                if (!step.isSingleSpace()) break;
                pos += step.consumed;
            }
        }
        if (pos >= n) return new byte[0];
        boolean suffixSpace = spec.treatWhitespaceAsSuffix();
        if (!suffixSpace && spec.addDummyPrefix()) addSpace(out);
        boolean prevSpace = spec.removeExtraWhitespaces();
        while (pos < n) {
            prefix(input, pos, step);
            int from = step.from;
            if (prevSpace) while (from < step.to && step.out[from] == ' ') from++;
            if (from < step.to) {
                for (int i = from; i < step.to; i++) {
                    if (spec.escapeWhitespaces() && step.out[i] == ' ') out.add(SPACE_SYMBOL);
                    else out.add(step.out[i]);
                }
                prevSpace = step.out[step.to - 1] == ' ';
            }
            pos += step.consumed;
            if (!spec.removeExtraWhitespaces()) prevSpace = false;
        }
        if (spec.removeExtraWhitespaces()) {
            byte[] space = spec.escapeWhitespaces() ? SPACE_SYMBOL : new byte[] {' '};
            while (out.endsWith(space)) out.size -= space.length;
        }
        if (suffixSpace && spec.addDummyPrefix()) addSpace(out);
        return out.toArray();
    }

    private void addSpace(Bytes out) {
        if (spec.escapeWhitespaces()) out.add(SPACE_SYMBOL);
        else out.add((byte) ' ');
    }

    /** The longest normalization rule at {@code pos}, or the character there unchanged. */
    private void prefix(byte[] in, int pos, Step step) {
        int n = in.length;
        if (userDefined != null) {
            int len = userDefined.longestPrefix(in, pos, n);
            if (len > 0) {
                set(step, in, pos, pos + len, len);
                return;
            }
        }
        int longest = 0, longestValue = 0;
        if (units != null) {
            int results = 0;
            int id = offset(units[0]);
            for (int i = pos; i < n; i++) {
                int c = in[i] & 0xFF;
                id ^= c;
                if (id < 0 || id >= units.length) break;
                int unit = units[id];
                if (label(unit) != c) break;
                id ^= offset(unit);
                if (hasLeaf(unit)) {
                    if (id < 0 || id >= units.length) break;
                    if (results++ < MAX_TRIE_RESULTS) {
                        longest = i + 1 - pos;
                        longestValue = units[id] & 0x7FFFFFFF;
                    }
                }
            }
        }
        if (longest > 0) {
            if (longestValue >= replaced.length) longestValue = replaced.length;
            int end = longestValue;
            while (end < replaced.length && replaced[end] != 0) end++;
            set(step, replaced, longestValue, end, longest);
            return;
        }
        int len = validCharLength(in, pos);
        if (len == 0) set(step, REPLACEMENT, 0, REPLACEMENT.length, 1);
        else set(step, in, pos, pos + len, len);
    }

    private static void set(Step step, byte[] out, int from, int to, int consumed) {
        step.out = out;
        step.from = from;
        step.to = to;
        step.consumed = consumed;
    }

    private static int offset(int unit) { return (unit >>> 10) << ((unit & (1 << 9)) >>> 6); }

    private static int label(int unit) { return unit & (0x80000000 | 0xFF); }

    private static boolean hasLeaf(int unit) { return ((unit >>> 8) & 1) == 1; }

    /** Byte length of the well-formed UTF-8 character at {@code pos}, or 0 if it is malformed. */
    static int validCharLength(byte[] s, int pos) {
        int b = s[pos] & 0xFF;
        int len, min;
        if (b < 0x80) return 1;
        else if (b >= 0xC2 && b <= 0xDF) { len = 2; min = 0x80; }
        else if (b >= 0xE0 && b <= 0xEF) { len = 3; min = 0x800; }
        else if (b >= 0xF0 && b <= 0xF4) { len = 4; min = 0x10000; }
        else return 0;
        if (pos + len > s.length) return 0;
        int cp = b & (0x7F >> len);
        for (int i = 1; i < len; i++) {
            int c = s[pos + i] & 0xFF;
            if ((c & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (c & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        return len;
    }

    /** A growable byte buffer. */
    static final class Bytes {
        byte[] data;
        int size;

        Bytes(int capacity) { data = new byte[Math.max(capacity, 8)]; }

        void add(byte b) {
            if (size == data.length) data = Arrays.copyOf(data, size * 2);
            data[size++] = b;
        }

        void add(byte[] bs) { for (byte b : bs) add(b); }

        boolean endsWith(byte[] suffix) {
            if (size < suffix.length) return false;
            for (int i = 0; i < suffix.length; i++) if (data[size - suffix.length + i] != suffix[i]) return false;
            return true;
        }

        byte[] toArray() { return Arrays.copyOf(data, size); }
    }
}
