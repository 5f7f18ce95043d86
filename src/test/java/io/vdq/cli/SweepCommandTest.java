package io.vdq.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vdq.pipeline.Demo;
import io.vdq.pipeline.Sweep;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SweepCommandTest {
    @TempDir Path dir;

    /** The demo test's tiny random-init model: 2 heads × 12, ffn 48, 1 layer; 4 frames of 16×16, 4×4 patches; 2 steps (2 seeds unless given). */
    private static final String[] TINY = {"--random-init", "--head-dim", "12", "--ffn", "48", "--layers", "1", "--frames", "4", "--size", "16",
            "--patch", "4", "--steps", "2", "--prompts", "1", "--recipes", "w8a8-minmax,w4a4-minmax,w4a8-gptq",
            "--baseline", "w4a4-minmax"};

    private String sweep(Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("sweep", "--quiet", "--out", out.toString()));
        args.addAll(List.of(TINY));
        args.addAll(extra.length == 0 ? List.of("--seeds", "2") : List.of(extra));
        return stdout(args);
    }

    /** Runs the CLI with {@code args} (exit code 0 asserted) and returns what it printed on standard output. */
    private static String stdout(List<String> args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.run(args.toArray(String[]::new)));
        } finally {
            System.setOut(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    /** Every cell's numbers (not its timings), in sweep order. */
    private static List<String> numbers(JsonNode root) {
        List<String> out = new ArrayList<>();
        for (JsonNode c : root.get("cells"))
            out.add(c.get("recipe").asText() + " " + c.get("seed") + " " + c.get("calib_set") + " " + c.get("psnr_db") + " "
                    + c.get("rel_l2") + " " + c.get("cosine") + " " + c.get("step_snr_db") + " " + c.get("psnr_db_per_prompt"));
        return out;
    }

    @Test
    void printsThePairedTableWritesEveryCellAndResumesWithIdenticalNumbers() throws Exception {
        Path out = dir.resolve("s");
        String text = sweep(out);
        assertTrue(text.contains("6 cells (6 computed, 0 resumed)"), text);
        assertTrue(text.contains("paired vs w4a4-minmax"), text);
        assertTrue(text.matches("(?s).*w8a8-minmax\\s+video PSNR dB\\s+\\+\\S+\\s+\\S+\\s+2 of 2.*"),
                "W8A8 is ahead of W4A4 in both pairs:\n" + text);
        ObjectMapper json = new ObjectMapper();
        JsonNode root = json.readTree(out.resolve("sweep.json").toFile());
        assertEquals(6, root.get("cells").size(), "3 recipes × 2 seeds × 1 calibration set");
        assertTrue(root.get("machine").hasNonNull("cpu"));
        assertTrue(root.get("machine").get("threads").asInt() >= 1);
        assertTrue(root.get("command").asText().startsWith("./vdq sweep"));
        JsonNode table = root.get("table");
        assertEquals(3, table.size());
        JsonNode w8 = table.get(0).get("psnr_db");
        assertEquals(2, w8.get("n").asInt());
        assertEquals(2, w8.get("paired_vs_baseline").get("ahead").asInt());
        assertTrue(table.get(1).get("baseline").asBoolean());
        assertTrue(Files.readString(out.resolve("report.html")).contains("<td>w4a8-gptq</td>"));
        Set3 ids = new Set3(root);
        assertEquals(6, ids.size, "every cell has its own id");
        // different seeds see different noise: the same recipe's two cells differ
        assertNotEquals(root.get("cells").get(0).get("psnr_db").asDouble(), root.get("cells").get(3).get("psnr_db").asDouble());

        // rerun with the same arguments: nothing is recomputed, the cells file is untouched, the numbers are the same
        byte[] cellsBefore = Files.readAllBytes(out.resolve("cells.jsonl"));
        assertEquals(6, Files.readAllLines(out.resolve("cells.jsonl")).size());
        String again = sweep(out);
        assertTrue(again.contains("6 cells (0 computed, 6 resumed)"), again);
        assertEquals(List.of(cellsBefore.length), List.of(Files.readAllBytes(out.resolve("cells.jsonl")).length));
        JsonNode root2 = json.readTree(out.resolve("sweep.json").toFile());
        assertEquals(numbers(root), numbers(root2));
        assertEquals(root.get("table"), root2.get("table"));

        // a fresh folder recomputes every cell and gets bit-identical numbers (determinism)
        Path fresh = dir.resolve("fresh");
        assertTrue(sweep(fresh).contains("(6 computed, 0 resumed)"));
        assertEquals(numbers(root), numbers(json.readTree(fresh.resolve("sweep.json").toFile())));

        // one more seed reuses the first two seeds' cells and computes only the new ones
        String more = sweep(out, "--seeds", "3");
        assertTrue(more.contains("9 cells (3 computed, 6 resumed)"), more);
        try (var files = Files.walk(out)) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().contains(".tmp")), "no temporary files left");
        }
    }

    private static final class Set3 {
        final int size;
        Set3(JsonNode root) {
            var s = new HashSet<String>();
            for (JsonNode c : root.get("cells")) s.add(c.get("id").asText());
            size = s.size();
        }
    }

    /**
     * A latent-space checkpoint written by {@code vdq make-checkpoint} (the tiny shape: 4 latent channels, text dim 16) is
     * sampled in its latent space: the PSNR of the final latents and the teacher-forced step SNR are reported, VBench-lite
     * is left out, and 8-bit weights and activations beat 4-bit ones in every pair.
     */
    @Test
    void sweepsALatentSpaceCheckpointWithoutVBench() throws Exception {
        Path model = dir.resolve("ckpt");
        PrintStream old = System.out;
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.run("make-checkpoint", "--shape", "tiny", "--quiet", "--out", model.toString()));
        } finally {
            System.setOut(old);
        }
        Path out = dir.resolve("latent");
        List<String> args = List.of("sweep", "--quiet", "--out", out.toString(), "--model", model.toString(), "--frames", "2", "--size", "8",
                "--steps", "3", "--prompts", "2", "--seeds", "2", "--recipes", "w4a4-minmax,w8a8-minmax");
        String text = stdout(args);
        assertTrue(text.contains("4 cells (4 computed, 0 resumed)"), text);
        assertFalse(text.contains("VBench"), "no VBench-lite on latents:\n" + text);
        assertTrue(text.matches("(?s).*w8a8-minmax\\s+step SNR dB\\s+\\+\\S+\\s+\\S+\\s+2 of 2.*"), "W8A8 ahead of W4A4 in both pairs:\n" + text);
        JsonNode root = new ObjectMapper().readTree(out.resolve("sweep.json").toFile());
        assertEquals(4, root.get("settings").get("config").get("in_channels").asInt());
        for (JsonNode c : root.get("cells")) {
            assertTrue(Double.isFinite(c.get("psnr_db").asDouble()), c.toString());
            assertTrue(Double.isFinite(c.get("step_snr_db").asDouble()), c.toString());
        }
        assertTrue(Files.readString(out.resolve("report.html")).contains("Latent-space model (4 channels)"));
    }

    @Test
    void calibrationSetsAreDisjointDrawsWithoutEvaluationPrompts() {
        List<String> eval = Demo.PROMPTS.subList(0, 4);
        List<String> pool = Sweep.calibrationPool(eval);
        assertEquals(8 * 4 * 4 - 4, pool.size(), "colour × shape × 4 directions, less the 4 evaluation prompts");
        assertEquals(pool, Sweep.calibrationPool(eval), "the same draw every time");
        for (String e : eval) assertFalse(pool.contains(e), e);
        assertEquals(pool.size(), new HashSet<>(pool).size());
    }
}
