package io.vdq.model.wan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.VdqException.CheckpointException;
import io.vdq.VdqException.ConfigException;
import io.vdq.io.InMemoryTensorSource;
import io.vdq.model.FloatLinear;
import io.vdq.model.Linear;
import io.vdq.tensor.Parallel;
import io.vdq.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Loading, naming, export and determinism of the Wan model. */
class WanModelTest {
    static final WanConfig TINY = WanConfig.tiny();

    private static Tensor run(WanModel m) {
        return m.forward(Tensor.randn(1, 4, 2, 8, 8), 640f, Tensor.randn(2, 7, 16));
    }

    @Test
    void exportedTensorsReloadToTheSameModel() {
        WanModel a = WanModel.random(TINY, 42);
        WanModel b = WanModel.load(TINY, new InMemoryTensorSource(a.toTensors()));
        assertArrayEquals(run(a).toArray(), run(b).toArray());
        assertEquals(WanParameters.expectedShapes(TINY).keySet(), a.toTensors().keySet());
        assertEquals(a.fingerprint(), b.fingerprint());
        assertEquals(64, a.fingerprint().length());
        Map<String, Tensor> t = a.toTensors();
        t.get("blocks.1.norm2.bias").data()[3] += 1e-6f;
        assertTrue(!a.fingerprint().equals(WanModel.load(TINY, new InMemoryTensorSource(t)).fingerprint()), "one changed value changes the hash");
    }

    @Test
    void registersEveryLinearByDiffusersPrefixInForwardOrder() {
        WanModel m = WanModel.random(TINY, 1);
        var names = m.linears().keySet().stream().toList();
        assertEquals(7 + 10 * TINY.numLayers(), names.size());
        assertEquals("patch_embedding", names.get(0));
        assertEquals("condition_embedder.time_proj", names.get(3));
        assertEquals("blocks.0.attn1.to_q", names.get(6));
        assertEquals("blocks.1.ffn.net.2", names.get(names.size() - 2));
        assertEquals("proj_out", names.getLast());
        assertEquals(TINY.patchIn(), m.linears().get("patch_embedding").inFeatures());
    }

    @Test
    void replacedLinearIsUsedByTheForward() {
        WanModel m = WanModel.random(TINY, 3);
        Tensor before = run(m);
        FloatLinear old = (FloatLinear) m.linears().get("blocks.1.attn1.to_v");
        int[] calls = {0};
        m.replaceLinear("blocks.1.attn1.to_v", new Linear() {
            public int inFeatures() { return old.inFeatures(); }
            public int outFeatures() { return old.outFeatures(); }
            public void forward(float[] x, int xo, int rows, float[] y, int yo) { calls[0]++; old.forward(x, xo, rows, y, yo); }
        });
        assertArrayEquals(before.toArray(), run(m).toArray());
        assertEquals(1, calls[0]);
        assertThrows(ConfigException.class, () -> m.replaceLinear("blocks.9.attn1.to_v", old));
        Linear wrong = new FloatLinear(new float[24 * 32], null, 32, 24);
        ConfigException e = assertThrows(ConfigException.class, () -> m.replaceLinear("blocks.0.attn1.to_q", wrong));
        assertTrue(e.getMessage().contains("24×24"), e.getMessage());
    }

    @Test
    void missingTensorIsNamedWithItsShape() {
        Map<String, Tensor> t = new LinkedHashMap<>(WanModel.randomTensors(TINY, 0));
        t.remove("blocks.1.attn2.norm_k.weight");
        CheckpointException e = assertThrows(CheckpointException.class, () -> WanModel.load(TINY, new InMemoryTensorSource(t)));
        assertTrue(e.getMessage().contains("missing tensor 'blocks.1.attn2.norm_k.weight' of shape [24]"), e.getMessage());
    }

    @Test
    void extraTensorIsNamed() {
        Map<String, Tensor> t = new LinkedHashMap<>(WanModel.randomTensors(TINY, 0));
        t.put("blocks.2.attn1.to_q.weight", Tensor.zeros(24, 24));
        CheckpointException e = assertThrows(CheckpointException.class, () -> WanModel.load(TINY, new InMemoryTensorSource(t)));
        assertTrue(e.getMessage().contains("unexpected tensor blocks.2.attn1.to_q.weight"), e.getMessage());
    }

    @Test
    void misshapedTensorIsNamedWithExpectedShape() {
        Map<String, Tensor> t = new LinkedHashMap<>(WanModel.randomTensors(TINY, 0));
        t.put("condition_embedder.time_proj.weight", Tensor.zeros(24, 144));
        CheckpointException e = assertThrows(CheckpointException.class, () -> WanModel.load(TINY, new InMemoryTensorSource(t)));
        assertTrue(e.getMessage().contains("'condition_embedder.time_proj.weight' has shape [24, 144], expected [144, 24]"), e.getMessage());
    }

    @Test
    void originalWanNamesAreMappedToTheSameModel() {
        Map<String, Tensor> diff = WanModel.randomTensors(TINY, 9);
        Map<String, Tensor> orig = new LinkedHashMap<>();
        for (var e : diff.entrySet()) {
            String n = e.getKey()
                    .replace("condition_embedder.text_embedder.linear_1", "text_embedding.0")
                    .replace("condition_embedder.text_embedder.linear_2", "text_embedding.2")
                    .replace("condition_embedder.time_embedder.linear_1", "time_embedding.0")
                    .replace("condition_embedder.time_embedder.linear_2", "time_embedding.2")
                    .replace("condition_embedder.time_proj", "time_projection.1")
                    .replace("attn1.to_out.0", "self_attn.o").replace("attn2.to_out.0", "cross_attn.o")
                    .replace("attn1.to_", "self_attn.").replace("attn2.to_", "cross_attn.")
                    .replace("attn1.", "self_attn.").replace("attn2.", "cross_attn.")
                    .replace("norm2.", "norm3.").replace("ffn.net.0.proj", "ffn.0").replace("ffn.net.2", "ffn.2")
                    .replace("proj_out", "head.head");
            if (n.equals("scale_shift_table")) n = "head.modulation";
            n = n.replace(".scale_shift_table", ".modulation");
            orig.put(n, e.getValue());
        }
        assertTrue(orig.containsKey("blocks.0.self_attn.q.weight") && orig.containsKey("blocks.0.norm3.bias"));
        WanModel a = WanModel.load(TINY, new InMemoryTensorSource(diff));
        WanModel b = WanModel.load(TINY, new InMemoryTensorSource(orig));
        assertArrayEquals(run(a).toArray(), run(b).toArray());
        orig.put("img_emb.proj.0.weight", Tensor.zeros(2));
        CheckpointException e = assertThrows(CheckpointException.class, () -> WanModel.load(TINY, new InMemoryTensorSource(orig)));
        assertTrue(e.getMessage().contains("img_emb.proj.0.weight") && e.getMessage().contains("image-to-video"), e.getMessage());
    }

    @Test
    void forwardIsBitIdenticalForOneAndTwoThreads() {
        WanModel m = WanModel.random(TINY, 11);
        int saved = Parallel.threads();
        try {
            Parallel.setThreads(1);
            float[] one = run(m).toArray();
            Parallel.setThreads(2);
            float[] two = run(m).toArray();
            assertArrayEquals(one, two);
        } finally {
            Parallel.setThreads(saved);
        }
    }

    @Test
    void configParsesDiffusersKeysAndRefusesImageToVideo() {
        WanConfig c = WanConfig.parse("""
                {"_class_name": "WanTransformer3DModel", "patch_size": [1, 2, 2], "num_attention_heads": 12,
                 "attention_head_dim": 128, "in_channels": 16, "out_channels": 16, "text_dim": 4096, "freq_dim": 256,
                 "ffn_dim": 8960, "num_layers": 30, "cross_attn_norm": true, "qk_norm": "rms_norm_across_heads",
                 "eps": 1e-06, "image_dim": null, "added_kv_proj_dim": null, "rope_max_seq_len": 1024}""", "config.json");
        assertEquals(WanConfig.wan21T2V1_3B(), c);
        assertEquals(1536, c.dim());
        assertEquals(c, WanConfig.parse(c.toJson(), "round trip"));
        ConfigException e = assertThrows(ConfigException.class,
                () -> WanConfig.parse("{\"num_attention_heads\": 2, \"attention_head_dim\": 12, \"image_dim\": 1280}", "i2v/config.json"));
        assertTrue(e.getMessage().contains("i2v/config.json: image_dim"), e.getMessage());
        e = assertThrows(ConfigException.class,
                () -> WanConfig.parse("{\"num_attention_heads\": 2, \"attention_head_dim\": 12, \"added_kv_proj_dim\": 5120}", "x"));
        assertTrue(e.getMessage().contains("added_kv_proj_dim"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> WanConfig.parse("{\"num_layers\": \"thirty\"}", "bad.json"));
        assertTrue(e.getMessage().contains("num_layers"), e.getMessage());
    }

    @Test
    void originalRepositoryConfigIsMapped() {
        WanConfig c = WanConfig.parse("""
                {"dim": 1536, "ffn_dim": 8960, "freq_dim": 256, "in_dim": 16, "model_type": "t2v", "num_heads": 12,
                 "num_layers": 30, "out_dim": 16, "text_len": 512}""", "orig.json");
        assertEquals(WanConfig.wan21T2V1_3B(), c);
        assertThrows(ConfigException.class, () -> WanConfig.parse("{\"dim\": 1536, \"num_heads\": 12, \"model_type\": \"i2v\"}", "o"));
    }

    @Test
    void linearHookSeesEveryLayerOnceWithItsShapesAndIsRemovable() throws Exception {
        WanModel m = WanModel.random(TINY, 21);
        Tensor before = run(m);
        Map<String, int[]> seen = new LinkedHashMap<>();
        double[] patchInputSum = {0};
        LinearHook hook = new LinearHook() {
            @Override public void input(String name, float[] x, int xOff, int rows, int in) {
                seen.put(name, new int[]{rows, in});
                if (name.equals("patch_embedding")) for (int i = 0; i < rows * in; i++) patchInputSum[0] += x[xOff + i];
            }
        };
        try (AutoCloseable h = hook.install(m)) {
            assertArrayEquals(before.toArray(), run(m).toArray());
        }
        assertEquals(m.linears().keySet().stream().toList(), seen.keySet().stream().toList());
        assertArrayEquals(new int[]{32, 16}, seen.get("patch_embedding"));      // 2·4·4 tokens, 4 channels × 1×2×2
        assertArrayEquals(new int[]{7, 24}, seen.get("blocks.0.attn2.to_k"));   // the 7 text tokens
        assertArrayEquals(new int[]{1, 256}, seen.get("condition_embedder.time_embedder.linear_1"));
        double sum = 0;
        for (float v : Tensor.randn(1, 4, 2, 8, 8).toArray()) sum += v;           // patchify only reorders the latents
        assertEquals(sum, patchInputSum[0], 1e-3);
        assertTrue(m.linears().values().stream().noneMatch(l -> l instanceof LinearHook.Observed), "hooks removed");
    }
}
