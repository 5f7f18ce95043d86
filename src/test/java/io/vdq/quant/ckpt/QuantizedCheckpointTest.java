package io.vdq.quant.ckpt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.VdqException.CheckpointException;
import io.vdq.io.DType;
import io.vdq.io.SafetensorsFile;
import io.vdq.io.SafetensorsWriter;
import io.vdq.model.Linear;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.ActivationQuantizer;
import io.vdq.quant.Calibration;
import io.vdq.quant.Granularity;
import io.vdq.quant.Hadamard;
import io.vdq.quant.InputTransform;
import io.vdq.quant.Presets;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.QuantParams;
import io.vdq.quant.QuantReport;
import io.vdq.quant.QuantizedLinear;
import io.vdq.quant.Recipe;
import io.vdq.quant.SamplerHook;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file format: nibble order and dtypes against hand-built bytes, and refusal of bad or mismatched files. */
class QuantizedCheckpointTest {
    @TempDir Path dir;

    static final String LAYER = "blocks.0.attn1.to_q";
    static final int K = 24; // tiny: dim 24

    /** A tiny model whose blocks.0.attn1.to_q is a hand-built layer with the given codes (row-major 24 × 24). */
    static QuantReport handBuilt(WanModel m, int bits, boolean symmetric, int[] codes, ActivationBits ab, InputTransform t) {
        float[] scale = {0.5f};
        int[] zero = {symmetric ? 0 : 3};
        QuantParams p = new QuantParams(bits, symmetric, Granularity.PER_TENSOR, 0, K, K, scale, zero);
        float[] deq = new float[K * K];
        for (int i = 0; i < deq.length; i++) deq[i] = 0.5f * (codes[i] - zero[0]);
        m.replaceLinear(LAYER, new QuantizedLinear(K, K, deq, new float[K], codes, p, t, ActivationQuantizer.perToken(ab, true)));
        return new QuantReport("minmax", Recipe.of("hand", "minmax", bits, 8, Map.of()), List.of(), SamplerHook.NONE, ab);
    }

    static int[] pattern(int first, int second, int third, int fourth, int fill) {
        int[] c = new int[K * K];
        java.util.Arrays.fill(c, fill);
        c[0] = first; c[1] = second; c[2] = third; c[3] = fourth;
        return c;
    }

    Path saveHand(int bits, boolean symmetric, int[] codes) {
        WanModel m = WanModel.random(WanConfig.tiny(), 0);
        ActivationBits ab = new ActivationBits(8);
        QuantizedCheckpoint.save(dir, m, handBuilt(m, bits, symmetric, codes, ab, null), "abc", DType.F32, Map.of());
        return dir.resolve(QuantizedCheckpoint.WEIGHTS);
    }

    @Test
    void int4CodesArePackedLowNibbleFirstAsTwosComplement() {
        Path f = saveHand(4, true, pattern(1, -2, 7, -8, 0));
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            assertEquals(DType.U8, s.info(LAYER + ".qweight").dtype());
            assertArrayEquals(new long[]{K, K / 2}, s.info(LAYER + ".qweight").shape());
            byte[] b = s.readBytes(LAYER + ".qweight");
            assertEquals((byte) 0xE1, b[0]); // 1 in the low nibble, −2 = 0b1110 in the high nibble
            assertEquals((byte) 0x87, b[1]); // 7 low, −8 = 0b1000 high
            assertEquals(0, b[2]);
            assertArrayEquals(new float[]{0.5f}, s.readFloat(LAYER + ".scales").toArray());
            assertFalse(s.contains(LAYER + ".zeros"), "symmetric layers store no zero points");
        }
    }

    @Test
    void int8CodesAreI8WhenSymmetricAndU8WithZeroPointsWhenAsymmetric() {
        Path f = saveHand(8, true, pattern(-5, 127, -128, 0, 1));
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            assertEquals(DType.I8, s.info(LAYER + ".qweight").dtype());
            byte[] b = s.readBytes(LAYER + ".qweight");
            assertEquals((byte) 0xFB, b[0]);
            assertEquals((byte) 0x7F, b[1]);
            assertEquals((byte) 0x80, b[2]);
        }
        f = saveHand(8, false, pattern(250, 3, 0, 255, 9));
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            assertEquals(DType.U8, s.info(LAYER + ".qweight").dtype());
            assertEquals(250, s.readBytes(LAYER + ".qweight")[0] & 0xFF);
            assertEquals(DType.U8, s.info(LAYER + ".zeros").dtype());
            assertEquals(3, s.readBytes(LAYER + ".zeros")[0]);
        }
    }

    @Test
    void chainedTransformsAndStaticActivationsRoundTrip() {
        WanModel m = WanModel.random(WanConfig.tiny(), 0);
        ActivationBits ab = new ActivationBits(6);
        float[] div = new float[K];
        for (int j = 0; j < K; j++) div[j] = 1 + j / 8f;
        InputTransform t = InputTransform.divideChannels(div).andThen(InputTransform.hadamard(new Hadamard(K, 8, 42)));
        handBuilt(m, 3, true, pattern(3, -4, 0, 1, -1), ab, t);
        QuantParams sp = new QuantParams(6, true, Granularity.PER_TENSOR, 0, 1, K, new float[]{0.125f}, new int[]{0});
        QuantizedLinear q = (QuantizedLinear) m.linears().get(LAYER);
        m.replaceLinear(LAYER, new QuantizedLinear(K, K, q.dequantizedWeight(), q.bias(), q.codes(), q.weightParams(), t,
                new ActivationQuantizer(ab, true, Granularity.PER_TENSOR, 0, sp)));
        QuantReport rep = new QuantReport("minmax", Recipe.of("hand", "minmax", 3, 6, Map.of()), List.of(), SamplerHook.NONE, ab);
        QuantizedCheckpoint.save(dir, m, rep, "abc", DType.F32, Map.of());
        QuantizedCheckpoint.Loaded l = QuantizedCheckpoint.load(dir);
        QuantizedLinear r = assertInstanceOf(QuantizedLinear.class, l.model().linears().get(LAYER));
        var chain = assertInstanceOf(InputTransform.Chain.class, r.transform());
        assertArrayEquals(div, assertInstanceOf(InputTransform.DivideChannels.class, chain.first()).divisors());
        Hadamard h = assertInstanceOf(InputTransform.HadamardRotation.class, chain.next()).hadamard();
        assertEquals(8, h.block());
        assertEquals(42, h.seed());
        assertEquals(0.125f, r.activations().staticParams().scale()[0]);
        assertEquals(6, l.report().activationBits().get());
        // same outputs for the same input, bit for bit
        float[] x = new float[3 * K], y1 = new float[3 * K], y2 = new float[3 * K];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i * 0.7) * 3;
        m.linears().get(LAYER).forward(x, 0, 3, y1, 0);
        r.forward(x, 0, 3, y2, 0);
        assertArrayEquals(y1, y2);
    }

    /** A learned activation clipping ratio (S²Q act_clip) is stored and restored: same outputs bit for bit. */
    @Test
    void activationClipRoundTrips() {
        WanModel m = WanModel.random(WanConfig.tiny(), 0);
        ActivationBits ab = new ActivationBits(4);
        handBuilt(m, 4, true, pattern(3, -4, 0, 1, -1), ab, null);
        QuantizedLinear q = (QuantizedLinear) m.linears().get(LAYER);
        m.replaceLinear(LAYER, new QuantizedLinear(K, K, q.dequantizedWeight(), q.bias(), q.codes(), q.weightParams(), null,
                new ActivationQuantizer(ab, true, Granularity.PER_TOKEN, 0, null, 0.75f)));
        QuantizedCheckpoint.save(dir, m, new QuantReport("minmax", Recipe.of("hand", "minmax", 4, 4, Map.of()), List.of(), SamplerHook.NONE, ab),
                "abc", DType.F32, Map.of());
        QuantizedLinear r = assertInstanceOf(QuantizedLinear.class, QuantizedCheckpoint.load(dir).model().linears().get(LAYER));
        assertEquals(0.75f, r.activations().clip());
        float[] x = new float[3 * K], y1 = new float[3 * K], y2 = new float[3 * K];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i * 0.7) * 3;
        m.linears().get(LAYER).forward(x, 0, 3, y1, 0);
        r.forward(x, 0, 3, y2, 0);
        assertArrayEquals(y1, y2);
    }

    @Test
    void int8AttentionOfTheRecipeIsRestoredOnLoad() {
        WanModel m = WanModel.random(WanConfig.tiny(), 0);
        io.vdq.quant.Recipe r = io.vdq.quant.Presets.resolve("w8a8-minmax").withOption("int8_attention", true)
                .withOption("int8_attention_pv", true);
        QuantReport rep = io.vdq.quant.QuantMethods.apply(m, r, io.vdq.quant.Calibration.none());
        QuantizedCheckpoint.save(dir, m, rep, "abc", DType.F32, Map.of());
        WanModel loaded = QuantizedCheckpoint.load(dir).model();
        var lat = io.vdq.tensor.Tensor.randn(5, m.config().inChannels(), 2, 8, 8);
        var txt = io.vdq.tensor.Tensor.randn(6, 7, m.config().textDim());
        float[] want = m.forward(lat, 500f, txt).toArray();
        assertArrayEquals(want, loaded.forward(lat, 500f, txt).toArray(), 0f);
        loaded.setSelfAttention(null); // float attention gives other numbers: the loaded model did run the int8 kernel
        assertFalse(java.util.Arrays.equals(want, loaded.forward(lat, 500f, txt).toArray()));
    }

    // ---- refusals ----

    @Test
    void refusesARecipeWithInt8PVButNoInt8Attention() {
        WanModel m = WanModel.random(WanConfig.tiny(), 0);
        QuantReport rep = io.vdq.quant.QuantMethods.apply(m, io.vdq.quant.Presets.resolve("w8a8-minmax"), io.vdq.quant.Calibration.none());
        QuantReport bad = new QuantReport(rep.method(), rep.recipe().withOption("int8_attention_pv", true), rep.layers(), rep.hook(),
                rep.activationBits());
        QuantizedCheckpoint.save(dir, m, bad, "abc", DType.F32, Map.of());
        String msg = refusal();
        assertTrue(msg.contains(QuantizedCheckpoint.WEIGHTS) && msg.contains("__metadata__ recipe")
                && msg.contains("needs 'int8_attention: true'"), msg);
    }

    /** Rewrites the weights file through {@code edit}(writer, source) which re-adds what it wants. */
    void rewrite(BiConsumer<SafetensorsWriter, SafetensorsFile> edit) throws Exception {
        Path f = dir.resolve(QuantizedCheckpoint.WEIGHTS), copy = dir.resolve("orig.safetensors");
        Files.copy(f, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (SafetensorsFile s = SafetensorsFile.open(copy)) {
            SafetensorsWriter w = new SafetensorsWriter().withDigests();
            edit.accept(w, s);
            w.write(f);
        }
        Files.delete(copy);
    }

    static void copyAll(SafetensorsWriter w, SafetensorsFile s, String except) {
        for (String n : s.names()) if (!n.equals(except)) w.copy(s, n);
    }

    String refusal() { return assertThrows(CheckpointException.class, () -> QuantizedCheckpoint.load(dir)).getMessage(); }

    @Test
    void refusesTruncatedFile() throws Exception {
        Path f = saveHand(4, true, pattern(1, 2, 3, 4, 0));
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) { ch.truncate(ch.size() - 100); }
        String msg = refusal();
        assertTrue(msg.contains(f.toString()) && msg.contains("beyond the data region"), msg);
    }

    @Test
    void refusesMismatchedConfigAndUnknownFormatVersion() throws Exception {
        saveHand(4, true, pattern(1, 2, 3, 4, 0));
        Path cfg = dir.resolve("config.json");
        String good = Files.readString(cfg);
        Files.writeString(cfg, good.replace("\"num_layers\" : 2", "\"num_layers\" : 3").replace("\"num_layers\":2", "\"num_layers\":3"));
        assertTrue(refusal().contains("was written for config"));
        Files.writeString(cfg, good);
        rewrite((w, s) -> {
            Map<String, String> meta = new LinkedHashMap<>(s.metadata());
            meta.put("format_version", "3");
            w.metadata(meta);
            copyAll(w, s, null);
        });
        assertTrue(refusal().contains("format_version 3, this vdq reads version 2"));
    }

    @Test
    void refusesMissingWrongTypedAndUnexpectedTensors() throws Exception {
        saveHand(4, true, pattern(1, 2, 3, 4, 0));
        rewrite((w, s) -> { w.metadata(s.metadata()); copyAll(w, s, LAYER + ".scales"); });
        String msg = refusal();
        assertTrue(msg.contains("missing tensor '" + LAYER + ".scales'"), msg);

        saveHand(4, true, pattern(1, 2, 3, 4, 0));
        rewrite((w, s) -> {
            w.metadata(s.metadata());
            copyAll(w, s, LAYER + ".scales");
            w.add(LAYER + ".scales", s.readFloat(LAYER + ".scales"), DType.F16);
        });
        msg = refusal();
        assertTrue(msg.contains("'" + LAYER + ".scales' is F16, expected F32"), msg);

        saveHand(4, true, pattern(1, 2, 3, 4, 0));
        rewrite((w, s) -> {
            w.metadata(s.metadata());
            copyAll(w, s, null);
            w.addBytes(LAYER + ".extra", DType.U8, new long[]{1}, new byte[1]);
        });
        msg = refusal();
        assertTrue(msg.contains(LAYER + ".extra") && msg.contains("unexpected"), msg);
    }

    @Test
    void refusesFloatCheckpointAndOtherBase() {
        WanModel base = WanModel.random(WanConfig.tiny(), 0);
        base.save(dir);
        assertFalse(QuantizedCheckpoint.isQuantized(dir));
        assertTrue(refusal().contains("expected 'vdq-quantized'"));

        WanModel m = WanModel.random(WanConfig.tiny(), 0);
        String sha = m.fingerprint();
        QuantReport rep = handBuilt(m, 4, true, pattern(1, 2, 3, 4, 0), new ActivationBits(8), null);
        QuantizedCheckpoint.save(dir, m, rep, sha, DType.F32, Map.of());
        assertTrue(QuantizedCheckpoint.isQuantized(dir));
        QuantizedCheckpoint.Loaded l = QuantizedCheckpoint.load(dir);
        QuantizedCheckpoint.requireBase(l, base, "the seed-0 model"); // the same weights: accepted
        WanModel other = WanModel.random(WanConfig.tiny(), 1);
        String msg = assertThrows(CheckpointException.class, () -> QuantizedCheckpoint.requireBase(l, other, "the seed-1 model")).getMessage();
        assertTrue(msg.contains(sha) && msg.contains(other.fingerprint()), msg);
    }

    /** DVD's center_weights copy (w8/float) is not part of the format: saving refuses, naming the option and layer. */
    @Test
    void refusesDvdCentringCopiesItDoesNotStore() {
        WanModel m = WanModel.random(WanConfig.tiny(), 0);
        QuantReport rep = QuantMethods.apply(m, Presets.get("w4a4-dvd").withOption("center_weights", "w8"), Calibration.none());
        String msg = assertThrows(CheckpointException.class, () -> QuantizedCheckpoint.save(dir, m, rep, "x", DType.F32, Map.of())).getMessage();
        assertTrue(msg.contains("center_weights") && msg.contains("blocks.0."), msg);
        assertFalse(Files.exists(dir.resolve(QuantizedCheckpoint.WEIGHTS)), "nothing is written");
    }

    @Test
    void refusesToSaveLayersItCannotDescribe() {
        WanModel m = WanModel.random(WanConfig.tiny(), 0);
        ActivationBits ab = new ActivationBits(8);
        QuantReport rep = handBuilt(m, 4, true, pattern(1, 2, 3, 4, 0), ab, null);
        Linear odd = new Linear() {
            @Override public int inFeatures() { return K; }
            @Override public int outFeatures() { return K; }
            @Override public void forward(float[] x, int xOff, int rows, float[] y, int yOff) {}
        };
        m.replaceLinear("blocks.1.attn1.to_k", odd);
        String msg = assertThrows(CheckpointException.class, () -> QuantizedCheckpoint.save(dir, m, rep, "x", DType.F32, Map.of())).getMessage();
        assertTrue(msg.contains("blocks.1.attn1.to_k"), msg);
        assertFalse(Files.exists(dir.resolve(QuantizedCheckpoint.WEIGHTS)), "nothing is written when a layer cannot be saved");
    }

    @Test
    void metadataCarriesRecipeVersionsAndLayerDescriptors() throws Exception {
        Path f = saveHand(4, true, pattern(1, 2, 3, 4, 0));
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            Map<String, String> m = s.metadata();
            assertEquals("vdq-quantized", m.get("format"));
            assertEquals("2", m.get("format_version"));
            assertEquals("abc", m.get("base_sha256"));
            assertTrue(m.get("recipe").contains("\"method\" : \"minmax\"") || m.get("recipe").contains("\"method\":\"minmax\""), m.get("recipe"));
            var layers = new com.fasterxml.jackson.databind.ObjectMapper().readTree(m.get("layers"));
            assertEquals(1, layers.size());
            assertEquals("int4", layers.get(LAYER).get("weight").get("packing").asText());
            assertEquals(4, layers.get(LAYER).get("weight").get("bits").asInt());
        }
        assertTrue(new String(Files.readAllBytes(dir.resolve("config.json")), StandardCharsets.UTF_8).contains("num_layers"));
    }
}
