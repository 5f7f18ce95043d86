package io.vdq.synth;

import io.vdq.VdqException.ConfigException;
import io.vdq.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The built-in text encoder: a fixed stand-in for T5. A prompt's words become vocabulary ids
 * ({@link Vocabulary}); position p < L holding token k gets the row
 * <pre>  e[p] = E[k] + P[p],  </pre>
 * where E[k] is row k of a token table of standard normals drawn in id order from
 * {@code Tensor.fillGaussian(new SplittableRandom(seed), ...)} (D = textDim numbers per id; id 0, padding,
 * is all zeros) and P is the sinusoidal position code P[p][2i] = sin(p / 10000^(2i/D)),
 * P[p][2i+1] = cos(p / 10000^(2i/D)). Rows past the prompt's last word are zero. Because the vocabulary is
 * append-only and E is drawn in id order, existing words keep their embedding when words are added.
 * The model's learned text_embedder projects these rows; nothing here is trained.
 */
public final class TextEncoder {
    /** The default seed of the token table. */
    public static final long DEFAULT_SEED = 0x7E47_E1C0_DE00L;
    /** Default number of token rows: the longest canonical prompt has 12 words. */
    public static final int DEFAULT_LENGTH = 16;

    private final int textDim, length;
    private final long seed;
    private final float[] table; // [vocab, D]
    private final float[] position; // [L, D]

    public TextEncoder(int textDim, int length, long seed) {
        if (textDim < 2 || textDim % 2 != 0) throw new ConfigException("text encoder text_dim: expected an even number ≥ 2, got " + textDim);
        if (length < 1) throw new ConfigException("text encoder length: expected ≥ 1, got " + length);
        this.textDim = textDim;
        this.length = length;
        this.seed = seed;
        int v = Vocabulary.size();
        table = new float[v * textDim];
        Tensor.fillGaussian(new SplittableRandom(seed), table, textDim, (v - 1) * textDim);
        position = new float[length * textDim];
        for (int p = 0; p < length; p++) {
            for (int i = 0; i < textDim / 2; i++) {
                double freq = Math.pow(10000.0, -2.0 * i / textDim);
                position[p * textDim + 2 * i] = (float) Math.sin(p * freq);
                position[p * textDim + 2 * i + 1] = (float) Math.cos(p * freq);
            }
        }
    }

    /** text_dim 64, L = 16, the default seed. */
    public static TextEncoder standard() { return new TextEncoder(64, DEFAULT_LENGTH, DEFAULT_SEED); }

    public int textDim() { return textDim; }
    public int length() { return length; }
    public long seed() { return seed; }

    /**
     * The ids of a prompt's words, padded with 0 to L. Unknown words throw {@link ConfigException} naming the
     * word; more than L words throw too. Only the vocabulary is checked, not the grammar.
     */
    public int[] tokenize(String prompt) {
        List<String> words = Prompt.words(prompt);
        if (words.size() > length)
            throw new ConfigException("text encoder: prompt '" + prompt + "' has " + words.size() + " words, more than the length " + length);
        int[] ids = new int[length];
        for (int i = 0; i < words.size(); i++) {
            int id = Vocabulary.id(words.get(i));
            if (id < 0) throw new ConfigException("text encoder: unknown word '" + words.get(i) + "' in prompt '" + prompt + "'");
            ids[i] = id;
        }
        return ids;
    }

    /** {@code [L, text_dim]} embeddings of a prompt. */
    public Tensor encode(String prompt) {
        float[] out = new float[length * textDim];
        encodeInto(tokenize(prompt), out, 0);
        return Tensor.of(out, length, textDim);
    }

    /** Embeds padded ids (as from {@link #tokenize}) into {@code out[off, off + L·D)}; id 0 rows are zero. */
    public void encodeInto(int[] ids, float[] out, int off) {
        if (ids.length != length) throw new io.vdq.VdqException.ShapeException("text encoder: expected " + length + " ids, got " + ids.length);
        for (int p = 0; p < length; p++) {
            int o = off + p * textDim;
            if (ids[p] == Vocabulary.PAD) { Arrays.fill(out, o, o + textDim, 0f); continue; }
            int t = ids[p] * textDim, q = p * textDim;
            for (int i = 0; i < textDim; i++) out[o + i] = table[t + i] + position[q + i];
        }
    }

    /** Row k of the token table (a copy). */
    public float[] tokenEmbedding(int id) { return Arrays.copyOfRange(table, id * textDim, (id + 1) * textDim); }

    /** Row p of the position code (a copy). */
    public float[] positionCode(int p) { return Arrays.copyOfRange(position, p * textDim, (p + 1) * textDim); }
}
