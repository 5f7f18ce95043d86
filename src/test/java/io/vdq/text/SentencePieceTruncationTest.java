package io.vdq.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Truncation and padding as {@code tokenizer(prompt, padding="max_length", max_length=L, truncation=True,
 * add_special_tokens=True)} does for T5 in WanPipeline: the text is cut to L - 1 tokens, then {@code </s>}.
 */
class SentencePieceTruncationTest {
    @Test void shortSequenceIsPaddedRight() {
        Tokenizer.Padded p = Tokenizer.truncateAndPad(new int[] {7, 8, 1}, 6, 0, true);
        assertArrayEquals(new int[] {7, 8, 1, 0, 0, 0}, p.ids());
        assertEquals(3, p.length());
        assertArrayEquals(new int[] {1, 1, 1, 0, 0, 0}, p.attentionMask());
    }

    @Test void exactLengthIsKept() {
        assertArrayEquals(new int[] {7, 8, 1}, Tokenizer.truncateAndPad(new int[] {7, 8, 1}, 3, 0, true).ids());
    }

    @Test void longSequenceKeepsFirstTokensThenEos() {
        Tokenizer.Padded p = Tokenizer.truncateAndPad(new int[] {7, 8, 9, 10, 11, 1}, 4, 0, true);
        assertArrayEquals(new int[] {7, 8, 9, 1}, p.ids());
        assertEquals(4, p.length());
    }

    @Test void withoutPaddingOnlyTruncates() {
        assertArrayEquals(new int[] {7, 1}, Tokenizer.truncateAndPad(new int[] {7, 1}, 512, 0, false).ids());
        assertArrayEquals(new int[] {1}, Tokenizer.truncateAndPad(new int[] {7, 8, 1}, 1, 0, false).ids());
    }

    @Test void wanPromptOf512Tokens(@TempDir Path tmp) {
        Tokenizer.writeTinyTokenizer(tmp);
        Tokenizer tok = Tokenizer.load(tmp);
        String prompt = "a red cube moves slowly to the left across a dark street at night ".repeat(60);
        int[] full = tok.encode(prompt);
        Tokenizer.Padded p = tok.encode(prompt, 512, true);
        assertEquals(512, p.ids().length);
        assertEquals(512, p.length());
        assertArrayEquals(Arrays.copyOf(full, 511), Arrays.copyOf(p.ids(), 511));
        assertEquals(tok.eosId(), p.ids()[511]);
        Tokenizer.Padded shortP = tok.encode("a red cube", 512, true);
        assertEquals(tok.encode("a red cube").length, shortP.length());
        assertEquals(tok.padId(), shortP.ids()[511]);
    }
}
