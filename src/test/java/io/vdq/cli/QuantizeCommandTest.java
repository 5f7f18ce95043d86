package io.vdq.cli;

import io.vdq.quant.QuantMethods;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vdq.eval.Fidelity;
import io.vdq.io.SafetensorsFile;
import io.vdq.quant.Presets;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** quantize → generate → eval on the tiny random model, for every preset, through the CLI. */
class QuantizeCommandTest {
    @TempDir static Path dir;
    static Path prompts;

    @BeforeAll
    static void reference() throws Exception {
        prompts = dir.resolve("prompts.txt");
        Files.writeString(prompts, "# calibration\na red circle moving left\n\na blue square moving up\n");
        assertEquals(0, Main.run("generate", "--model", "random:tiny", "--steps", "4", "--seed", "5", "--quiet",
                "--out", dir.resolve("fp").toString()));
    }

    // GGUF recipes are not stored as checkpoints (export-gguf writes them): GgufMethodTest covers them
    static Stream<String> presets() { return Presets.all().entrySet().stream().filter(e -> !e.getValue().gguf()).map(java.util.Map.Entry::getKey); }

    static String stdout(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            assertEquals(0, Main.run(args), String.join(" ", args));
        } finally {
            System.setOut(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    static float[] latents(Path run) {
        try (SafetensorsFile f = SafetensorsFile.open(run.resolve("latents.safetensors"))) {
            return f.readFloat("latents").toArray();
        }
    }

    @ParameterizedTest
    @MethodSource("presets")
    void quantizeThenGenerateThenEval(String preset) throws Exception {
        Path q = dir.resolve("q-" + preset), g = dir.resolve("g-" + preset), json = dir.resolve("eval-" + preset + ".json");
        String table = stdout("quantize", "--model", "random:tiny", "--recipe", preset, "--calib-prompts", prompts.toString(),
                "--calib-steps", preset.contains("-dvd") ? "6" : "3", "--probe-rows", "16", "--seed", "3", "--quiet", "--out", q.toString());
        int rows = preset.contains("vidit") ? 40 : 20; // vidit: one row per layer and timestep range
        long tableRows = table.lines().filter(l -> l.startsWith("blocks.")).count();
        assertEquals(rows, tableRows, table);
        for (String l : table.lines().filter(x -> x.startsWith("blocks.")).toList()) {
            String[] f = l.trim().split("\\s+");
            double w = Double.parseDouble(f[3]), o = Double.parseDouble(f[4]);
            assertTrue(w > 0 && w < 0.5 && o > 0 && o < 1, l);
        }
        assertTrue(table.contains("calibration inputs"), table);

        assertEquals(0, Main.run("generate", "--model", q.toString(), "--steps", "4", "--seed", "5", "--quiet", "--out", g.toString()));
        JsonNode run = new ObjectMapper().readTree(g.resolve("run.json").toFile());
        assertEquals(preset, run.get("quant").asText());
        assertTrue(run.get("quant_checkpoint").asBoolean());

        stdout("eval", "--ref", dir.resolve("fp").toString(), "--cand", g.toString(), "--json", json.toString());
        JsonNode c = new ObjectMapper().readTree(json.toFile()).get("candidates").get(0);
        float[] ref = latents(dir.resolve("fp")), cand = latents(g);
        assertEquals(Fidelity.relL2(ref, cand), c.get("rel_l2").asDouble(), 1e-9);
        assertTrue(Fidelity.relL2(ref, cand) < 0.5, "quantized latents stay near full precision");
    }

    @Test
    void int8AttentionGoesThroughQuantizeIntoTheCheckpoint() throws Exception {
        Path q = dir.resolve("q-attn8");
        assertEquals(0, Main.run("quantize", "--model", "random:tiny", "--recipe",
                "w8a8-minmax+int8_attention=true+int8_attention_pv=true", "--quiet", "--out", q.toString()));
        var loaded = io.vdq.quant.ckpt.QuantizedCheckpoint.load(q);
        assertEquals(new QuantMethods.Int8Attention(true, true), QuantMethods.attention(loaded.recipe()));
        var m = loaded.model();
        var lat = io.vdq.tensor.Tensor.randn(5, m.config().inChannels(), 2, 8, 8);
        var txt = io.vdq.tensor.Tensor.randn(6, 7, m.config().textDim());
        float[] int8 = m.forward(lat, 500f, txt).toArray();
        m.setSelfAttention(null);
        double rel = Fidelity.relL2(m.forward(lat, 500f, txt).toArray(), int8);
        assertTrue(rel > 0 && rel < 5e-2, "the loaded model runs int8 attention: rel L2 to float attention " + rel);
    }

    @Test
    void sizeOnlyPrintsTheWan13BRatio() {
        String s = stdout("quantize", "--model", "random:1.3b", "--recipe", "w4a8-minmax", "--size-only", "--float-dtype", "bf16");
        assertTrue(s.contains("300 quantized layers"), s);
        assertTrue(s.contains("(1/3.9") || s.contains("(1/4.0"), s);
    }

    @Test
    void generateRefusesAQuantizedModelWithAnotherBase() throws Exception {
        Path q = dir.resolve("q-base"), other = dir.resolve("other-base");
        assertEquals(0, Main.run("quantize", "--model", "random:tiny", "--recipe", "w4a8-minmax", "--quiet", "--out", q.toString()));
        // the right base is accepted
        assertEquals(0, Main.run("generate", "--model", q.toString(), "--base", "random:tiny", "--steps", "2", "--quiet",
                "--out", dir.resolve("g-base").toString()));
        // a float model with other weights (one bias changed) is refused, naming both hashes
        var m = io.vdq.model.wan.WanModel.random(io.vdq.model.wan.WanConfig.tiny(), 0);
        ((io.vdq.model.FloatLinear) m.linears().get("proj_out")).bias()[0] += 1;
        m.save(other);
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc;
        try {
            System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
            rc = Main.run("generate", "--model", q.toString(), "--base", other.toString(), "--steps", "2", "--quiet",
                    "--out", dir.resolve("g-other").toString());
        } finally {
            System.setErr(old);
        }
        String err = buf.toString(StandardCharsets.UTF_8);
        assertEquals(1, rc, err);
        assertTrue(err.contains("base weights with SHA-256 " + io.vdq.model.wan.WanModel.random(io.vdq.model.wan.WanConfig.tiny(), 0).fingerprint())
                && err.contains(m.fingerprint()), err);
        assertTrue(!Files.exists(dir.resolve("g-other")), "nothing written for a refused base");
    }
}
