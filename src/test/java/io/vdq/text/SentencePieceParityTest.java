package io.vdq.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Java ids against the python sentencepiece library's on the committed corpus (src/test/resources/text,
 * made by src/test/python/make_spm_fixture.py), read from spiece.model and from tokenizer.json.
 */
class SentencePieceParityTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<JsonNode> CORPUS = new ArrayList<>();
    private static JsonNode META;

    @TempDir static Path tmp;

    @BeforeAll
    static void readCorpus() throws IOException {
        try (InputStream in = new GZIPInputStream(resource("corpus.jsonl.gz"));
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) CORPUS.add(JSON.readTree(line));
        }
        META = JSON.readTree(resource("ids.json"));
        for (String name : new String[] {"spiece.model", "tokenizer.json"}) {
            Files.createDirectories(tmp.resolve("bf"));
            try (InputStream in = new GZIPInputStream(resource("bf/" + name + ".gz"))) {
                Files.write(tmp.resolve("bf").resolve(name), in.readAllBytes());
            }
            Files.createDirectories(tmp.resolve("unk"));
            try (InputStream in = resource("unk/" + name)) {
                Files.write(tmp.resolve("unk").resolve(name), in.readAllBytes());
            }
        }
        Tokenizer.writeTinyTokenizer(tmp.resolve("tiny"));
    }

    private static InputStream resource(String name) {
        InputStream in = SentencePieceParityTest.class.getResourceAsStream("/text/" + name);
        if (in == null) throw new IllegalStateException("test resource text/" + name + " missing");
        return in;
    }

    @Test void corpusHasTheCasesItClaims() {
        assertTrue(CORPUS.size() >= 2000, "corpus has " + CORPUS.size() + " strings");
        assertTrue(CORPUS.stream().anyMatch(r -> r.get("text").asText().isEmpty()), "no empty string");
    }

    @Test void byteFallbackModelFromSpieceModel() { check("bf", "spiece.model"); }

    @Test void byteFallbackModelFromTokenizerJson() { check("bf", "tokenizer.json"); }

    @Test void unkModelFromSpieceModel() { check("unk", "spiece.model"); }

    @Test void unkModelFromTokenizerJson() { check("unk", "tokenizer.json"); }

    @Test void tinyTokenizerFromSpieceModel() { check("tiny", "spiece.model"); }

    @Test void tinyTokenizerFromTokenizerJson() { check("tiny", "tokenizer.json"); }

    @Test void folderPrefersTokenizerJson() {
        assertTrue(Tokenizer.load(tmp.resolve("unk")).describe().endsWith("tokenizer.json"));
    }

    @Test void tinyTokenizerVocabSizeIsTheDocumentedOne() {
        assertEquals(Tokenizer.TINY_VOCAB_SIZE, Tokenizer.load(tmp.resolve("tiny")).vocabSize());
        assertTrue(Files.isRegularFile(tmp.resolve("tiny/tokenizer_config.json")));
        assertTrue(Files.isRegularFile(tmp.resolve("tiny/special_tokens_map.json")));
    }

    private static void check(String model, String file) {
        Tokenizer tok = Tokenizer.load(tmp.resolve(model).resolve(file));
        JsonNode meta = META.get(model);
        assertEquals(meta.get("vocab_size").asInt(), tok.vocabSize(), "vocab size");
        assertEquals(meta.get("eos").asInt(), tok.eosId(), "eos id");
        assertEquals(meta.get("pad").asInt(), tok.padId(), "pad id");
        assertEquals(meta.get("unk").asInt(), tok.unkId(), "unk id");
        int compared = 0;
        List<String> failures = new ArrayList<>();
        for (JsonNode row : CORPUS) {
            JsonNode want = row.get(model);
            if (want == null) continue;
            int[] expected = new int[want.size()];
            for (int i = 0; i < expected.length; i++) expected[i] = want.get(i).asInt();
            String text = row.get("text").asText();
            int[] got = tok.encode(text);
            compared++;
            if (!Arrays.equals(expected, got) && failures.size() < 8)
                failures.add(JSON.valueToTree(text) + "\n   want " + Arrays.toString(expected) + "\n   got  " + Arrays.toString(got));
        }
        assertTrue(compared >= (model.equals("tiny") ? 400 : 2000), "compared only " + compared);
        assertTrue(failures.isEmpty(), tok.describe() + ": " + failures.size() + "+ mismatches of " + compared + ":\n" + String.join("\n", failures));
    }
}
