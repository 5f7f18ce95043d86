package io.vdq.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vdq.io.DType;
import io.vdq.io.SafetensorsWriter;
import io.vdq.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {
    @TempDir Path dir;

    private record Result(int code, String out, String err) {}

    private static Result run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    private Path writeModel() throws Exception {
        Path tr = dir.resolve("model/transformer");
        new SafetensorsWriter().add("blocks.0.attn1.to_q.weight", Tensor.zeros(6, 4), DType.BF16)
                .add("blocks.0.attn1.to_q.bias", Tensor.zeros(6))
                .addBytes("blocks.0.ffn.net.0.proj.qweight", DType.I8, new long[]{3, 4}, new byte[12])
                .metadata("format", "pt").write(tr.resolve("diffusion_pytorch_model.safetensors"));
        Files.writeString(tr.resolve("config.json"), "{\"num_layers\": 1, \"patch_size\": [1, 2, 2]}");
        return dir.resolve("model");
    }

    @Test
    void listsTensorsTotalsMetadataAndConfig() throws Exception {
        Result r = run("inspect", writeModel().toString());
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("blocks.0.attn1.to_q.weight"), r.out);
        assertTrue(r.out.matches("(?s).*blocks\\.0\\.attn1\\.to_q\\.weight\\s+BF16\\s+\\[6, 4\\]\\s+48\\n.*"), r.out);
        // 24 BF16 + 6 F32 + 12 I8 = 42 parameters; 48 + 24 + 12 = 84 bytes.
        assertTrue(r.out.contains("total: 3 tensors, 42 parameters, 84 bytes"), r.out);
        assertTrue(r.out.contains("  BF16  1 tensor, 24 parameters, 48 bytes"), r.out);
        assertTrue(r.out.contains("format: pt"), r.out);
        assertTrue(r.out.contains("\"num_layers\" : 1"), r.out);
        assertEquals("", r.err);
    }

    @Test
    void printsJsonWhenAsked() throws Exception {
        Result r = run("inspect", "--json", writeModel().toString());
        assertEquals(0, r.code, r.err);
        JsonNode j = new ObjectMapper().readTree(r.out);
        assertEquals(3, j.get("tensors").size());
        assertEquals(42, j.get("totals").get("parameters").asLong());
        assertEquals(12, j.get("totals").get("by_dtype").get("I8").get("bytes").asLong());
        assertEquals("pt", j.get("metadata").get("format").asText());
        assertEquals(2, j.get("config").get("patch_size").get(1).asInt());
    }

    @Test
    void grepFiltersAndStatsReportValueRanges() throws Exception {
        Path f = dir.resolve("s.safetensors");
        new SafetensorsWriter().add("a.weight", Tensor.of(new float[]{1, 2, 3, 4}, 2, 2))
                .add("b.weight", Tensor.of(new float[]{-8, Float.POSITIVE_INFINITY, 0.5f}, 3), DType.BF16)
                .add("c.bias", Tensor.zeros(5)).write(f);
        Result r = run("inspect", "--json", "--stats", "--grep", "weight$", f.toString());
        assertEquals(0, r.code, r.err);
        JsonNode j = new ObjectMapper().readTree(r.out);
        assertEquals(2, j.get("tensors").size());
        assertEquals(2 * 2 + 3, j.get("totals").get("parameters").asLong());
        JsonNode a = j.get("tensors").get(0).get("stats");
        assertEquals(1.0, a.get("min").asDouble());
        assertEquals(4.0, a.get("max").asDouble());
        assertEquals(2.5, a.get("mean").asDouble());
        assertEquals(Math.sqrt((2.25 + 0.25 + 0.25 + 2.25) / 4), a.get("std").asDouble(), 1e-12);
        JsonNode b = j.get("tensors").get(1).get("stats");
        assertEquals(1, b.get("non_finite").asLong());
        assertEquals(-3.75, b.get("mean").asDouble());          // (-8 + 0.5) / 2, the infinity left out

        Result t = run("inspect", "--stats", "--grep", "^a\\.", f.toString());
        assertEquals(0, t.code, t.err);
        assertTrue(t.out.contains("MEAN") && t.out.contains("total matching /^a\\./: 1 tensor, 4 parameters"), t.out);
        Result bad = run("inspect", "--grep", "(", f.toString());
        assertNotEquals(0, bad.code);
        assertTrue(bad.err.startsWith("vdq: --grep: invalid regular expression '('"), bad.err);
    }

    @Test
    void statsAreStreamedInChunksWithTheSameResult() {
        int n = 2 * InspectCommand.Stats.CHUNK + 12345;   // three chunks, the last partial
        byte[] u8 = new byte[n];
        float[] f = new float[n];
        java.util.Random r = new java.util.Random(5);
        for (int i = 0; i < n; i++) { u8[i] = (byte) r.nextInt(256); f[i] = u8[i] & 0xFF; }
        InspectCommand.Stats s = InspectCommand.Stats.streamed(java.lang.foreign.MemorySegment.ofArray(u8), DType.U8, n);
        InspectCommand.Stats want = InspectCommand.Stats.of(f);
        assertEquals(want.min(), s.min());
        assertEquals(want.max(), s.max());
        assertEquals(want.mean(), s.mean(), 1e-12);
        assertEquals(want.std(), s.std(), 1e-9);
        assertEquals(0, s.nonFinite());
    }

    @Test
    void corruptedFileGivesOneErrorLineAndNonZeroExit() throws Exception {
        Path f = dir.resolve("w.safetensors");
        new SafetensorsWriter().add("w", Tensor.zeros(4)).write(f);
        byte[] b = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(b, b.length - 3));       // truncated data region
        Result r = run("inspect", f.toString());
        assertNotEquals(0, r.code);
        assertEquals(1, r.err.strip().lines().count(), r.err);
        assertTrue(r.err.startsWith("vdq: " + f + ": tensor 'w': data_offsets [0, 16] end beyond the data region of 13 bytes"), r.err);

        Result v = run("--verbose", "inspect", f.toString());
        assertNotEquals(0, v.code);
        assertTrue(v.err.lines().count() > 1 && v.err.contains("at io.vdq."), "stack trace with --verbose");

        Result missing = run("inspect", dir.resolve("nothing").toString());
        assertNotEquals(0, missing.code);
        assertTrue(missing.err.startsWith("vdq: ") && missing.err.contains("no such file or folder"), missing.err);
    }

    @Test
    void controlCharactersInNamesAreEscapedAndVerifyChecksDigests() throws Exception {
        Path f = dir.resolve("odd.safetensors");
        new SafetensorsWriter().withDigests().add("a\u0000b\nc", Tensor.zeros(2)).metadata("k\r", "v\u001b[31m").write(f);
        Result r = run("inspect", "--verify", f.toString());
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("a\\u0000b\\u000ac"), r.out);
        assertTrue(r.out.contains("k\\u000d: v\\u001b[31m"), r.out);
        assertTrue(r.out.contains("verified: the SHA-256 of all 1 tensors matches"), r.out);
        assertTrue(r.out.chars().noneMatch(c -> c < 0x20 && c != '\n'), "no raw control characters");
        assertEquals(r.out.lines().count(), r.out.chars().filter(c -> c == '\n').count());
    }
}
