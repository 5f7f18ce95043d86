package io.vdq.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vdq.diffusion.Sampler;
import io.vdq.eval.report.SvgChartsTest;
import io.vdq.diffusion.Scheduler;
import io.vdq.eval.StepFidelity;
import io.vdq.eval.report.DemoReport;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.pipeline.Demo;
import io.vdq.pipeline.RecipeRun;
import io.vdq.quant.Presets;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.QuantReport;
import io.vdq.quant.SamplerHook;
import io.vdq.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCommandTest {
    @TempDir Path dir;

    /** 2 heads × 12 (width 24), ffn 48, 1 layer; 4 frames of 16×16 with 4×4 patches = 64 tokens. */
    private static final String[] TINY = {"--random-init", "--head-dim", "12", "--ffn", "48", "--layers", "1", "--frames", "4", "--size", "16",
            "--patch", "4", "--steps", "3", "--prompts", "1"};

    private static WanConfig tinyConfig() {
        return new WanConfig(1, 4, 4, 2, 12, 3, 3, 64, 256, 48, 1, true, WanConfig.QK_NORM_ACROSS_HEADS, 1e-6f, 1024);
    }

    @Test
    void writesTableGifsAndResultsWhereW8A8BeatsW4A4() throws Exception {
        Path out = dir.resolve("report");
        String[] args = new String[TINY.length + 6];
        System.arraycopy(new String[]{"demo", "--quiet", "--out", out.toString(), "--recipes", "w8a8-minmax,w4a4-minmax"}, 0, args, 0, 6);
        System.arraycopy(TINY, 0, args, 6, TINY.length);
        assertEquals(0, Main.run(args));

        String html = Files.readString(out.resolve("index.html"));
        assertTrue(html.contains("<tr><td>full precision</td>"), "full-precision row");
        assertTrue(html.contains("<tr><td>w8a8-minmax</td><td>minmax</td><td>8</td><td>8</td>"), "W8A8 row");
        assertTrue(html.contains("<tr><td>w4a4-minmax</td><td>minmax</td><td>4</td><td>4</td>"), "W4A4 row");
        assertTrue(html.contains("RANDOM-INIT"), "the report says the model is untrained");
        assertTrue(html.contains("Only 1 prompt: PSNR differences below about 1.5 dB"), "the report warns that 1 prompt ranks nothing");
        assertTrue(html.contains("src=\"psnr.svg\""));
        var psnrSvg = SvgChartsTest.parse(Files.readString(out.resolve("psnr.svg")));
        assertEquals(List.of("w8a8-minmax", "w4a4-minmax"),
                SvgChartsTest.byClass(psnrSvg, "text", "bar-label").stream().map(e -> e.getTextContent()).toList(), "one named bar per recipe");
        assertTrue(html.contains("<a href=\"results.json\">"), "links to the raw results");
        Matcher refs = Pattern.compile("(?:src|href)=\"([^\"]*)\"").matcher(html);
        int nrefs = 0;
        for (; refs.find(); nrefs++) {
            String ref = refs.group(1);
            assertFalse(ref.startsWith("/") || ref.contains(":"), "relative to the report folder: " + ref);
            assertTrue(Files.exists(out.resolve(ref)), "exists: " + ref);
        }
        assertTrue(nrefs >= 10, nrefs + " links and images");
        for (String name : List.of("fp", "w8a8-minmax", "w4a4-minmax")) {
            Path gif = out.resolve("gifs/p0-" + name + ".gif");
            assertTrue(html.contains("src=\"gifs/p0-" + name + ".gif\""), name + " GIF is on the page");
            try (var in = ImageIO.createImageInputStream(gif.toFile())) {
                var reader = ImageIO.getImageReadersByFormatName("gif").next();
                reader.setInput(in);
                assertEquals(4, reader.getNumImages(true), name + ": one GIF frame per video frame");
                assertEquals(16 * DemoReport.UPSCALE, reader.getWidth(0), name + ": upscaled ×4");
            }
        }
        for (String name : List.of("w8a8-minmax", "w4a4-minmax"))
            assertTrue(html.contains("src=\"gifs/p0-" + name + ".gif\" alt=\"" + name + " · ") && html.contains("<img class=\"diff\" src=\"gifs/p0-" + name + "-diff.gif\""),
                    name + ": its difference view is beside it");
        assertFalse(Files.exists(out.resolve("gifs/p0-fp-diff.gif")), "no difference view of the reference with itself");
        try (var files = Files.walk(out)) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().contains(".tmp")), "no temporary files left");
        }

        JsonNode json = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        assertEquals("random-init", json.get("model").asText());
        JsonNode recipes = json.get("recipes");
        assertEquals(2, recipes.size());
        assertEquals("w8a8-minmax", recipes.get(0).get("name").asText());
        double p8 = recipes.get(0).get("psnr_db").asDouble(), p4 = recipes.get(1).get("psnr_db").asDouble();
        assertTrue(p8 > p4 + 6, "W8A8 PSNR " + p8 + " dB should clearly beat W4A4 " + p4 + " dB");
        assertTrue(p4 > 0, "W4A4 is still correlated with full precision: " + p4);
        double s8 = recipes.get(0).get("teacher_forced_snr_db").asDouble(), s4 = recipes.get(1).get("teacher_forced_snr_db").asDouble();
        assertTrue(s8 > s4 + 6, "teacher-forced step SNR: W8A8 " + s8 + " dB should clearly beat W4A4 " + s4 + " dB");
        assertEquals(3, recipes.get(1).get("teacher_forced_snr_db_per_step").size());
        assertTrue(html.contains("<th>step SNR dB</th>"), "step SNR column");
        assertTrue(html.contains("src=\"step_snr.svg\""));
        assertEquals(2, SvgChartsTest.byClass(SvgChartsTest.parse(Files.readString(out.resolve("step_snr.svg"))), "g", "panel").size(),
                "one step-SNR panel per recipe");
        assertEquals(3, recipes.get(0).get("activation_bits_per_step").size());
        JsonNode l8 = recipes.get(0).get("layer_weight_rel_l2"), l4 = recipes.get(1).get("layer_weight_rel_l2");
        assertEquals(10, l8.size(), "one block: attn1 and attn2 q/k/v/out plus two FFN linears");
        for (int i = 0; i < 10; i++) {
            // RTN error is about step/√12 per weight: 16× smaller steps at 8 bits than at 4 (127 vs 7 levels per side)
            double ratio = l4.get(i).asDouble() / l8.get(i).asDouble();
            assertTrue(ratio > 8 && ratio < 40, "layer " + i + ": W4/W8 weight error ratio " + ratio);
        }
        assertTrue(html.contains("src=\"layer_error.svg\""));
        JsonNode names = recipes.get(0).get("layer_names");
        assertEquals(10, names.size());
        assertEquals("blocks.0.attn1.to_q", names.get(0).asText());
        var layerSvg = SvgChartsTest.parse(Files.readString(out.resolve("layer_error.svg")));
        List<String> cols = SvgChartsTest.byClass(layerSvg, "text", "col-label").stream().map(e -> e.getTextContent()).toList();
        assertEquals(10, cols.size(), "one labelled column per layer name, shared by both recipes");
        for (int i = 0; i < 10; i++) assertEquals(names.get(i).asText(), cols.get(i));
        assertEquals(20, SvgChartsTest.byClass(layerSvg, "rect", "cell").size());
        assertFalse(Files.exists(out.resolve("bit_schedule.svg")), "no recipe switches bits");

        // The reported PSNR equals 10·log10(range² / MSE) computed here from the same videos, generated again.
        var s = new RecipeRun.Settings(tinyConfig(), null, 0, 4, 16, 3, 5f, 3.0, List.of(Demo.PROMPTS.getFirst()),
                Demo.CALIBRATION_PROMPTS, 100);
        RecipeRun run = new RecipeRun(s, null);
        List<Tensor> fp = run.generateFullPrecision(new double[1]);
        RecipeRun.RecipeResult r = run.runRecipe(Presets.get("w8a8-minmax"), "", fp);
        float[] a = fp.getFirst().toArray(), b = r.samples().getFirst().toArray();
        double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE, se = 0;
        for (int i = 0; i < a.length; i++) {
            lo = Math.min(lo, a[i]); hi = Math.max(hi, a[i]);
            se += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
        }
        double psnr = 10 * Math.log10((hi - lo) * (hi - lo) / (se / a.length));
        assertEquals(psnr, p8, 1e-9 * Math.abs(psnr), "the report's W8A8 PSNR is reproducible and matches the formula");

        // The difference view's first frame: t = √(mean over RGB of |a − b| / half the FP range), at most 1, through
        // black → red → yellow → white (r = 3t, g = 3t − 1, b = 3t − 2), upscaled ×4.
        try (var in = ImageIO.createImageInputStream(out.resolve("gifs/p0-w8a8-minmax-diff.gif").toFile())) {
            var reader = ImageIO.getImageReadersByFormatName("gif").next();
            reader.setInput(in);
            var img = reader.read(0);
            int plane = 4 * 16 * 16, lit = 0;
            for (int y = 0; y < 16; y++)
                for (int x = 0; x < 16; x++) {
                    double t = 0;
                    for (int c = 0; c < 3; c++) t += Math.abs((double) a[c * plane + y * 16 + x] - b[c * plane + y * 16 + x]);
                    t = Math.sqrt(Math.min(1, t / 3 / (0.5 * (hi - lo))));
                    int[] e = {(int) Math.rint(255 * Math.clamp(3 * t, 0, 1)), (int) Math.rint(255 * Math.clamp(3 * t - 1, 0, 1)),
                            (int) Math.rint(255 * Math.clamp(3 * t - 2, 0, 1))};
                    int rgb = img.getRGB(4 * x + 2, 4 * y + 1);
                    assertEquals(e[0], rgb >> 16 & 255, 1, "red at " + x + "," + y);
                    assertEquals(e[1], rgb >> 8 & 255, 1, "green at " + x + "," + y);
                    assertEquals(e[2], rgb & 255, 1, "blue at " + x + "," + y);
                    if (e[0] > 0) lit++;
                }
            assertTrue(lit > 0, "W8A8 differs somewhere visibly");
        }
    }

    @Test
    void repeatedLayerNamesKeepTheirValuesAsVersionsOfOneLayer() {
        var m = DemoReport.byName(List.of("b0.q", "b0.k", "b0.q"), new double[]{1, 2, 3});
        assertEquals(List.of("b0.q", "b0.k", "b0.q@#2"), List.copyOf(m.keySet()));
        assertEquals(3.0, m.get("b0.q@#2"));
    }

    @Test
    void aModelFolderIsLoadedAndEveryVideoIsScoredWithVBenchLite() throws Exception {
        Path model = dir.resolve("model");
        WanModel.random(tinyConfig(), 3).save(model);
        Path out = dir.resolve("report-model");
        assertEquals(0, Main.run("demo", "--quiet", "--model", model.toString(), "--out", out.toString(), "--recipes", "w8a8-minmax",
                "--frames", "4", "--size", "16", "--steps", "3", "--prompts", "1"));
        JsonNode json = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        assertEquals(model.toString(), json.get("model").asText());
        String html = Files.readString(out.resolve("index.html"));
        assertTrue(html.contains("<th>colour %</th>") && html.contains("<th>direction %</th>"), "VBench-lite columns");
        assertFalse(html.contains("RANDOM-INIT"), "a loaded model is not called random-init");

        // The full-precision scores are VBench-lite's scores of the same video, regenerated from the saved folder.
        var s = new RecipeRun.Settings(WanConfig.read(model.resolve("config.json")), model, 0, 4, 16, 3, 5f, 3.0,
                List.of(Demo.PROMPTS.getFirst()), Demo.CALIBRATION_PROMPTS, 100);
        RecipeRun run = new RecipeRun(s, null);
        Tensor v = run.generateFullPrecision(new double[1]).getFirst();
        var score = io.vdq.eval.vbench.VBenchLite.score(LatentPreview.video(v), io.vdq.synth.Prompt.parse(Demo.PROMPTS.getFirst()));
        JsonNode fpv = json.get("full_precision_vbench");
        for (var d : io.vdq.eval.vbench.Dimension.values())
            assertEquals(score.get(d), fpv.get(d.key()).asDouble(), 1e-12, d.key());
        assertTrue(json.get("recipes").get(0).has("vbench"), "each recipe's videos are scored too");
        // Δ vs FP: mean over the 8 dimensions of |recipe − FP| in points, recomputed here from the stored scores.
        JsonNode rv = json.get("recipes").get(0).get("vbench");
        double dev = 0;
        for (var d : io.vdq.eval.vbench.Dimension.values()) dev += Math.abs(rv.get(d.key()).asDouble() - fpv.get(d.key()).asDouble());
        dev = 100 * dev / io.vdq.eval.vbench.Dimension.values().length;
        assertEquals(dev, json.get("recipes").get(0).get("vbench_deviation_pts").asDouble(), 1e-9);
        assertTrue(html.contains("<th>VBench-lite Δ vs FP (pts)</th>"), "deviation column");
        assertArrayEquals(new double[]{0, 12.5}, new double[]{DemoReport.vbenchDeviation(new double[]{.5, .5}, new double[]{.5, .5}),
                DemoReport.vbenchDeviation(new double[]{1, .2}, new double[]{.9, .35})}, 1e-12, "hand values: (0 + 0)/2, (10 + 15)/2 pts");
    }

    @Test
    void overriddenRecipesRunUnderTheirSpecAndAMisspeltOptionStopsBeforeAnyWork() throws Exception {
        Path out = dir.resolve("ov");
        String spec = "bench/recipes/w4a6-minmax.json+static_activations=false";
        String[] head = {"demo", "--quiet", "--out", out.toString(), "--recipes", "w8a8-minmax+static_activations=true," + spec};
        String[] args = new String[head.length + TINY.length];
        System.arraycopy(head, 0, args, 0, head.length);
        System.arraycopy(TINY, 0, args, head.length, TINY.length);
        assertEquals(0, Main.run(args));
        JsonNode recipes = new ObjectMapper().readTree(out.resolve("results.json").toFile()).get("recipes");
        assertEquals("w8a8-minmax+static_activations=true", recipes.get(0).get("name").asText());
        assertEquals(spec, recipes.get(1).get("name").asText());
        assertEquals(6, recipes.get(1).get("activation_bits").asInt(), "the file's bits");
        String html = Files.readString(out.resolve("index.html"));
        for (String gif : List.of("gifs/p0-w8a8-minmax+static_activations=true.gif", "gifs/p0-bench_recipes_w4a6-minmax.json+static_activations=false.gif")) {
            assertTrue(Files.isRegularFile(out.resolve(gif)), gif);
            assertTrue(html.contains("src=\"" + gif + "\""), gif + " on the page");
        }

        var err = new java.io.ByteArrayOutputStream();
        var old = System.err;
        System.setErr(new java.io.PrintStream(err, true));
        Path typo = dir.resolve("typo");
        try {
            args[3] = typo.toString();
            args[5] = "w4a6-s2q+lamda_min=0";
            assertNotEquals(0, Main.run(args));
        } finally {
            System.setErr(old);
        }
        assertTrue(err.toString().contains("'lamda_min'") && err.toString().contains("lambda_min"), err.toString());
        assertFalse(Files.exists(typo.resolve("index.html")), "stopped before writing a report");
    }

    @Test
    void aMissingModelFolderIsAClearError() {
        var err = new java.io.ByteArrayOutputStream();
        var old = System.err;
        System.setErr(new java.io.PrintStream(err, true));
        try {
            assertNotEquals(0, Main.run("demo", "--quiet", "--model", dir.resolve("nope").toString(), "--out", dir.resolve("r").toString()));
        } finally {
            System.setErr(old);
        }
        assertTrue(err.toString().contains("nope") && err.toString().contains("config.json"), err.toString());
    }

    @Test
    void evaluationPromptsComeFromAFileAndABadOneNamesFileAndLine() throws Exception {
        Path model = dir.resolve("model-p");
        WanModel.random(tinyConfig(), 3).save(model);
        Path prompts = dir.resolve("eval.txt");
        Files.writeString(prompts, "# two prompts\na white diamond moving up\n\na cyan circle moving right\n");
        Path out = dir.resolve("report-p");
        assertEquals(0, Main.run("demo", "--quiet", "--model", model.toString(), "--out", out.toString(), "--recipes", "w8a8-minmax",
                "--frames", "4", "--size", "16", "--steps", "2", "--eval-prompts", prompts.toString()));
        JsonNode pr = new ObjectMapper().readTree(out.resolve("results.json").toFile()).get("prompts");
        assertEquals(2, pr.size());
        assertEquals("a white diamond moving up", pr.get(0).get("prompt").asText());
        assertEquals("a cyan circle moving right", pr.get(1).get("prompt").asText());
        assertEquals(pr.get(0).get("seed").asLong() + 1, pr.get(1).get("seed").asLong(), "prompt i gets seed + i");
        assertTrue(Files.isRegularFile(out.resolve("gifs").resolve("p1-fp.gif")), "a GIF for the second prompt");

        Files.writeString(prompts, "a red circle moving left\na purple circle moving left\n");
        var err = new java.io.ByteArrayOutputStream();
        var old = System.err;
        System.setErr(new java.io.PrintStream(err, true));
        try {
            assertNotEquals(0, Main.run("demo", "--quiet", "--model", model.toString(), "--out", dir.resolve("r2").toString(),
                    "--eval-prompts", prompts.toString()));
        } finally {
            System.setErr(old);
        }
        assertTrue(err.toString().contains("eval.txt: prompt 2") && err.toString().contains("purple"), err.toString());
        assertFalse(Files.exists(dir.resolve("r2").resolve("index.html")), "nothing written for a rejected prompt file");
    }

    @Test
    void fullPrecisionRegenerationWithTheSameSeedIsIdentical() {
        var s = new RecipeRun.Settings(tinyConfig(), null, 7, 4, 16, 3, 5f, 3.0, List.of("a red circle moving left"),
                Demo.CALIBRATION_PROMPTS, 100);
        RecipeRun run = new RecipeRun(s, null);
        Tensor x = run.sample(run.freshModel(), "a red circle moving left", 100, SamplerHook.NONE, null, null);
        Tensor y = run.sample(run.freshModel(), "a red circle moving left", 100, SamplerHook.NONE, null, null);
        assertArrayEquals(x.toArray(), y.toArray(), "same model seed, prompt and noise seed: bit-identical video");
        Tensor z = run.sample(run.freshModel(), "a red circle moving left", 101, SamplerHook.NONE, null, null);
        assertFalse(java.util.Arrays.equals(x.toArray(), z.toArray()), "another noise seed gives another video");
        assertArrayEquals(new int[]{3, 4, 16, 16}, x.shape().dims());
    }

    @Test
    void teacherForcedStepSnrIsInfiniteForFullPrecisionAndMatchesAHandComputedFirstStep() {
        var s = new RecipeRun.Settings(tinyConfig(), null, 0, 4, 16, 3, 5f, 3.0, List.of(Demo.PROMPTS.getFirst(), Demo.PROMPTS.get(1)),
                Demo.CALIBRATION_PROMPTS, 100);
        RecipeRun run = new RecipeRun(s, null);
        run.generateFullPrecision(new double[1]);
        StepFidelity self = run.teacherForced(run.freshModel(), SamplerHook.NONE, null);
        for (int i = 0; i < 3; i++) assertEquals(Double.POSITIVE_INFINITY, self.snrDb(i), "full precision on its own trajectory, step " + i);

        WanModel q = run.freshModel();
        QuantReport rep = QuantMethods.apply(q, Presets.get("w4a4-minmax"), run.calibration(q));
        StepFidelity f = run.teacherForced(q, rep.hook(), rep.activationBits());
        assertEquals(2, f.count(2), "both prompts at the last step");
        // Step 0 sees the noise itself, so it can be computed here without any trajectory.
        WanModel fpModel = run.freshModel();
        float t0 = Scheduler.create("unipc", 3, 3.0).timestep(0);
        double err = 0, ref = 0;
        for (int p = 0; p < 2; p++) {
            Tensor x = Sampler.noise(run.seed(p), run.sampleShape()), text = run.text(s.prompts().get(p)), neg = Tensor.zeros(text.shape().dims());
            float[] a = guided(fpModel.forward(x, t0, text), fpModel.forward(x, t0, neg)), b = guided(q.forward(x, t0, text), q.forward(x, t0, neg));
            for (int j = 0; j < a.length; j++) { err += ((double) b[j] - a[j]) * ((double) b[j] - a[j]); ref += (double) a[j] * a[j]; }
        }
        assertEquals(10 * Math.log10(ref / err), f.snrDb(0), 1e-9);
        assertTrue(f.snrDb() > 0 && f.snrDb() < 60, "W4A4 is close to but not equal to full precision: " + f.snrDb());
    }

    private static float[] guided(Tensor cond, Tensor uncond) {
        float[] c = cond.toArray(), u = uncond.toArray(), g = new float[c.length];
        for (int j = 0; j < g.length; j++) g[j] = u[j] + 5f * (c[j] - u[j]);
        return g;
    }

    @Test
    void deltaGbsRecipeSwitchesBitsPerStepAfterAutoDelta() {
        var s = new RecipeRun.Settings(tinyConfig(), null, 0, 4, 16, 6, 5f, 3.0, List.of(Demo.PROMPTS.getFirst()),
                Demo.CALIBRATION_PROMPTS, 100);
        RecipeRun run = new RecipeRun(s, null);
        List<Tensor> fp = run.generateFullPrecision(new double[1]);
        RecipeRun.RecipeResult r = run.runRecipe(Presets.get("w4a6-dvd"), "", fp);
        int[] bits = r.bitSchedule();
        assertEquals(6, bits.length);
        assertEquals(8, bits[0], "δ-GBS forces the first two steps high");
        assertEquals(8, bits[1]);
        for (int b : bits) assertTrue(b == 4 || b == 8, "A4/A8 switching: " + java.util.Arrays.toString(bits));
        assertTrue(r.bitsVary(), "auto-δ aims at a 6-bit mean, so some steps run at 4 bits: " + java.util.Arrays.toString(bits));
        assertTrue(r.description().contains("auto-tuned"), r.description());
    }

    @Test
    void framesMapTheReferenceRangeToZeroOne() {
        // [3, 1, 1, 2]: channel c, pixel p value = c + p; range [0, 3] → (v − 0) / 3.
        Tensor t = Tensor.of(new float[]{0, 1, 1, 2, 2, 3}, 3, 1, 1, 2);
        Tensor f = RecipeRun.frames(t, 0f, 3f);
        assertArrayEquals(new int[]{1, 1, 2, 3}, f.shape().dims());
        assertArrayEquals(new float[]{0f, 1f / 3, 2f / 3, 1f / 3, 2f / 3, 1f}, f.toArray(), 1e-7f);
    }

    @Test
    void ablationPresetsRunOnlyOnRequest() {
        DemoCommand d = new DemoCommand();
        List<String> plain = d.selectRecipes().stream().map(io.vdq.quant.Recipe::name).toList();
        d.ablations = true;
        List<String> all = d.selectRecipes().stream().map(io.vdq.quant.Recipe::name).toList();
        for (String a : List.of("w4a4-dvd-bgr-only", "w4a4-dvd-arq-only", "w4a6-s2q-nosds", "w4a6-s2q-nostd",
                "w4a8-minmax-g128", "w4a8-dvd-g128", "w4a8-gptq-g128", "w4a6-arq")) { // variants (issue #25) too
            assertFalse(plain.contains(a), a + " is an ablation: " + plain);
            assertTrue(all.contains(a), a + " runs with --ablations: " + all);
        }
        for (String m : List.of("w4a4-minmax", "w4a8-smoothquant", "w4a6-vidit-lite", "w4a4-quarot", "w4a8-gptq", "w4a4/8-dvd", "w4a16-gptq-g128", "w4a6-s2q", "w4a4-s2q"))
            assertTrue(plain.contains(m), m + " runs by default: " + plain);
        // GGUF encodings (method gguf) run only when named, even with --ablations: the demo's lists are unchanged
        long gguf = Presets.all().values().stream().filter(Presets.Preset::gguf).count();
        assertEquals(15, gguf);
        for (String g : List.of("gguf-q4_k", "gguf-q4_k-bgr", "gguf-q3_k-gptq")) {
            assertFalse(plain.contains(g), g + ": " + plain);
            assertFalse(all.contains(g), g + ": " + all);
        }
        assertEquals(Presets.all().size() - gguf, all.size(), "with --ablations every preset but the GGUF ones runs");
    }
}
