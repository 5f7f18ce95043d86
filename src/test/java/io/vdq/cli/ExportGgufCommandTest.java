package io.vdq.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.io.gguf.GgmlType;
import io.vdq.io.gguf.GgufFile;
import io.vdq.io.gguf.GgufTensor;
import io.vdq.io.gguf.GgufValue;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanGgufLoader;
import io.vdq.model.wan.WanModel;
import io.vdq.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportGgufCommandTest {
    @TempDir Path dir;

    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            return new Result(Main.run(args), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** Hidden size 256 (2 heads of 128), so every K-quant fits the block linears. */
    static final WanConfig CONFIG = new WanConfig(1, 2, 2, 2, 128, 4, 4, 64, 256, 512, 2, true,
            WanConfig.QK_NORM_ACROSS_HEADS, 1e-6f, 1024);

    Path model(WanModel m) {
        Path p = dir.resolve("wan-small");
        m.save(p);
        return p;
    }

    @Test void exportsWhatComfyUiGgufAndStableDiffusionCppExpectAndLoadsBack() {
        WanModel fp = WanModel.random(CONFIG, 3);
        Path out = dir.resolve("wan-q4k.gguf");
        Result r = run("export-gguf", "--model", model(fp).toString(), "--type", "q4_k", "--method", "bgr", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("export-gguf: "), "progress on stderr: " + r.err());
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals("wan", f.architecture());
            assertEquals(GgufValue.Type.STRING, f.kv().get("general.architecture").type());
            assertEquals(2L, f.kv().get("general.quantization_version").asLong());
            assertEquals(15L, f.kv().get("general.file_type").asLong());
            assertEquals("bgr", f.kv().get("vdq.method").value());
            assertEquals(2L, f.kv().get("vdq.wan.num_attention_heads").asLong());
            f.kv().forEach((k, v) -> assertTrue(v.type() != GgufValue.Type.ARRAY, "no array keys next to the 5-D tensor: " + k));
            assertEquals(GgmlType.Q4_K, f.tensor("blocks.0.self_attn.q.weight").type());
            assertEquals(GgmlType.Q4_K, f.tensor("blocks.1.cross_attn.o.weight").type());
            assertEquals(GgmlType.Q4_K, f.tensor("blocks.1.ffn.2.weight").type());
            assertEquals(GgmlType.F32, f.tensor("blocks.0.self_attn.q.bias").type());
            assertEquals(GgmlType.F32, f.tensor("blocks.0.norm3.weight").type());
            GgufTensor mod = f.tensor("blocks.0.modulation");
            assertEquals(GgmlType.F32, mod.type());
            assertArrayEquals(new long[]{256, 6, 1}, mod.ne(), "modulation keeps its size-1 dim");
            assertArrayEquals(new long[]{256, 2, 1}, f.tensor("head.modulation").ne());
            GgufTensor patch = f.tensor("patch_embedding.weight");
            assertEquals(GgmlType.F32, patch.type());
            assertArrayEquals(new long[]{2, 2, 1, 4, 256}, patch.ne(), "5-D, PyTorch shape reversed");
            assertEquals(GgmlType.F16, f.tensor("text_embedding.0.weight").type());
            assertEquals(GgmlType.F16, f.tensor("time_projection.1.weight").type());
            assertEquals(GgmlType.F16, f.tensor("head.head.weight").type());
            List<GgufTensor> ts = f.tensors();
            long off = 0;
            for (int i = 0; i < ts.size(); i++) {
                GgufTensor t = ts.get(i);
                assertTrue(t.name().getBytes(StandardCharsets.UTF_8).length < 64, t.name());
                assertTrue(t.ne().length <= 4 || t.name().equals("patch_embedding.weight"), t.name());
                assertEquals(off, t.offset(), t.name() + ": offsets are cumulative");
                off = (t.offset() + t.bytes() + 31) / 32 * 32;
                assertFalse(t.name().contains("attn1") || t.name().contains("scale_shift"), "diffusers name left: " + t.name());
            }
            int bias = ts.indexOf(f.tensor("patch_embedding.bias"));
            assertEquals("patch_embedding.weight", ts.get(bias + 1).name(), "the 5-D weight follows its bias, as in city96's files");
        }
        WanModel back = WanGgufLoader.loadWan(out);
        assertEquals(CONFIG, back.config());
        Map<String, Tensor> a = fp.toTensors(), b = back.toTensors();
        assertEquals(a.keySet(), b.keySet());
        for (String n : a.keySet()) {
            float[] x = a.get(n).toArray(), y = b.get(n).toArray();
            double num = 0, den = 0;
            for (int i = 0; i < x.length; i++) { num += (x[i] - y[i]) * (double) (x[i] - y[i]); den += (double) x[i] * x[i]; }
            double rel = Math.sqrt(num / Math.max(den, 1e-30));
            double bound = n.matches("blocks\\.\\d+\\.(attn[12]\\.to_(q|k|v|out\\.0)|ffn\\.net\\.(0\\.proj|2))\\.weight") ? 0.12
                    : n.endsWith(".weight") && a.get(n).rank() == 2 ? 1e-3 : 0;
            assertTrue(rel <= bound, n + ": relative error " + rel + " > " + bound);
        }
        Tensor lat = Tensor.randn(1, 4, 1, 4, 4), txt = Tensor.randn(2, 3, 64);
        float[] y0 = fp.forward(lat, 500f, txt).toArray(), y1 = back.forward(lat, 500f, txt).toArray();
        double num = 0, den = 0;
        for (int i = 0; i < y0.length; i++) { num += (y0[i] - y1[i]) * (double) (y0[i] - y1[i]); den += (double) y0[i] * y0[i]; }
        assertTrue(Math.sqrt(num / den) < 0.2, "Q4_K forward relative error " + Math.sqrt(num / den));

        Result inspect = run("inspect", out.toString());
        assertEquals(0, inspect.code(), inspect.err());
        assertTrue(inspect.out().contains("Q4_K") && inspect.out().contains("blocks.0.self_attn.q.weight")
                && inspect.out().contains("general.architecture: wan"), inspect.out());
    }

    /** The export carries a SHA-256 of its data section; a flipped data byte is refused at load, --no-verify skips it. */
    @Test void dataDigestIsWrittenCheckedAndEnforcedAtLoad() throws Exception {
        Path m = model(WanModel.random(CONFIG, 6));
        Path q = dir.resolve("q8.gguf");
        assertEquals(0, run("export-gguf", "--model", m.toString(), "--type", "q8_0", "--out", q.toString(), "--quiet").code());
        byte[] b = Files.readAllBytes(q);
        long dataStart;
        String stored;
        try (GgufFile f = GgufFile.open(q)) {
            dataStart = f.dataStart();
            stored = f.kv().get(io.vdq.io.gguf.GgufWriter.DATA_SHA256).display();
            assertTrue(f.verifyDataDigest());
        }
        // an independent hash of the bytes after the header
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        md.update(b, (int) dataStart, b.length - (int) dataStart);
        assertEquals(java.util.HexFormat.of().formatHex(md.digest()), stored);
        Result ok = run("inspect", "--verify", q.toString());
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().contains("verified"), ok.out());
        b[b.length - 100] ^= 0x10;   // inside the last tensor's blocks (or its padding)
        Files.write(q, b);
        Result bad = run("inspect", "--verify", q.toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("SHA-256") && bad.err().contains(q.getFileName().toString()), bad.err());
        var e = assertThrows(io.vdq.VdqException.class, () -> io.vdq.model.wan.WanGgufLoader.loadWan(q));
        assertTrue(e.getMessage().contains("vdq.data_sha256"), e.getMessage());
        assertEquals(CONFIG, io.vdq.model.wan.WanGgufLoader.loadWan(q, false).config());
    }

    @Test void refAndF32ExportsAndBadOptionsGiveOneLineErrors() throws Exception {
        Path m = model(WanModel.random(CONFIG, 4));
        Path f32 = dir.resolve("f32.gguf");
        assertEquals(0, run("export-gguf", "--model", m.toString(), "--type", "f32", "--out", f32.toString(), "--quiet").code());
        try (GgufFile f = GgufFile.open(f32)) {
            for (GgufTensor t : f.tensors()) assertEquals(GgmlType.F32, t.type(), t.name());
            assertEquals("ref", f.kv().get("vdq.method").value());
        }
        Result bad = run("export-gguf", "--model", m.toString(), "--type", "q9_0", "--out", dir.resolve("x.gguf").toString());
        assertEquals(1, bad.code());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());
        assertTrue(bad.err().contains("--type"), bad.err());
        Result method = run("export-gguf", "--model", m.toString(), "--type", "q8_0", "--method", "awq", "--out", dir.resolve("x.gguf").toString());
        assertEquals(1, method.code());
        assertTrue(method.err().contains("--method") && method.err().contains("ref, bgr, gptq"), method.err());
        // gptq runs calibration prompts: a folder with no text encoder (no vdq.json) says so in one line
        Result noText = run("export-gguf", "--model", m.toString(), "--type", "q8_0", "--method", "gptq", "--out", dir.resolve("x.gguf").toString());
        assertEquals(1, noText.code());
        assertEquals(1, noText.err().strip().lines().count(), noText.err());
        assertFalse(Files.exists(dir.resolve("x.gguf")));
    }

    @Test void inspectOfABrokenGgufIsOneLineNamingTheFile() throws Exception {
        Path m = model(WanModel.random(CONFIG, 5));
        Path good = dir.resolve("q8.gguf");
        assertEquals(0, run("export-gguf", "--model", m.toString(), "--type", "q8_0", "--out", good.toString(), "--quiet").code());
        byte[] b = Files.readAllBytes(good);
        Path cut = dir.resolve("cut.gguf");
        Files.write(cut, java.util.Arrays.copyOf(b, b.length / 2));
        Result r = run("inspect", cut.toString());
        assertEquals(1, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(cut.toString()) && r.err().contains("runs past the end"), r.err());
        // an unknown type id in the first tensor info
        try (GgufFile f = GgufFile.open(good)) {
            GgufTensor first = f.tensors().getFirst();
            byte[] name = first.name().getBytes(StandardCharsets.UTF_8);
            int at = indexOf(b, name) + name.length + 4 + 8 * first.ne().length;
            byte[] c = b.clone();
            c[at] = 77;
            Path unknown = dir.resolve("unknown.gguf");
            Files.write(unknown, c);
            Result u = run("inspect", unknown.toString());
            assertEquals(1, u.code());
            assertTrue(u.err().contains("type id 77") && u.err().contains(first.name()), u.err());
        }
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }

    @Test void importanceFromCalibrationInputsLowersTheWeightedErrorBelowTheReference() throws Exception {
        WanModel fp = WanModel.random(CONFIG, 6);
        io.vdq.quant.calib.ColumnImportance imp = new io.vdq.quant.calib.ColumnImportance();
        try (AutoCloseable h = imp.install(fp)) {
            for (int s = 0; s < 2; s++) fp.forward(Tensor.randn(10 + s, 4, 1, 4, 4), 300f + 200 * s, Tensor.randn(20 + s, 5, 64));
        }
        Path impFile = dir.resolve("imp.safetensors");
        imp.save(impFile);
        Path m = model(fp);
        Path ref = dir.resolve("ref.gguf"), bgr = dir.resolve("imp.gguf");
        assertEquals(0, run("export-gguf", "--model", m.toString(), "--type", "q4_0", "--out", ref.toString(), "--quiet").code());
        Result r = run("export-gguf", "--model", m.toString(), "--type", "q4_0", "--method", "bgr", "--importance", impFile.toString(),
                "--out", bgr.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        Result bad = run("export-gguf", "--model", m.toString(), "--type", "q4_0", "--importance", impFile.toString(),
                "--out", dir.resolve("no.gguf").toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("--importance needs --method bgr"), bad.err());
        Map<String, float[]> ms = io.vdq.quant.calib.ColumnImportance.load(impFile);
        Map<String, Tensor> base = fp.toTensors();
        try (GgufFile a = GgufFile.open(ref); GgufFile b = GgufFile.open(bgr)) {
            assertEquals("imp.safetensors", b.kv().get("vdq.importance").value());
            for (String layer : new String[]{"blocks.0.attn1.to_q", "blocks.1.ffn.net.2", "blocks.0.attn2.to_out.0"}) {
                float[] w = io.vdq.quant.gguf.GgufBgr.weights(ms.get(layer));
                float[] x = base.get(layer + ".weight").toArray();
                String wan = io.vdq.io.gguf.WanNames.toWan(layer + ".weight", "t");
                float[] ya = a.readFloat(wan).toArray(), yb = b.readFloat(wan).toArray();
                double ea = 0, eb = 0;
                for (int i = 0; i < x.length; i++) {
                    double wi = w[i % w.length];
                    ea += wi * (x[i] - ya[i]) * (double) (x[i] - ya[i]);
                    eb += wi * (x[i] - yb[i]) * (double) (x[i] - yb[i]);
                }
                assertTrue(eb < ea, layer + ": importance-weighted error " + eb + " not below the reference's " + ea);
            }
        }
    }

    /** A model folder with a vdq.json that samples 2 frames of 8×8 pixels with the synthetic text encoder in 2 steps. */
    Path calibratableModel(WanModel fp) throws Exception {
        Path m = model(fp);
        java.nio.file.Files.writeString(m.resolve("vdq.json"), """
                {"text_encoder": "vdq-synth", "pixel_space": true,
                 "defaults": {"frames": 2, "height": 8, "width": 8, "steps": 2, "shift": 3.0, "guidance": 5.0, "fps": 8, "sampler": "unipc"}}
                """);
        return m;
    }

    @Test void gptqAndWriteImportanceRunTheCalibrationPrompts() throws Exception {
        WanModel fp = WanModel.random(CONFIG, 8);
        Path m = calibratableModel(fp), prompts = dir.resolve("prompts.txt");
        java.nio.file.Files.writeString(prompts, "# two prompts\na red square moving left\na green circle moving up\n");
        Path gptq = dir.resolve("gptq.gguf"), imp = dir.resolve("imp.safetensors");
        Result r = run("export-gguf", "--model", m.toString(), "--type", "q4_k", "--method", "gptq", "--calib-prompts", prompts.toString(),
                "--write-importance", imp.toString(), "--out", gptq.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("calibration prompt 2/2"), r.err());
        Map<String, float[]> ms = io.vdq.quant.calib.ColumnImportance.load(imp);
        assertEquals(2 * 10, ms.size(), ms.keySet().toString());   // the block linears only
        assertEquals(512, ms.get("blocks.1.ffn.net.2").length);
        for (float[] v : ms.values()) for (float x : v) assertTrue(x >= 0 && Float.isFinite(x));
        Map<String, Tensor> base = fp.toTensors();
        try (GgufFile f = GgufFile.open(gptq)) {
            assertEquals("gptq", f.kv().get("vdq.method").value());
            assertTrue(f.kv().get("vdq.calibration").value().toString().contains("2 prompts (a red square moving left | a green circle moving up)"),
                    f.kv().get("vdq.calibration").value().toString());
            float[] w = base.get("blocks.0.attn1.to_q.weight").toArray(), y = f.readFloat("blocks.0.self_attn.q.weight").toArray();
            double se = 0, n = 0;
            for (int i = 0; i < w.length; i++) { se += Math.pow(w[i] - y[i], 2); n += (double) w[i] * w[i]; }
            assertTrue(Math.sqrt(se / n) > 0.01 && Math.sqrt(se / n) < 0.3, "rel. weight error " + Math.sqrt(se / n));
        }
        // bgr with the freshly collected importance is bgr with that file passed back in
        Path a = dir.resolve("a.gguf"), b = dir.resolve("b.gguf");
        assertEquals(0, run("export-gguf", "--model", m.toString(), "--type", "q4_k", "--method", "bgr", "--calib-prompts", prompts.toString(),
                "--write-importance", dir.resolve("imp2.safetensors").toString(), "--out", a.toString(), "--quiet").code());
        assertEquals(0, run("export-gguf", "--model", m.toString(), "--type", "q4_k", "--method", "bgr", "--importance", imp.toString(),
                "--out", b.toString(), "--quiet").code());
        try (GgufFile fa = GgufFile.open(a); GgufFile fb = GgufFile.open(b)) {
            for (String t : new String[]{"blocks.0.self_attn.q.weight", "blocks.1.ffn.2.weight"})
                assertArrayEquals(fb.readFloat(t).toArray(), fa.readFloat(t).toArray(), t);
        }
        Result bad = run("export-gguf", "--model", m.toString(), "--type", "q4_k", "--calib-prompts", prompts.toString(), "--out", dir.resolve("x.gguf").toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("--calib-* options need --method gptq or --write-importance"), bad.err());
    }

    /**
     * A bare transformer folder has no text encoder: --calib-embeds gives GPTQ its calibration texts. Embeddings of
     * the two prompts written by {@code vdq encode-prompt} (the synthetic encoder; no negative file, so zero negatives
     * as the synthetic calibration uses) give the same file, byte for byte, as --calib-prompts with those prompts;
     * giving both is refused in one line.
     */
    @Test void gptqCalibratesOnPrecomputedEmbeddings() throws Exception {
        WanModel fp = WanModel.random(CONFIG, 9);
        Path m = calibratableModel(fp), prompts = dir.resolve("p.txt"), embeds = dir.resolve("embeds");
        java.nio.file.Files.writeString(prompts, "a red square moving left\na green circle moving up\n");
        assertEquals(0, run("encode-prompt", "--model", m.toString(), "--prompts", prompts.toString(), "--out", embeds.toString()).code());
        java.nio.file.Files.deleteIfExists(embeds.resolve("negative.safetensors"));
        Path a = dir.resolve("prompts.gguf"), b = dir.resolve("embeds.gguf");
        Result ra = run("export-gguf", "--model", m.toString(), "--type", "q4_k", "--method", "gptq", "--calib-prompts", prompts.toString(),
                "--quiet", "--out", a.toString());
        assertEquals(0, ra.code(), ra.err());
        Result rb = run("export-gguf", "--model", m.toString(), "--type", "q4_k", "--method", "gptq", "--calib-embeds", embeds.toString(),
                "--quiet", "--out", b.toString());
        assertEquals(0, rb.code(), rb.err());
        try (GgufFile fa = GgufFile.open(a); GgufFile fb = GgufFile.open(b)) {
            for (String t : new String[]{"blocks.0.self_attn.q.weight", "blocks.0.cross_attn.k.weight", "blocks.1.ffn.2.weight"})
                assertArrayEquals(fa.readFloat(t).toArray(), fb.readFloat(t).toArray(), t);
        }
        Result both = run("export-gguf", "--model", m.toString(), "--type", "q4_k", "--method", "gptq", "--calib-prompts", prompts.toString(),
                "--calib-embeds", embeds.toString(), "--out", dir.resolve("x.gguf").toString());
        assertEquals(1, both.code());
        assertTrue(both.err().contains("--calib-prompts and --calib-embeds: give one of them"), both.err());
        assertFalse(java.nio.file.Files.exists(dir.resolve("x.gguf")));
    }

    /**
     * --method gptq with a Hessian budget of one byte (one layer per calibration pass, 20 passes) writes the same
     * bytes as with the default budget (all 20 Hessians of this model in one pass, which is what the export did
     * before Hessians were recorded in passes), and the same importance file.
     */
    @Test void gptqHessiansInBoundedPassesGiveTheSameFile() throws Exception {
        WanModel fp = WanModel.random(CONFIG, 9);
        Path m = calibratableModel(fp);
        Path one = dir.resolve("one.gguf"), many = dir.resolve("many.gguf");
        Path impOne = dir.resolve("one.safetensors"), impMany = dir.resolve("many.safetensors");
        Result a = run("export-gguf", "--model", m.toString(), "--type", "q4_k", "--method", "gptq", "--calib-steps", "1",
                "--write-importance", impOne.toString(), "--out", one.toString());
        assertEquals(0, a.code(), a.err());
        assertTrue(a.err().contains("Hessians, pass 1: 20 layers"), a.err());
        Result b = run("export-gguf", "--model", m.toString(), "--type", "q4_k", "--method", "gptq", "--calib-steps", "1",
                "--hessian-budget", "1", "--write-importance", impMany.toString(), "--out", many.toString());
        assertEquals(0, b.code(), b.err());
        assertTrue(b.err().contains("Hessians, pass 20: 1 layers"), b.err());
        assertFalse(b.err().contains("Hessians, pass 21"), b.err());   // requests in write order: every pass runs once
        assertArrayEquals(Files.readAllBytes(one), Files.readAllBytes(many));
        assertArrayEquals(Files.readAllBytes(impOne), Files.readAllBytes(impMany));
        assertEquals(1, run("export-gguf", "--model", m.toString(), "--type", "q4_k", "--method", "gptq", "--hessian-budget", "0",
                "--out", dir.resolve("x.gguf").toString()).code());
    }

    @Test void quantizeRefusesGgufRecipesBeforeCalibratingAndPointsToExportGguf() {
        Result r = run("quantize", "--model", "random:tiny", "--recipe", "gguf-q4_k-gptq", "--out", dir.resolve("q").toString());
        assertEquals(1, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("vdq export-gguf --type q4_k --method gptq"), r.err());
        assertFalse(Files.exists(dir.resolve("q")));
    }

    @Test void llamaCppMixesGiveTheValueAndFfnDownProjectionsMoreBits() {
        WanModel fp = WanModel.random(new WanConfig(1, 2, 2, 2, 128, 4, 4, 64, 256, 512, 3, true,
                WanConfig.QK_NORM_ACROSS_HEADS, 1e-6f, 1024), 8);
        Path m = model(fp);
        Path km = dir.resolve("km.gguf"), ks = dir.resolve("ks.gguf"), k3 = dir.resolve("k3m.gguf");
        assertEquals(0, run("export-gguf", "--model", m.toString(), "--type", "Q4_K_M", "--out", km.toString(), "--quiet").code());
        assertEquals(0, run("export-gguf", "--model", m.toString(), "--type", "q4_k_s", "--out", ks.toString(), "--quiet").code());
        assertEquals(0, run("export-gguf", "--model", m.toString(), "--type", "q3_k_m", "--out", k3.toString(), "--quiet").code());
        try (GgufFile f = GgufFile.open(km)) {
            assertEquals(15L, f.kv().get("general.file_type").asLong());
            assertEquals("q4_k_m", f.kv().get("vdq.type").value());
            assertEquals(GgmlType.Q6_K, f.tensor("blocks.2.self_attn.v.weight").type());
            assertEquals(GgmlType.Q6_K, f.tensor("blocks.0.cross_attn.v.weight").type());
            assertEquals(GgmlType.Q6_K, f.tensor("blocks.1.ffn.2.weight").type());
            assertEquals(GgmlType.Q4_K, f.tensor("blocks.1.ffn.0.weight").type());
            assertEquals(GgmlType.Q4_K, f.tensor("blocks.1.self_attn.k.weight").type());
        }
        try (GgufFile f = GgufFile.open(ks)) {
            assertEquals(14L, f.kv().get("general.file_type").asLong());
            assertEquals(GgmlType.Q5_K, f.tensor("blocks.1.self_attn.v.weight").type());
            assertEquals(GgmlType.Q4_K, f.tensor("blocks.2.self_attn.v.weight").type());
            assertEquals(GgmlType.Q5_K, f.tensor("blocks.2.ffn.2.weight").type());
        }
        try (GgufFile f = GgufFile.open(k3)) {
            assertEquals(GgmlType.Q5_K, f.tensor("blocks.0.cross_attn.v.weight").type());
            assertEquals(GgmlType.Q4_K, f.tensor("blocks.1.cross_attn.v.weight").type());
            assertEquals(GgmlType.Q4_K, f.tensor("blocks.0.ffn.2.weight").type());
            assertEquals(GgmlType.Q3_K, f.tensor("blocks.0.ffn.0.weight").type());
        }
        assertEquals(fp.config(), WanGgufLoader.loadWan(km).config());
    }
}
