package io.vdq.io.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A second, independent reader: files written by {@link GgufWriter} are parsed by the JavaScript package
 * {@code @huggingface/gguf} (src/test/node/check.mjs), and its view of keys, value types, tensor dims, types and
 * offsets must equal ours. Skipped, with a message, when node or src/test/node/node_modules is missing
 * (run {@code npm install} in src/test/node to enable it).
 */
class GgufNodeReaderTest {
    static final Path NODE_DIR = Path.of("src/test/node");
    @TempDir Path dir;

    static String nodeAvailable() {
        if (!Files.isDirectory(NODE_DIR.resolve("node_modules/@huggingface/gguf")))
            return "src/test/node/node_modules is absent: run `npm install` in src/test/node to enable the @huggingface/gguf check";
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0 ? null : "node --version failed";
        } catch (IOException | InterruptedException e) {
            return "node is not installed: " + e.getMessage();
        }
    }

    static JsonNode readWithNode(Path file) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("node", NODE_DIR.resolve("check.mjs").toString(), file.toAbsolutePath().toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0)
            throw new AssertionError("@huggingface/gguf could not read " + file + ": " + new String(out, StandardCharsets.UTF_8));
        return new ObjectMapper().readTree(out);
    }

    @Test void javascriptReaderSeesWhatWeWrote() throws Exception {
        String skip = nodeAvailable();
        assumeTrue(skip == null, skip);
        for (boolean fiveD : new boolean[]{false, true}) {
            GgufWriter w = GgufTestFiles.sampleWriter(!fiveD);
            if (fiveD) w.tensor("patch_embedding.weight", GgmlType.F32, new long[]{6, 3, 1, 2, 2}, new byte[4 * 72]);
            Path p = dir.resolve("n" + fiveD + ".gguf");
            w.write(p);
            JsonNode js = readWithNode(p);
            try (GgufFile f = GgufFile.open(p)) {
                assertEquals(3, js.get("version").asInt());
                assertEquals(f.dataStart(), js.get("tensorDataOffset").asLong());
                assertEquals(f.kv().size(), js.get("kvCount").asLong());
                for (var e : f.kv().entrySet()) {
                    JsonNode v = js.get("kv").get(e.getKey());
                    assertEquals(e.getValue().type().id, v.get("type").asInt(), e.getKey());
                    if (e.getValue().type() == GgufValue.Type.STRING) assertEquals(e.getValue().value(), v.get("value").asText());
                    else if (e.getValue().type() != GgufValue.Type.ARRAY) assertEquals(e.getValue().display(), v.get("value").asText(), e.getKey());
                }
                assertEquals(f.tensors().size(), js.get("tensors").size());
                int i = 0;
                for (GgufTensor t : f.tensors()) {
                    JsonNode jt = js.get("tensors").get(i++);
                    assertEquals(t.name(), jt.get("name").asText());
                    assertEquals(t.type().id, jt.get("dtype").asInt(), t.name());
                    assertEquals(t.offset(), jt.get("offset").asLong(), t.name());
                    long[] shape = new long[jt.get("shape").size()];
                    for (int k = 0; k < shape.length; k++) shape[k] = jt.get("shape").get(k).asLong();
                    assertEquals(Arrays.toString(t.ne()), Arrays.toString(shape), t.name());
                }
            }
        }
    }
}
