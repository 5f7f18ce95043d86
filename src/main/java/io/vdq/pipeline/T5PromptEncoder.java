package io.vdq.pipeline;

import io.vdq.VdqException.ConfigException;
import io.vdq.model.t5.T5Encoder;
import io.vdq.tensor.Tensor;
import io.vdq.text.Tokenizer;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * WanPipeline's prompt encoding ({@code _get_t5_prompt_embeds}): the tokenizer with EOS, truncated to
 * {@code max_sequence_length} tokens (the first L−1 tokens and EOS), the UMT5 encoder run on the real tokens, and
 * the result zero-padded to {@code max_sequence_length} rows. The pipeline runs the encoder on all L padded
 * positions with an attention mask; the real tokens' outputs are the same, because masked keys get no attention
 * weight and T5's relative position bias depends only on the distance between real tokens. A truncated prompt is
 * reported once through the logger, as the pipeline warns, not refused.
 */
public final class T5PromptEncoder implements PromptEncoder, AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.vdq.pipeline.prompt");
    private final Tokenizer tokenizer;
    private final T5Encoder encoder;
    private final int maxLength;

    public T5PromptEncoder(Tokenizer tokenizer, T5Encoder encoder, int maxLength) {
        if (maxLength < 1) throw new ConfigException("--max-sequence-length must be >= 1, got " + maxLength);
        this.tokenizer = tokenizer;
        this.encoder = encoder;
        this.maxLength = maxLength;
    }

    public static T5PromptEncoder load(Path textEncoderDir, Path tokenizerDir, int maxLength) {
        Tokenizer tok = Tokenizer.load(tokenizerDir);
        T5Encoder enc = T5Encoder.load(textEncoderDir);
        if (tok.vocabSize() > enc.config().vocabSize())
            throw new ConfigException(tokenizerDir + ": the tokenizer has " + tok.vocabSize() + " pieces but "
                    + textEncoderDir.resolve("config.json") + " has vocab_size " + enc.config().vocabSize());
        return new T5PromptEncoder(tok, enc, maxLength);
    }

    /** The token ids the encoder sees: EOS appended, truncated to max_sequence_length keeping EOS last. */
    public int[] tokens(String prompt) {
        int[] ids = tokenizer.encode(prompt);
        if (ids.length <= maxLength) return ids;
        LOG.log(System.Logger.Level.WARNING, String.format("prompt has %d tokens; truncated to max_sequence_length %d as WanPipeline "
                + "does (the rest is not seen by the model)", ids.length, maxLength));
        int[] t = Arrays.copyOf(ids, maxLength);
        t[maxLength - 1] = tokenizer.eosId();
        return t;
    }

    @Override public Tensor encode(String prompt) {
        int[] ids = tokens(prompt);
        Tensor h = encoder.encode(ids);
        int d = h.dim(1);
        Tensor out = Tensor.zeros(maxLength, d);
        System.arraycopy(h.data(), h.offset(), out.data(), 0, ids.length * d);
        return out;
    }

    public int maxLength() { return maxLength; }

    @Override public String describe() {
        var c = encoder.config();
        return (c.umt5() ? "UMT5" : "T5") + " encoder (" + c.numLayers() + " layers, d_model " + c.dModel() + ") + tokenizer " + tokenizer.describe() + ", max_sequence_length " + maxLength;
    }

    @Override public void close() { encoder.close(); }
}
