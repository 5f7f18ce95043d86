package io.vdq.text;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@link Tokenizer} over a {@link UnigramSpec}: normalize, segment, add the post-processor's ids. */
final class SentencePieceTokenizer implements Tokenizer {
    private final UnigramSpec spec;
    private final SpmNormalizer normalizer;
    private final UnigramModel model;

    SentencePieceTokenizer(UnigramSpec spec) {
        this.spec = spec;
        Map<String, Integer> ids = UnigramSpec.index(spec.source(), spec.pieces());
        List<byte[]> user = new ArrayList<>();
        for (int i = 0; i < spec.types().length; i++)
            if (spec.types()[i] == UnigramSpec.USER_DEFINED) user.add(spec.pieces()[i].getBytes(StandardCharsets.UTF_8));
        PieceTrie userTrie = user.isEmpty() ? null : new PieceTrie(user.toArray(byte[][]::new), new int[user.size()]);
        this.normalizer = new SpmNormalizer(spec.source(), spec.normalizer(), userTrie);
        this.model = new UnigramModel(spec, ids);
    }

    @Override
    public int[] encode(String text) {
        byte[] normalized = normalizer.normalize(text.getBytes(StandardCharsets.UTF_8));
        UnigramModel.IntList out = new UnigramModel.IntList();
        out.addAll(spec.prefixIds());
        model.encode(normalized, out);
        out.addAll(spec.suffixIds());
        return out.toArray();
    }

    @Override public int eosId() { return spec.eosId(); }

    @Override public int padId() { return spec.padId(); }

    @Override public int unkId() { return spec.unkId(); }

    @Override public int vocabSize() { return spec.vocabSize(); }

    @Override
    public String describe() { return spec.source(); }

    @Override
    public String toString() { return "SentencePiece Unigram tokenizer from " + spec.source() + " (" + spec.vocabSize() + " ids)"; }
}
