package io.vdq.text;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * SentencePiece's Unigram segmentation of a normalized UTF-8 string: the Viterbi path maximizing the sum of
 * piece scores, found on the fly as SentencePiece's optimized encoder does (positions advance one character
 * at a time; at each, every vocabulary piece starting there is tried through a byte trie). A character no
 * piece covers becomes the unknown piece with score {@code min(NORMAL scores) - 10}; runs of unknowns merge
 * into one id, or, with byte fallback, each unknown character becomes its UTF-8 bytes as {@code <0xXX>}
 * pieces. User-defined pieces score {@code length · max(NORMAL scores) - 0.1} so that they always win.
 * The arithmetic follows SentencePiece's types (float scores, a double sum for piece candidates, a float sum
 * for unknown candidates) so that ties break the same way.
 */
final class UnigramModel {
    private static final float UNK_PENALTY = 10.0f;

    private final PieceTrie trie;
    private final float[] scores;
    private final byte[] types;
    private final int unkId;
    private final boolean byteFallback;
    private final int[] byteIds = new int[256];
    private final float minScore, maxScore;

    UnigramModel(UnigramSpec spec, Map<String, Integer> ids) {
        String[] pieces = spec.pieces();
        this.scores = spec.scores();
        this.types = spec.types();
        this.unkId = spec.unkId();
        this.byteFallback = spec.byteFallback();
        int n = 0;
        for (byte t : types) if (inTrie(t)) n++;
        byte[][] keys = new byte[n][];
        int[] values = new int[n];
        float min = Float.MAX_VALUE, max = Float.MIN_NORMAL;  // SentencePiece starts from FLT_MAX and FLT_MIN
        for (int i = 0, k = 0; i < pieces.length; i++) {
            if (types[i] == UnigramSpec.NORMAL) {
                min = Math.min(min, scores[i]);
                max = Math.max(max, scores[i]);
            }
            if (!inTrie(types[i])) continue;
            keys[k] = pieces[i].getBytes(StandardCharsets.UTF_8);
            values[k++] = i;
        }
        this.minScore = min;
        this.maxScore = max;
        this.trie = new PieceTrie(keys, values);
        for (int b = 0; b < 256; b++) {
            Integer id = ids.get(String.format("<0x%02X>", b));
            byteIds[b] = id != null && types[id] == UnigramSpec.BYTE ? id : unkId;
        }
    }

    /** NORMAL, USER_DEFINED and UNUSED pieces are matched in text (UNUSED ones then skipped). */
    private static boolean inTrie(byte type) {
        return type == UnigramSpec.NORMAL || type == UnigramSpec.USER_DEFINED || type == UnigramSpec.UNUSED;
    }

    /** Appends the ids of {@code text} (normalized UTF-8) to {@code out}. */
    void encode(byte[] text, IntList out) {
        int size = text.length;
        if (size == 0) return;
        float[] best = new float[size + 1];
        int[] startsAt = new int[size + 1];
        int[] idAt = new int[size + 1];
        Arrays.fill(startsAt, -1);
        float unkScore = minScore - UNK_PENALTY;
        for (int start = 0; start < size; ) {
            float tillHere = best[start];
            int charLen = Math.min(oneCharLen(text[start]), size - start);
            boolean singleCharPiece = false;
            int node = PieceTrie.ROOT;
            for (int pos = start; pos < size; ) {
                node = trie.child(node, text[pos++]);
                if (node == PieceTrie.NONE) break;
                int id = trie.value(node);
                if (id < 0 || types[id] == UnigramSpec.UNUSED) continue;
                int length = pos - start;
                double score = types[id] == UnigramSpec.USER_DEFINED ? (double) (length * maxScore) - 0.1 : scores[id];
                double candidate = score + tillHere;
                if (startsAt[pos] == -1 || candidate > best[pos]) {
                    best[pos] = (float) candidate;
                    startsAt[pos] = start;
                    idAt[pos] = id;
                }
                if (length == charLen) singleCharPiece = true;
            }
            if (!singleCharPiece) {
                int end = start + charLen;
                float candidate = unkScore + tillHere;
                if (startsAt[end] == -1 || candidate > best[end]) {
                    best[end] = candidate;
                    startsAt[end] = start;
                    idAt[end] = unkId;
                }
            }
            start += charLen;
        }
        int count = 0;
        for (int end = size; end > 0; end = startsAt[end]) count++;
        int[] pathEnd = new int[count];
        for (int end = size, k = count; end > 0; end = startsAt[end]) pathEnd[--k] = end;
        boolean prevUnk = false;
        for (int end : pathEnd) {
            int start = startsAt[end], id = idAt[end];
            boolean unk = types[id] == UnigramSpec.UNKNOWN;
            if (unk && byteFallback) {
                for (int i = start; i < end; i++) out.add(byteIds[text[i] & 0xFF]);
                continue;
            }
            if (!(unk && prevUnk)) out.add(id);
            prevUnk = unk;
        }
    }

    /** SentencePiece's character length from the lead byte's high nibble (1 for stray continuation bytes). */
    private static int oneCharLen(byte lead) {
        int hi = (lead & 0xFF) >>> 4;
        return hi < 0xC ? 1 : hi < 0xE ? 2 : hi == 0xE ? 3 : 4;
    }

    /** A growable int array. */
    static final class IntList {
        int[] data = new int[32];
        int size;

        void add(int v) {
            if (size == data.length) data = Arrays.copyOf(data, size * 2);
            data[size++] = v;
        }

        void addAll(int[] vs) { for (int v : vs) add(v); }

        int[] toArray() { return Arrays.copyOf(data, size); }
    }
}
