package io.vdq.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vdq.eval.Fidelity;
import io.vdq.eval.RunComparison;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalCommandTest {
    @TempDir static Path dir;

    private static void gen(String name, String seed, String... extra) {
        String[] base = {"generate", "--model", "random:tiny", "--steps", "6", "--quiet", "--seed", seed,
                "--out", dir.resolve(name).toString()};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        assertEquals(0, Main.run(args), "generate " + name);
    }

    @BeforeAll
    static void runs() {
        gen("fp", "5");
        gen("w4a8", "5", "--quant", "w4a8-minmax");
        gen("dvd", "5", "--quant", "w4a4/8-dvd");
        gen("fp-seed6", "6");
        gen("w4a4-opt", "5", "--quant", "w4a4-minmax+int8_attention=true");
    }

    /**
     * A recipe written with +option overrides shows its activation bits (4 here), from the width the run recorded and,
     * for runs written before it was recorded, from the name resolved as --quant resolves it; float and unknown are "fp".
     */
    @Test
    void activationBitsOfRecipesWithOptionOverrides() throws Exception {
        RunComparison.Run opt = RunComparison.load(dir.resolve("w4a4-opt"));
        assertEquals("4", opt.meta().get("activation_bits"));
        assertEquals(4.0, EvalCommand.meanActBits(opt));
        assertEquals(8.0, EvalCommand.meanActBits(RunComparison.load(dir.resolve("w4a8"))));
        assertEquals(null, EvalCommand.meanActBits(RunComparison.load(dir.resolve("fp"))));
        assertEquals(4.0, EvalCommand.meanActBits(new RunComparison.Run(dir, java.util.Map.of("quant", "w4a4-minmax+int8_attention=true"), null)));
        assertEquals(null, EvalCommand.meanActBits(new RunComparison.Run(dir, java.util.Map.of("quant", "no-such-recipe.json"), null)));
        assertEquals(null, EvalCommand.meanActBits(new RunComparison.Run(dir, java.util.Map.of("quant", "w4a16-gptq"), null)));
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            assertEquals(0, Main.run("eval", "--ref", p("fp"), "--cand", p("w4a4-opt")));
        } finally {
            System.setOut(old);
        }
        String row = buf.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("w4a4-opt")).findFirst().orElseThrow();
        assertTrue(row.contains("w4a4-minmax+int8_attention=true") && row.matches(".*\\s4\\.00\\s.*"), row);
    }

    private static String p(String name) { return dir.resolve(name).toString(); }

    @Test
    void comparesCandidatesAndWritesJson() throws Exception {
        Path json = dir.resolve("out/eval.json");
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            rc = Main.run("eval", "--ref", p("fp"), "--cand", p("fp"), p("w4a8"), p("dvd"), "--json", json.toString());
        } finally {
            System.setOut(old);
        }
        assertEquals(0, rc);
        String table = buf.toString(StandardCharsets.UTF_8);
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        JsonNode c = root.get("candidates");
        assertEquals(3, c.size());

        JsonNode self = c.get(0);
        assertEquals(1.0, self.get("cosine").asDouble(), 1e-12);
        assertEquals(0.0, self.get("rel_l2").asDouble(), 0.0);
        assertEquals(1.0, self.get("ssim").asDouble(), 1e-12);
        assertTrue(self.get("psnr_db").isNull(), "identical runs: PSNR is +inf, written as null");
        assertTrue(self.get("mean_activation_bits").isNull());

        // the quantized run's latent metrics against independent formulas on the raw files
        float[] ref = RunComparison.load(dir.resolve("fp")).latents().toArray();
        float[] q = RunComparison.load(dir.resolve("w4a8")).latents().toArray();
        double dot = 0, rr = 0, qq = 0, dd = 0;
        for (int i = 0; i < ref.length; i++) { dot += (double) ref[i] * q[i]; rr += (double) ref[i] * ref[i]; qq += (double) q[i] * q[i]; dd += ((double) q[i] - ref[i]) * ((double) q[i] - ref[i]); }
        JsonNode w4a8 = c.get(1);
        assertEquals("w4a8-minmax", w4a8.get("recipe").asText());
        assertEquals(8.0, w4a8.get("mean_activation_bits").asDouble());
        double cos = w4a8.get("cosine").asDouble();
        assertEquals(dot / Math.sqrt(rr * qq), cos, 1e-9);
        assertEquals(Math.sqrt(dd / rr), w4a8.get("rel_l2").asDouble(), 1e-9);
        assertTrue(cos < 1 && cos > 0.5, "cosine " + cos);
        double ssim = w4a8.get("ssim").asDouble();
        assertTrue(ssim < 1 && ssim > -1, "ssim " + ssim);
        assertTrue(Double.isFinite(w4a8.get("psnr_db").asDouble()));

        JsonNode dvd = c.get(2);
        assertEquals("w4a4/8-dvd", dvd.get("recipe").asText());
        JsonNode sched = dvd.get("activation_bits_per_step");
        assertEquals(6, sched.size());
        double sum = 0;
        for (JsonNode b : sched) { assertTrue(b.asInt() == 4 || b.asInt() == 8, "bits " + b); sum += b.asInt(); }
        assertEquals(sum / 6, dvd.get("mean_activation_bits").asDouble(), 1e-12);
        // generate chose δ automatically (target 6 bits): the run switches down to A4 after the two forced A8 steps
        assertEquals(8, sched.get(0).asInt());
        assertEquals(8, sched.get(1).asInt());
        assertTrue(sum / 6 < 8, "auto δ must switch some steps to 4 bits: " + sched);
        double dcos = dvd.get("cosine").asDouble();
        assertTrue(dcos < 1 && dcos > 0.5, "cosine " + dcos);
        assertTrue(table.contains("bits/step:"), table);
        assertTrue(table.contains("w4a8-minmax") && table.contains("w4a4/8-dvd"), table);
        try (var files = Files.list(json.getParent())) {
            assertFalse(files.anyMatch(f -> f.getFileName().toString().contains(".tmp")), "no temporary files left");
        }
    }

    @Test
    void framePsnrMatchesFidelityOnStandardisedChannels() throws Exception {
        // PSNR on frames: channels 0-2 standardised with the reference's own mean and sd (computed here independently)
        var refRun = RunComparison.load(dir.resolve("fp"));
        float[] r = refRun.latents().toArray(), q = RunComparison.load(dir.resolve("w4a8")).latents().toArray();
        int plane = r.length / refRun.latents().dim(0);
        float[] fr = new float[3 * plane], fq = new float[3 * plane];
        for (int k = 0; k < 3; k++) {
            double m = 0, v = 0;
            for (int i = 0; i < plane; i++) m += r[k * plane + i];
            m /= plane;
            for (int i = 0; i < plane; i++) v += (r[k * plane + i] - m) * (r[k * plane + i] - m);
            double sd = Math.sqrt(v / plane);
            for (int i = 0; i < plane; i++) {
                fr[k * plane + i] = (float) ((r[k * plane + i] - m) / sd);
                fq[k * plane + i] = (float) ((q[k * plane + i] - m) / sd);
            }
        }
        float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
        for (float x : fr) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
        double mse = 0;
        for (int i = 0; i < fr.length; i++) mse += ((double) fq[i] - fr[i]) * ((double) fq[i] - fr[i]);
        mse /= fr.length;
        double expected = 10 * Math.log10(((double) hi - lo) * ((double) hi - lo) / mse);
        var res = RunComparison.compare(refRun, RunComparison.load(dir.resolve("w4a8")));
        assertEquals(expected, res.psnr(), 1e-3);
        assertEquals(Fidelity.cosine(r, q), res.cosine(), 1e-12);
    }

    @Test
    void mismatchedSeedsAreRefusedNamingBothRuns() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int rc;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            rc = Main.run("eval", "--ref", p("fp"), "--cand", p("w4a8"), p("fp-seed6"), "--json", dir.resolve("bad.json").toString());
        } finally {
            System.setErr(old);
        }
        assertEquals(1, rc);
        String msg = err.toString(StandardCharsets.UTF_8).trim();
        assertEquals(1, msg.lines().count(), msg);
        assertTrue(msg.contains("seed differs") && msg.contains("reference " + p("fp") + " has seed 5")
                && msg.contains(p("fp-seed6") + " has seed 6"), msg);
        assertFalse(Files.exists(dir.resolve("bad.json")));
    }
}
