package io.vdq.text;

import io.vdq.VdqException.ConfigException;
import java.util.HashMap;
import java.util.Map;

/**
 * Everything a SentencePiece Unigram tokenizer needs, whichever file it came from: the pieces with their
 * scores and SentencePiece types, the special ids, the normalizer settings and the ids the post-processor
 * puts before and after a sequence.
 *
 * @param source        the file read, for messages and {@link Tokenizer#describe()}
 * @param pieces        piece strings by id
 * @param scores        piece scores (log probabilities, float32 as SentencePiece stores them)
 * @param types         SentencePiece piece types by id ({@link #NORMAL} … {@link #BYTE})
 * @param unkId         id of the unknown piece
 * @param eosId         id of {@code </s>}, or -1
 * @param padId         id of {@code <pad>}, or -1
 * @param byteFallback  unknown characters become their UTF-8 bytes as {@code <0xXX>} pieces
 * @param normalizer    normalization and whitespace settings
 * @param prefixIds     ids added before every sequence (none for T5)
 * @param suffixIds     ids added after every sequence ({@code </s>} for T5)
 * @param vocabSize     number of ids (pieces plus added tokens beyond them)
 */
record UnigramSpec(String source, String[] pieces, float[] scores, byte[] types, int unkId, int eosId, int padId,
                   boolean byteFallback, Normalizer normalizer, int[] prefixIds, int[] suffixIds, int vocabSize) {

    static final byte NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

    /**
     * SentencePiece's {@code NormalizerSpec}: the precompiled charsmap (empty for identity) and the
     * whitespace switches.
     */
    record Normalizer(byte[] charsMap, boolean addDummyPrefix, boolean removeExtraWhitespaces,
                      boolean escapeWhitespaces, boolean treatWhitespaceAsSuffix) {}

    /** Piece-to-id map with SentencePiece's rule: a piece may appear once. */
    static Map<String, Integer> index(String source, String[] pieces) {
        Map<String, Integer> ids = new HashMap<>(pieces.length * 2);
        for (int i = 0; i < pieces.length; i++) {
            if (pieces[i] == null || pieces[i].isEmpty())
                throw new ConfigException(source + ": piece " + i + " is empty");
            Integer old = ids.putIfAbsent(pieces[i], i);
            if (old != null) throw new ConfigException(source + ": piece '" + pieces[i] + "' is defined twice (ids " + old + " and " + i + ")");
        }
        return ids;
    }

    /** The single UNKNOWN piece; SentencePiece refuses a model without one. */
    static int findUnk(String source, byte[] types) {
        int unk = -1;
        for (int i = 0; i < types.length; i++) {
            if (types[i] != UNKNOWN) continue;
            if (unk >= 0) throw new ConfigException(source + ": more than one unknown piece (ids " + unk + " and " + i + ")");
            unk = i;
        }
        if (unk < 0) throw new ConfigException(source + ": the vocabulary has no unknown piece");
        return unk;
    }
}
