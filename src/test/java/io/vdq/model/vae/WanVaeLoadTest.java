package io.vdq.model.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.VdqException;
import io.vdq.VdqException.CheckpointException;
import io.vdq.VdqException.ConfigException;
import io.vdq.VdqException.ShapeException;
import io.vdq.io.DType;
import io.vdq.io.InMemoryTensorSource;
import io.vdq.io.SafetensorsFile;
import io.vdq.io.SafetensorsWriter;
import io.vdq.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Config parsing, synthetic folders, and the one-line errors for missing or malformed VAE files. */
class WanVaeLoadTest {
    @TempDir Path tmp;

    static Map<String, Tensor> fixtureWeights() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(WanVaeReferenceTest.resource("f32/diffusion_pytorch_model.safetensors"))) {
            for (String n : f.names()) m.put(n, f.readFloat(n).copy());
        }
        return m;
    }

    static WanVaeConfig fixtureConfig() { return WanVaeConfig.read(WanVaeReferenceTest.resource("f32/config.json")); }

    static void assertOneLine(VdqException e, String... parts) {
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + p + "' in: " + e.getMessage());
    }

    @Test void wan21ConfigRoundTripsThroughDiffusersJson() throws IOException {
        WanVaeConfig c = WanVaeConfig.wan21();
        Path f = tmp.resolve("config.json");
        Files.writeString(f, c.toJson());
        WanVaeConfig r = WanVaeConfig.read(f);
        assertEquals(16, r.zDim());
        assertEquals(96, r.baseDim());
        assertArrayEquals(new int[]{1, 2, 4, 4}, r.dimMult());
        assertEquals(2, r.numResBlocks());
        assertArrayEquals(new boolean[]{false, true, true}, r.temperalDownsample());
        assertArrayEquals(c.latentsMean(), r.latentsMean());
        assertArrayEquals(c.latentsStd(), r.latentsStd());
        assertTrue(c.toJson().contains("\"_class_name\" : \"AutoencoderKLWan\""));
    }

    @Test void missingKeysTakeDiffusersDefaults() throws IOException {
        Path f = tmp.resolve("config.json");
        Files.writeString(f, "{\"_class_name\": \"AutoencoderKLWan\"}");
        WanVaeConfig r = WanVaeConfig.read(f);
        assertEquals(96, r.baseDim());
        assertEquals(-0.7571f, r.latentsMean()[0]);
        assertEquals(1.9160f, r.latentsStd()[15]);
    }

    @Test void refusesOptionsItDoesNotImplement() throws IOException {
        Path f = tmp.resolve("config.json");
        Files.writeString(f, "{\"attn_scales\": [0.5]}");
        assertOneLine(assertThrows(ConfigException.class, () -> WanVaeConfig.read(f)), f.toString(), "attn_scales");
        Files.writeString(f, "{\"is_residual\": true}");
        assertOneLine(assertThrows(ConfigException.class, () -> WanVaeConfig.read(f)), f.toString(), "is_residual");
        Files.writeString(f, "{\"dim_mult\": [1, 2], \"temperal_downsample\": [true, true]}");
        assertOneLine(assertThrows(ConfigException.class, () -> WanVaeConfig.read(f)), f.toString(), "temperal_downsample");
        Files.writeString(f, "{\"z_dim\": 4}");
        assertOneLine(assertThrows(ConfigException.class, () -> WanVaeConfig.read(f)), f.toString(), "latents_mean");
    }

    @Test void missingConfigNamesTheFile() {
        assertOneLine(assertThrows(ConfigException.class, () -> WanVae.load(tmp)), tmp.resolve("config.json").toString());
    }

    @Test void missingWeightsNameTheFile() throws IOException {
        Files.writeString(tmp.resolve("config.json"), WanVaeConfig.tiny().toJson());
        assertOneLine(assertThrows(CheckpointException.class, () -> WanVae.load(tmp)),
                tmp.resolve("diffusion_pytorch_model.safetensors").toString());
    }

    @Test void wrongShapeNamesTheFileAndTensor() throws IOException {
        Map<String, Tensor> w = fixtureWeights();
        w.put("decoder.conv_in.weight", Tensor.zeros(16, 4, 3, 3, 1));
        Files.copy(WanVaeReferenceTest.resource("f32/config.json"), tmp.resolve("config.json"));
        Path file = tmp.resolve("diffusion_pytorch_model.safetensors");
        new SafetensorsWriter().addAll(w, DType.F32).write(file);
        assertOneLine(assertThrows(CheckpointException.class, () -> WanVae.load(tmp)),
                file.toString(), "decoder.conv_in.weight", "[16, 4, 3, 3, 1]", "[16, 4, 3, 3, 3]");
    }

    @Test void missingAndUnexpectedTensorsAreNamed() {
        Map<String, Tensor> w = fixtureWeights();
        w.remove("decoder.up_blocks.1.upsamplers.0.time_conv.weight");
        assertOneLine(assertThrows(CheckpointException.class, () -> WanVae.fromSource(fixtureConfig(), new InMemoryTensorSource(w))),
                "in-memory weights", "decoder.up_blocks.1.upsamplers.0.time_conv.weight");
        Map<String, Tensor> w2 = fixtureWeights();
        w2.put("decoder.extra.weight", Tensor.zeros(1));
        assertOneLine(assertThrows(CheckpointException.class, () -> WanVae.fromSource(fixtureConfig(), new InMemoryTensorSource(w2))),
                "unexpected tensor", "decoder.extra.weight");
    }

    @Test void layoutUsesDiffusersNames() {
        var s = WanVaeLayout.shapes(WanVaeConfig.wan21());
        assertArrayEquals(new int[]{384, 16, 3, 3, 3}, s.get("decoder.conv_in.weight"));
        assertArrayEquals(new int[]{384, 1, 1, 1}, s.get("decoder.mid_block.resnets.0.norm1.gamma"));
        assertArrayEquals(new int[]{1152, 384, 1, 1}, s.get("decoder.mid_block.attentions.0.to_qkv.weight"));
        assertArrayEquals(new int[]{192, 384, 3, 3}, s.get("decoder.up_blocks.0.upsamplers.0.resample.1.weight"));
        assertArrayEquals(new int[]{768, 384, 3, 1, 1}, s.get("decoder.up_blocks.0.upsamplers.0.time_conv.weight"));
        assertArrayEquals(new int[]{384, 192, 1, 1, 1}, s.get("decoder.up_blocks.1.resnets.0.conv_shortcut.weight"));
        assertArrayEquals(new int[]{96, 192, 3, 3}, s.get("decoder.up_blocks.2.upsamplers.0.resample.1.weight"));
        assertFalse(s.containsKey("decoder.up_blocks.2.upsamplers.0.time_conv.weight"));
        assertArrayEquals(new int[]{3, 96, 3, 3, 3}, s.get("decoder.conv_out.weight"));
        assertArrayEquals(new int[]{16, 16, 1, 1, 1}, s.get("post_quant_conv.weight"));
        assertArrayEquals(new int[]{96, 96, 3, 3}, s.get("encoder.down_blocks.2.resample.1.weight"));
        assertFalse(s.containsKey("encoder.down_blocks.2.time_conv.weight"));
        assertArrayEquals(new int[]{192, 192, 3, 1, 1}, s.get("encoder.down_blocks.5.time_conv.weight"));
        assertArrayEquals(new int[]{32, 384, 3, 3, 3}, s.get("encoder.conv_out.weight"));
        assertArrayEquals(new int[]{32, 32, 1, 1, 1}, s.get("quant_conv.weight"));
        // 127 M parameters is the size the Wan2.1 report gives for its VAE; the exact counts pin this layout
        assertEquals(127.0, WanVaeLayout.parameters(WanVaeConfig.wan21()) / 1e6, 0.5);
        assertEquals(194, s.size());
        assertEquals(126_892_531L, WanVaeLayout.parameters(WanVaeConfig.wan21()));
    }

    @Test void syntheticFolderLoadsAndDecodesToTheVideoShape() {
        WanVaeConfig c = WanVaeConfig.tiny();
        SyntheticVae.write(tmp, c, 3, DType.BF16);
        try (WanVae v = WanVae.load(tmp)) {
            assertEquals(16, v.config().zDim());
            Tensor out = v.decodeNormalized(Tensor.randn(5, 16, 2, 2, 3));
            assertArrayEquals(new int[]{3, 5, 16, 24}, out.shape().dims());
            for (float x : out.toArray()) assertTrue(x >= -1f && x <= 1f);
            Tensor mu = v.encode(Tensor.randn(6, 3, 5, 16, 24));
            assertArrayEquals(new int[]{16, 2, 2, 3}, mu.shape().dims());
            assertThrows(ShapeException.class, () -> v.encode(Tensor.zeros(3, 4, 16, 24)));
            assertThrows(ShapeException.class, () -> v.decode(Tensor.zeros(4, 1, 2, 2)));
        }
    }
}
