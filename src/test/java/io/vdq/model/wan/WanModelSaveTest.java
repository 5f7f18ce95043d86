package io.vdq.model.wan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vdq.io.Checkpoints;
import io.vdq.io.DType;
import io.vdq.io.TensorSource;
import io.vdq.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tiny random model saved as a diffusers folder through the real writer loads back through the real reader. */
class WanModelSaveTest {
    @TempDir Path dir;

    @Test
    void tinyRandomModelSavedAsDiffusersFolderLoadsBackWithAnIdenticalForward() throws Exception {
        WanModel a = WanModel.random(WanConfig.tiny(), 7);
        Path folder = dir.resolve("tiny-wan/transformer");
        a.save(folder);
        try (var files = Files.list(folder)) {
            assertFalse(files.anyMatch(p -> p.toString().endsWith(".tmp")), "no temporary files left behind");
        }

        // config.json carries the diffusers test configuration
        JsonNode cfg = new ObjectMapper().readTree(folder.resolve("config.json").toFile());
        assertEquals("WanTransformer3DModel", cfg.get("_class_name").asText());
        assertEquals(2, cfg.get("num_layers").asInt());
        assertEquals(2, cfg.get("num_attention_heads").asInt());
        assertEquals(12, cfg.get("attention_head_dim").asInt());
        assertEquals(32, cfg.get("ffn_dim").asInt());
        assertEquals(4, cfg.get("in_channels").asInt());
        assertEquals(4, cfg.get("out_channels").asInt());
        assertEquals(16, cfg.get("text_dim").asInt());

        // opened the way a user's folder is: the pipeline folder resolves to transformer/
        Path config = Checkpoints.configFile(dir.resolve("tiny-wan")).orElseThrow();
        WanConfig c = WanConfig.read(config);
        assertEquals(WanConfig.tiny(), c);
        WanModel b;
        try (TensorSource src = Checkpoints.open(dir.resolve("tiny-wan"))) {
            assertEquals("pt", src.metadata().get("format"));
            // diffusers names and shapes, stored as F32 (dim 24 = 2 heads × 12, ffn 32, patch 1×2×2 × 4 channels)
            assertArrayEquals(new long[]{24, 24}, src.info("blocks.0.attn1.to_q.weight").shape());
            assertArrayEquals(new long[]{32, 24}, src.info("blocks.1.ffn.net.0.proj.weight").shape());
            assertArrayEquals(new long[]{24, 4, 1, 2, 2}, src.info("patch_embedding.weight").shape());
            assertArrayEquals(new long[]{16, 24}, src.info("proj_out.weight").shape());
            assertArrayEquals(new long[]{1, 6, 24}, src.info("blocks.1.scale_shift_table").shape());
            assertEquals(DType.F32, src.info("condition_embedder.text_embedder.linear_1.weight").dtype());
            assertEquals(WanParameters.expectedShapes(c).keySet(), src.names());
            b = WanModel.load(c, src);
        }
        Tensor x = Tensor.randn(11, 4, 2, 8, 8), text = Tensor.randn(12, 5, 16);
        assertArrayEquals(a.forward(x, 730f, text).toArray(), b.forward(x, 730f, text).toArray());
        assertEquals(a.fingerprint(), b.fingerprint());
        assertTrue(a.parameterCount() > 0);
    }
}
