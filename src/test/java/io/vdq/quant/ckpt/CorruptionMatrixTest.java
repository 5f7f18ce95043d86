package io.vdq.quant.ckpt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.VdqException;
import io.vdq.VdqException.CheckpointException;
import io.vdq.io.DType;
import io.vdq.io.SafetensorsFile;
import io.vdq.io.SafetensorsWriter;
import io.vdq.io.TensorDigests;
import io.vdq.io.TensorInfo;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.pipeline.QuantizePipeline;
import io.vdq.quant.Presets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each way a quantized checkpoint can be broken ends in the documented refusal (docs/FORMAT.md "What loading
 * verifies"): a flipped data byte of every kind of tensor, edits of the stored recipe and format keys, truncation,
 * trailing bytes.
 */
@SuppressWarnings("unchecked")
class CorruptionMatrixTest {
    static final String LAYER = "blocks.0.attn1.to_q";
    @TempDir Path dir;

    /** w4a6-dvd: U8 codes, F32 scales and zero points, a bias, float parameters. */
    static byte[] dvd() { return QuantizedCheckpointFuzzTest.fixture("w4a6-dvd"); }

    static CheckpointException refusal(byte[] bytes) {
        return assertThrows(CheckpointException.class,
                () -> QuantizedCheckpoint.load(WanConfig.tiny(), SafetensorsFile.ofBytes("m.safetensors", bytes)));
    }

    static byte[] flip(byte[] image, String tensor, int byteInTensor) {
        byte[] b = image.clone();
        var h = SafetensorsFile.ofBytes("m", b).header();
        TensorInfo t = h.tensors().get(tensor);
        assertNotNull(t, tensor);
        b[(int) (h.dataStart() + t.begin() + byteInTensor % t.bytes())] ^= 0x10;
        return b;
    }

    @ParameterizedTest
    @ValueSource(strings = {LAYER + ".qweight", LAYER + ".scales", LAYER + ".zeros", LAYER + ".bias",
            "patch_embedding.weight", "condition_embedder.time_proj.weight", "scale_shift_table"})
    void aFlippedDataByteIsRefusedNamingFileAndTensor(String tensor) {
        byte[] good = dvd();
        QuantizedCheckpoint.load(WanConfig.tiny(), SafetensorsFile.ofBytes("m.safetensors", good));
        String msg = refusal(flip(good, tensor, 3)).getMessage();
        assertTrue(msg.startsWith("m.safetensors: tensor '" + tensor + "': SHA-256 of its data is "), msg);
    }

    @Test
    void noVerifySkipsOnlyTheDigests() {
        byte[] bad = flip(dvd(), LAYER + ".bias", 0);
        var loaded = QuantizedCheckpoint.load(WanConfig.tiny(), SafetensorsFile.ofBytes("m.safetensors", bad), false);
        assertNotNull(loaded.model());
    }

    @Test
    void generateRefusesACorruptedCheckpointUnlessToldNotToVerify() throws Exception {
        Path model = dir.resolve("q");
        var s = new QuantizePipeline.Settings(Presets.get("w4a8-minmax"), null, 1, 6, new int[]{4, 2, 8, 8}, 5f, 3.0, 8);
        QuantizePipeline.save(QuantizePipeline.run(WanModel.random(WanConfig.tiny(), 0), s, QuantizePipeline.Progress.NONE), model, DType.F32,
                Map.of("base_model", "random:tiny"));   // so generate takes random:tiny's defaults (its synthetic text encoder)
        Path f = model.resolve(QuantizedCheckpoint.WEIGHTS);
        Files.write(f, flip(Files.readAllBytes(f), LAYER + ".bias", 2));
        var err = new java.io.ByteArrayOutputStream();
        var old = System.err;
        int plain, skipped;
        try {
            System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
            plain = io.vdq.cli.Main.run("generate", "--model", model.toString(), "--steps", "1", "--quiet", "--prompt", "a red circle", "--out", dir.resolve("o1").toString());
            skipped = io.vdq.cli.Main.run("generate", "--model", model.toString(), "--steps", "1", "--quiet", "--no-verify", "--prompt", "a red circle",
                    "--out", dir.resolve("o2").toString());
        } finally {
            System.setErr(old);
        }
        assertEquals(1, plain, err.toString());
        assertTrue(err.toString().contains("vdq: " + f + ": tensor '" + LAYER + ".bias': SHA-256 of its data is "), err.toString());
        assertEquals(0, skipped, err.toString());
    }

    @Test
    void aNonFiniteScaleIsRefusedEvenWithoutVerification() {
        byte[] b = dvd().clone();
        var h = SafetensorsFile.ofBytes("m", b).header();
        TensorInfo t = h.tensors().get(LAYER + ".scales");
        int at = (int) (h.dataStart() + t.begin() + 4);               // element 1, F32 little-endian
        b[at] = 0; b[at + 1] = 0; b[at + 2] = (byte) 0xC0; b[at + 3] = 0x7F;   // NaN
        var e = assertThrows(CheckpointException.class,
                () -> QuantizedCheckpoint.load(WanConfig.tiny(), SafetensorsFile.ofBytes("m.safetensors", b), false));
        assertEquals("m.safetensors: tensor '" + LAYER + ".scales' element 1 is NaN (expected finite values)", e.getMessage());
    }

    /** The image with an edited metadata map, tensors copied as they are (digests stay valid). */
    byte[] withMetadata(byte[] image, UnaryOperator<Map<String, String>> edit) throws Exception {
        SafetensorsFile src = SafetensorsFile.ofBytes("m", image);
        SafetensorsWriter w = new SafetensorsWriter();
        for (String n : src.names()) w.copy(src, n);
        w.metadata(edit.apply(new LinkedHashMap<>(src.metadata())));
        Path f = dir.resolve("edited.safetensors");
        w.write(f);
        return Files.readAllBytes(f);
    }

    static Map<String, String> put(Map<String, String> m, String k, String v) { m.put(k, v); return m; }

    /**
     * A checkpoint whose stored recipe predates settings_version (everything written before it) loads, as version 1;
     * one from a vdq with a newer settings version is refused naming the key, and so is a stored option its method lacks.
     */
    @Test
    void storedRecipesFromBeforeSettingsVersionsLoad() throws Exception {
        byte[] good = dvd();
        String recipe = SafetensorsFile.ofBytes("m", good).metadata().get("recipe");
        String v1 = recipe.contains("\"settings_version\" : 1,") ? "\"settings_version\" : 1," : "\"settings_version\":1,";
        assertTrue(recipe.contains(v1), recipe);
        byte[] old = withMetadata(good, x -> put(x, "recipe", recipe.replace(v1, "")));
        var loaded = QuantizedCheckpoint.load(WanConfig.tiny(), SafetensorsFile.ofBytes("m.safetensors", old));
        assertEquals(QuantizedCheckpoint.load(WanConfig.tiny(), SafetensorsFile.ofBytes("m.safetensors", good)).recipe(), loaded.recipe());
        String m = refusal(withMetadata(good, x -> put(x, "recipe", recipe.replace(v1, v1.replace("1", "7"))))).getMessage();
        assertTrue(m.contains("settings_version 7") && m.contains("'dvd'"), m);
        m = refusal(withMetadata(good, x -> put(x, "recipe", recipe.replace("\"seed\"", "\"sede\"")))).getMessage();
        assertTrue(m.contains("m.safetensors: __metadata__ recipe: ") && m.contains("'sede'"), m);
    }

    @Test
    void editedRecipeAndFormatKeysAreRefused() throws Exception {
        byte[] good = dvd();
        String recipe = SafetensorsFile.ofBytes("m", good).metadata().get("recipe");
        String bits = recipe.contains("\"weight_bits\" : 4") ? "\"weight_bits\" : 4" : "\"weight_bits\":4";
        String m = refusal(withMetadata(good, x -> put(x, "recipe", recipe.replace(bits, bits.replace("4", "8"))))).getMessage();
        assertTrue(m.contains("m.safetensors: __metadata__ recipe: weight_bits 8 but layer '") && m.contains("stores 4-bit weights"), m);

        String method = recipe.contains("\"method\" : \"dvd\"") ? "\"method\" : \"dvd\"" : "\"method\":\"dvd\"";
        m = refusal(withMetadata(good, x -> put(x, "recipe", recipe.replace(method, method.replace("dvd", "minmax"))))).getMessage();
        assertTrue(m.contains("method 'minmax' but __metadata__ method is 'dvd'"), m);

        m = refusal(withMetadata(good, x -> put(put(x, "recipe", recipe.replace(method, method.replace("dvd", "nosuch"))), "method", "nosuch")))
                .getMessage();
        assertTrue(m.contains("m.safetensors: __metadata__ recipe: unknown quantization method 'nosuch'"), m);

        m = refusal(withMetadata(good, x -> put(x, "format_version", "1"))).getMessage();
        assertTrue(m.contains("format_version 1") && m.contains("no per-tensor SHA-256 digests"), m);

        m = refusal(withMetadata(good, x -> { x.remove(TensorDigests.KEY); return x; })).getMessage();
        assertTrue(m.contains("m.safetensors: __metadata__ has no 'tensor_sha256'"), m);

        String sums = SafetensorsFile.ofBytes("m", good).metadata().get(TensorDigests.KEY);
        String first = sums.substring(sums.indexOf(":\"") + 2, sums.indexOf(":\"") + 66);
        String other = (first.charAt(0) == '0' ? "1" : "0") + first.substring(1);
        m = refusal(withMetadata(good, x -> put(x, TensorDigests.KEY, sums.replace(first, other)))).getMessage();
        assertTrue(m.contains("SHA-256 of its data is " + first), m);
    }

    @Test
    void truncatedAndExtendedFilesAreRefused() {
        byte[] good = dvd();
        for (int cut : new int[]{1, 100, good.length / 2, good.length - 9}) {
            String m = refusal(Arrays.copyOf(good, good.length - cut)).getMessage();
            assertTrue(m.startsWith("m.safetensors: "), m);
        }
        String m = refusal(Arrays.copyOf(good, good.length + 16)).getMessage();
        assertTrue(m.contains("16 trailing bytes after the last tensor's data"), m);
    }

    @Test
    void savedCheckpointsCarryADigestOfEveryTensorThatVerifies() {
        SafetensorsFile f = SafetensorsFile.ofBytes("m.safetensors", dvd());
        assertEquals(f.names().size(), TensorDigests.verify(f));
        assertEquals("2", f.metadata().get("format_version"));
    }

    /** Two identical runs write identical bytes (w4a8-gptq's recipe options were once written in varying order). */
    @Test
    void theSameQuantizationWritesTheSameBytes() throws Exception {
        byte[][] runs = new byte[2][];
        for (int i = 0; i < 2; i++) {
            Path out = dir.resolve("run" + i);
            var s = new QuantizePipeline.Settings(Presets.get("w4a8-gptq"), List.of("a red circle moving left"), 1, 6,
                    new int[]{4, 2, 8, 8}, 5f, 3.0, 8);
            QuantizePipeline.save(QuantizePipeline.run(WanModel.random(WanConfig.tiny(), 0), s, QuantizePipeline.Progress.NONE), out, DType.F32);
            runs[i] = Files.readAllBytes(out.resolve(QuantizedCheckpoint.WEIGHTS));
        }
        assertTrue(Arrays.equals(runs[0], runs[1]), "two w4a8-gptq runs differ");
    }

    /** Map.of's iteration order changes from one JVM to the next; the written recipe must not. */
    @Test
    void recipeOptionsAreWrittenInSortedKeyOrder() {
        Map<String, Object> ab = new LinkedHashMap<>(), ba = new LinkedHashMap<>();
        ab.put("damp", 0.01); ab.put("act_order", true); ab.put("nested", new java.util.TreeMap<>(Map.of("z", 1, "a", 2)));
        ba.put("nested", new LinkedHashMap<>(Map.of("z", 1))); ((Map<String, Object>) ba.get("nested")).put("a", 2);
        ba.put("act_order", true); ba.put("damp", 0.01);
        var r1 = io.vdq.quant.Recipe.of("r", "gptq", 4, 8, ab);
        var r2 = io.vdq.quant.Recipe.of("r", "gptq", 4, 8, ba);
        String w = io.vdq.quant.RecipeJson.write(r1);
        assertEquals(w, io.vdq.quant.RecipeJson.write(r2));
        assertTrue(w.indexOf("act_order") < w.indexOf("damp") && w.indexOf("\"a\"") < w.indexOf("\"z\""), w);
    }

    @Test
    void refusalsAreCheckpointErrorsNamingTheFile() {
        VdqException e = refusal(flip(dvd(), LAYER + ".scales", 0));
        assertTrue(e.getMessage().indexOf('\n') < 0);
    }
}
