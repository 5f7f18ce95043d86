package io.vdq.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.VdqException.ConfigException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad tokenizer folders and files give one-line {@link ConfigException}s naming the path and field. */
class SentencePieceErrorsTest {
    @TempDir Path tmp;

    private static String unkJson() throws IOException {
        try (InputStream in = SentencePieceErrorsTest.class.getResourceAsStream("/text/unk/tokenizer.json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static byte[] unkModel() throws IOException {
        try (InputStream in = SentencePieceErrorsTest.class.getResourceAsStream("/text/unk/spiece.model")) {
            return in.readAllBytes();
        }
    }

    private static ConfigException refused(Path p, String... fragments) {
        ConfigException e = assertThrows(ConfigException.class, () -> Tokenizer.load(p));
        assertFalse(e.getMessage().contains("\n"), "not one line: " + e.getMessage());
        assertTrue(e.getMessage().startsWith(p.toString()), "does not name " + p + ": " + e.getMessage());
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        return e;
    }

    private Path write(String name, String content) throws IOException {
        Path p = tmp.resolve(name);
        Files.writeString(p, content);
        return p;
    }

    @Test void missingPathIsNamed() { refused(tmp.resolve("no-such-dir"), "no such"); }

    @Test void folderWithAMisspeltFileIsRefused() throws IOException {
        write("tokenizer.jsn", unkJson());
        refused(tmp, "no tokenizer.json or spiece.model");
    }

    @Test void malformedJsonIsRefused() throws IOException {
        refused(write("tokenizer.json", "{\"model\": {\"type\": \"Unigram\", "), "malformed JSON");
    }

    @Test void bpeTokenizerJsonIsRefused() throws IOException {
        refused(write("tokenizer.json", unkJson().replace("\"type\":\"Unigram\"", "\"type\":\"BPE\"")),
                "model.type is 'BPE'");
    }

    @Test void missingUnkIdIsRefused() throws IOException {
        refused(write("tokenizer.json", unkJson().replace("\"unk_id\":2", "\"unk_id\":null")), "model.unk_id");
    }

    @Test void unsupportedNormalizerIsRefused() throws IOException {
        refused(write("tokenizer.json", unkJson().replace("{\"type\":\"Strip\"", "{\"type\":\"Lowercase\"")),
                "normalizer type 'Lowercase'");
    }

    @Test void nullPrecompiledCharsmapMeansNoRules() throws IOException {
        String json = unkJson().replaceFirst("\"precompiled_charsmap\":\"[^\"]*\"", "\"precompiled_charsmap\":null");
        Tokenizer tok = Tokenizer.load(write("tokenizer.json", json));
        Tokenizer withRules = Tokenizer.load(write("spiece.model.json", unkJson()));
        assertEquals(java.util.Arrays.toString(withRules.encode("a red cube")), java.util.Arrays.toString(tok.encode("a red cube")));
        // the custom rule table maps U+FB01 to "fi"; without it the ligature is unknown
        assertFalse(java.util.Arrays.equals(withRules.encode("\uFB01"), tok.encode("\uFB01")));
    }

    @Test void bpeSpieceModelIsRefused() throws IOException {
        ByteArrayOutputStream piece = new ByteArrayOutputStream(), trainer = new ByteArrayOutputStream(),
                model = new ByteArrayOutputStream();
        piece.writeBytes(new byte[] {0x0A, 1, 'a', 0x15, 0, 0, 0, 0});  // piece "a", score 0
        trainer.writeBytes(new byte[] {0x18, 2});                        // model_type BPE
        model.write(0x0A);
        model.write(piece.size());
        model.writeBytes(piece.toByteArray());
        model.write(0x12);
        model.write(trainer.size());
        model.writeBytes(trainer.toByteArray());
        Path p = tmp.resolve("spiece.model");
        Files.write(p, model.toByteArray());
        refused(p, "trainer_spec.model_type is BPE");
        refused(tmp, "model_type");
    }

    @Test void truncatedSpieceModelIsRefused() throws IOException {
        byte[] full = unkModel();
        Path p = tmp.resolve("spiece.model");
        Files.write(p, java.util.Arrays.copyOf(full, full.length / 2));
        refused(p, "not a SentencePiece model");
    }

    @Test void textFileAsSpieceModelIsRefused() throws IOException {
        refused(write("spiece.model", "this is not a protobuf\n"));
    }

    /** Fuzzed spiece.model bytes either load into a tokenizer that encodes, or fail with a ConfigException. */
    @Test void mutatedModelsFailCleanly() throws IOException {
        byte[] good = unkModel();
        Random rnd = new Random(17);
        Path p = tmp.resolve("spiece.model");
        int loaded = 0;
        for (int trial = 0; trial < 150; trial++) {
            byte[] bad = good.clone();
            int flips = 1 + rnd.nextInt(4);
            for (int f = 0; f < flips; f++) bad[rnd.nextInt(bad.length)] = (byte) rnd.nextInt(256);
            if (trial % 10 == 0) bad = java.util.Arrays.copyOf(bad, rnd.nextInt(bad.length));
            Files.write(p, bad);
            Tokenizer tok;
            try {
                tok = Tokenizer.load(p);
            } catch (ConfigException e) {
                assertFalse(e.getMessage().contains("\n"));
                continue;
            }
            loaded++;
            for (String s : new String[] {"", "hello world", "ｶﾞ ﬁ ① é", "漢字😀 [CAM]x", "\t a  b \n"})
                for (int id : tok.encode(s)) assertTrue(id >= 0 && id < tok.vocabSize());
        }
        assertTrue(loaded > 0, "no mutant loaded: the fuzzing only exercised the error path");
    }

    /** Corrupted tokenizer.json text, and random precompiled charsmaps, fail cleanly or encode in range. */
    @Test void mutatedTokenizerJsonFailsCleanly() throws IOException {
        String good = unkJson();
        Random rnd = new Random(23);
        Path p = tmp.resolve("tokenizer.json");
        int loaded = 0;
        for (int trial = 0; trial < 120; trial++) {
            String bad;
            if (trial % 3 == 0) {
                byte[] map = new byte[4 + rnd.nextInt(400)];
                rnd.nextBytes(map);
                int trie = 4 * rnd.nextInt((map.length - 4) / 4 + 1);
                map[0] = (byte) trie;
                map[1] = (byte) (trie >> 8);
                map[2] = map[3] = 0;
                bad = good.replaceFirst("\"precompiled_charsmap\":\"[^\"]*\"",
                        "\"precompiled_charsmap\":\"" + java.util.Base64.getEncoder().encodeToString(map) + "\"");
            } else {
                StringBuilder sb = new StringBuilder(good);
                for (int f = 0; f < 1 + rnd.nextInt(3); f++) {
                    int at = rnd.nextInt(sb.length());
                    String alphabet = "{}[]\",:0-9aZ▁ ";
                    sb.setCharAt(at, alphabet.charAt(rnd.nextInt(alphabet.length())));
                }
                bad = sb.toString();
            }
            Files.writeString(p, bad);
            Tokenizer tok;
            try {
                tok = Tokenizer.load(p);
            } catch (ConfigException e) {
                assertFalse(e.getMessage().contains("\n"));
                continue;
            }
            loaded++;
            for (String s : new String[] {"", "hello world", "ｶﾞ ﬁ ① é", "漢字😀 [CAM]x", "\t a  b \n", "\u0000\u00ff"})
                for (int id : tok.encode(s)) assertTrue(id >= 0 && id < tok.vocabSize());
        }
        assertTrue(loaded > 0, "no mutant loaded");
    }

    @Test void paddingWithoutPadIdIsRefused() {
        ConfigException e = assertThrows(ConfigException.class, () -> Tokenizer.truncateAndPad(new int[] {5, 1}, 4, -1, true));
        assertEquals(-1, e.getMessage().indexOf('\n'));
    }
}
