package io.vdq.text;

import io.vdq.VdqException.ConfigException;
import io.vdq.io.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A text tokenizer for a pipeline's text encoder. The one implementation is SentencePiece Unigram (T5, UMT5
 * as in Wan2.1), read from {@code tokenizer.json} or {@code spiece.model} and encoding exactly as the
 * SentencePiece library does (docs/TEXT-tokenizer.md). Instances are immutable and safe to share between
 * threads.
 */
public interface Tokenizer {
    /** File names looked for in a tokenizer folder, in order of preference. */
    String TOKENIZER_JSON = "tokenizer.json", SPIECE_MODEL = "spiece.model";

    /** Vocabulary size of the tiny tokenizer written by {@link #writeTinyTokenizer}: 1024 ids. */
    int TINY_VOCAB_SIZE = 1024;

    /**
     * Loads {@code tokenizer.json} if present in {@code dirOrFile}, else {@code spiece.model}; also accepts a
     * path to either file directly (a {@code .json} name is read as tokenizer.json, anything else as a
     * SentencePiece model). A folder with neither file, a missing path, or a malformed or unsupported file
     * raises a {@link ConfigException} naming the path and the field at fault.
     */
    static Tokenizer load(Path dirOrFile) {
        if (Files.isDirectory(dirOrFile)) {
            Path json = dirOrFile.resolve(TOKENIZER_JSON), spm = dirOrFile.resolve(SPIECE_MODEL);
            if (Files.isRegularFile(json)) return new SentencePieceTokenizer(TokenizerJsonFile.read(json));
            if (Files.isRegularFile(spm)) return new SentencePieceTokenizer(SpmModelFile.read(spm));
            throw new ConfigException(dirOrFile + ": no " + TOKENIZER_JSON + " or " + SPIECE_MODEL + " in this folder");
        }
        if (!Files.isRegularFile(dirOrFile)) throw new ConfigException(dirOrFile + ": no such tokenizer file or folder");
        String name = dirOrFile.getFileName().toString();
        return new SentencePieceTokenizer(name.endsWith(".json") ? TokenizerJsonFile.read(dirOrFile) : SpmModelFile.read(dirOrFile));
    }

    /**
     * Token ids of {@code text} with the special tokens added ({@code </s>} appended for T5/UMT5), no
     * truncation, no padding: {@code tokenizer(text, add_special_tokens=True).input_ids}.
     */
    int[] encode(String text);

    /** Id of {@code </s>}, or -1 when the vocabulary has none. */
    int eosId();

    /** Id of {@code <pad>}, or -1 when the vocabulary has none. */
    int padId();

    /** Id of the unknown piece. */
    int unkId();

    /** Number of ids: the text encoder's embedding table must have at least this many rows. */
    int vocabSize();

    /** The file the tokenizer was read from. */
    String describe();

    /**
     * What diffusers' {@code WanPipeline._get_t5_prompt_embeds} feeds the text encoder:
     * {@code tokenizer(prompt, padding="max_length", max_length=maxLen, truncation=True,
     * add_special_tokens=True)}. See {@link #truncateAndPad}.
     */
    default Padded encode(String text, int maxLen, boolean pad) {
        return truncateAndPad(encode(text), maxLen, padId(), pad);
    }

    /**
     * Hugging Face truncation and padding of ids from {@link #encode(String)}, whose last id is the one
     * special token the post-processor appends ({@code </s>}): when there are more than {@code maxLen} ids,
     * the sequence is cut to its first {@code maxLen - 1} tokens and {@code </s>} follows (HF truncates to
     * {@code max_length} minus the number of special tokens, then adds them). With {@code pad} the result is
     * filled with {@code padId} up to {@code maxLen} (padding side right). {@link Padded#length()} is the
     * number of real tokens, i.e. the sum of the attention mask.
     */
    static Padded truncateAndPad(int[] ids, int maxLen, int padId, boolean pad) {
        if (maxLen < 1) throw new IllegalArgumentException("maxLen " + maxLen + " < 1");
        if (ids.length == 0) throw new IllegalArgumentException("ids are empty: expected encode()'s output ending in </s>");
        int length = Math.min(ids.length, maxLen);
        int[] out = new int[pad ? maxLen : length];
        if (ids.length <= maxLen) {
            System.arraycopy(ids, 0, out, 0, length);
        } else {
            System.arraycopy(ids, 0, out, 0, maxLen - 1);
            out[maxLen - 1] = ids[ids.length - 1];
        }
        if (pad && length < maxLen) {
            if (padId < 0) throw new ConfigException("padding to " + maxLen + " tokens needs a <pad> id, and the tokenizer has none");
            Arrays.fill(out, length, maxLen, padId);
        }
        return new Padded(out, length);
    }

    /**
     * Token ids after truncation and padding.
     *
     * @param ids    {@code maxLen} ids when padded, else {@code length}
     * @param length the number of real tokens (those before the padding)
     */
    record Padded(int[] ids, int length) {
        /** 1 for real tokens, 0 for padding, as HF's {@code attention_mask}. */
        public int[] attentionMask() {
            int[] mask = new int[ids.length];
            Arrays.fill(mask, 0, length, 1);
            return mask;
        }
    }

    /**
     * Writes a tiny trained SentencePiece Unigram tokenizer into {@code dir} as a diffusers {@code tokenizer/}
     * folder holds one: {@code tokenizer.json}, {@code spiece.model}, {@code tokenizer_config.json},
     * {@code special_tokens_map.json}. {@value #TINY_VOCAB_SIZE} ids ({@code <pad>} 0, {@code </s>} 1,
     * {@code <unk>} 2, byte fallback pieces), trained on English prompt-like and multilingual text by
     * src/test/python/make_spm_fixture.py, with a small custom normalization table instead of nmt_nfkc. The
     * text encoder using it needs a vocabulary of at least {@value #TINY_VOCAB_SIZE}.
     */
    static void writeTinyTokenizer(Path dir) {
        for (String name : new String[] {TOKENIZER_JSON, SPIECE_MODEL, "tokenizer_config.json", "special_tokens_map.json"}) {
            String resource = "tiny-tokenizer/" + name;
            try (InputStream in = Tokenizer.class.getResourceAsStream(resource)) {
                if (in == null) throw new ConfigException("io/vdq/text/" + resource + ": missing from the class path");
                AtomicFiles.writeBytes(dir.resolve(name), in.readAllBytes());
            } catch (IOException e) {
                throw new ConfigException("io/vdq/text/" + resource + ": cannot read (" + e.getMessage() + ")", e);
            }
        }
    }
}
