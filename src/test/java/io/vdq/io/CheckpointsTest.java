package io.vdq.io;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.CheckpointException;
import io.vdq.VdqException.ConfigException;
import io.vdq.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointsTest {
    @TempDir Path dir;

    private static Map<String, Tensor> weights() {
        Map<String, Tensor> m = new TreeMap<>();
        m.put("blocks.0.attn1.to_q.weight", Tensor.randn(1, 4, 4));
        m.put("blocks.0.attn1.to_q.bias", Tensor.randn(2, 4));
        m.put("blocks.1.ffn.net.0.proj.weight", Tensor.randn(3, 8, 4));
        m.put("proj_out.weight", Tensor.randn(4, 4, 4));
        return m;
    }

    private static void assertSameWeights(Map<String, Tensor> want, TensorSource src) {
        assertEquals(want.keySet(), src.names());
        for (var e : want.entrySet()) assertArrayEquals(e.getValue().toArray(), src.readFloat(e.getKey()).toArray(), e.getKey());
    }

    @Test
    void shardedWritingSplitsByBytesAndReadsBackThroughTheIndex() throws Exception {
        Map<String, Tensor> w = weights();
        // 16*4 + 4*4 + 32*4 + 16*4 bytes; a 100-byte limit gives shards {bias, q.weight}, {ffn}, {proj_out}.
        Path index = new SafetensorsWriter().addAll(w, DType.F32).metadata("format", "pt").writeSharded(dir, "model", 100);
        assertEquals(dir.resolve("model.safetensors.index.json"), index);
        for (int i = 1; i <= 3; i++) assertTrue(Files.isRegularFile(dir.resolve("model-0000" + i + "-of-00003.safetensors")));
        try (TensorSource s = Checkpoints.open(dir)) {
            assertInstanceOf(ShardedCheckpoint.class, s);
            ShardedCheckpoint sc = (ShardedCheckpoint) s;
            assertSameWeights(w, s);
            assertEquals(3, sc.shards().size());
            assertEquals("model-00002-of-00003.safetensors", sc.shardOf("blocks.1.ffn.net.0.proj.weight").header().source()
                    .substring(dir.toString().length() + 1));
            assertEquals(String.valueOf(64 + 16 + 128 + 64), sc.indexMetadata().get("total_size"));
            assertEquals(Map.of("format", "pt"), s.metadata());
        }
        try (TensorSource s = Checkpoints.open(index)) { assertSameWeights(w, s); }
    }

    @Test
    void opensADiffusersPipelineFolderThroughItsTransformerSubfolder() throws Exception {
        Map<String, Tensor> w = weights();
        Path tr = dir.resolve("transformer");
        new SafetensorsWriter().addAll(w, DType.BF16).write(tr.resolve("diffusion_pytorch_model.safetensors"));
        Files.writeString(tr.resolve("config.json"), "{\"_class_name\":\"WanTransformer3DModel\",\"num_layers\":2,\"patch_size\":[1,2,2]}");
        Files.writeString(dir.resolve("model_index.json"), "{}");
        assertEquals(tr.resolve("diffusion_pytorch_model.safetensors"), Checkpoints.resolve(dir));
        assertEquals(tr.resolve("config.json").toAbsolutePath(), Checkpoints.configFile(dir).orElseThrow());
        try (TensorSource s = Checkpoints.open(dir)) {
            assertEquals(w.keySet(), s.names());
            assertEquals(DType.BF16, s.info("proj_out.weight").dtype());
        }
        JsonConfig c = JsonConfig.read(Checkpoints.configFile(tr).orElseThrow());
        assertEquals(2, c.getInt("num_layers"));
        assertEquals(List.of(1, 2, 2), c.getIntList("patch_size"));
    }

    @Test
    void prefersTheDiffusersIndexAndRefusesAmbiguousFolders() throws Exception {
        Map<String, Tensor> w = weights();
        new SafetensorsWriter().addAll(w, DType.F32).writeSharded(dir, "diffusion_pytorch_model", 120);
        new SafetensorsWriter().add("other", Tensor.zeros(1)).write(dir.resolve("stray.safetensors"));
        assertEquals(dir.resolve("diffusion_pytorch_model.safetensors.index.json"), Checkpoints.resolve(dir));

        Path two = dir.resolve("two");
        new SafetensorsWriter().add("a", Tensor.zeros(1)).write(two.resolve("a.safetensors"));
        new SafetensorsWriter().add("b", Tensor.zeros(1)).write(two.resolve("b.safetensors"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.open(two));
        assertTrue(e.getMessage().contains("several safetensors files [a.safetensors, b.safetensors]"), e.getMessage());

        Path variant = dir.resolve("variant");
        new SafetensorsWriter().addAll(w, DType.F16).writeSharded(variant, "diffusion_pytorch_model", 120);
        Files.move(variant.resolve("diffusion_pytorch_model.safetensors.index.json"),
                variant.resolve("diffusion_pytorch_model.safetensors.index.fp16.json"));
        try (TensorSource s = Checkpoints.open(variant)) { assertEquals(w.keySet(), s.names()); }

        Path empty = Files.createDirectories(dir.resolve("empty"));
        e = assertThrows(CheckpointException.class, () -> Checkpoints.open(empty));
        assertTrue(e.getMessage().startsWith(empty + ": no .safetensors file"), e.getMessage());
        e = assertThrows(CheckpointException.class, () -> Checkpoints.open(dir.resolve("missing")));
        assertTrue(e.getMessage().endsWith("missing: no such file or folder"), e.getMessage());
    }

    @Test
    void indexEntriesMustNameExistingShardsThatHoldTheTensor() throws Exception {
        new SafetensorsWriter().add("a", Tensor.zeros(2)).write(dir.resolve("s1.safetensors"));
        Path idx = dir.resolve("m.safetensors.index.json");

        Files.writeString(idx, "{\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\"}}");
        CheckpointException e = assertThrows(CheckpointException.class, () -> ShardedCheckpoint.open(idx));
        assertTrue(e.getMessage().startsWith(idx + ": tensor 'b': shard file 's2.safetensors' does not exist"), e.getMessage());

        Files.writeString(idx, "{\"weight_map\":{\"a\":\"s1.safetensors\",\"c\":\"s1.safetensors\"}}");
        e = assertThrows(CheckpointException.class, () -> ShardedCheckpoint.open(idx));
        assertTrue(e.getMessage().contains("tensor 'c': listed in weight_map under 's1.safetensors' but that file has no such tensor"), e.getMessage());

        Files.writeString(idx, "{\"weight_map\":{\"a\":\"../s1.safetensors\"}}");
        e = assertThrows(CheckpointException.class, () -> ShardedCheckpoint.open(idx));
        assertTrue(e.getMessage().contains("tensor 'a': shard name '../s1.safetensors' must be a file inside"), e.getMessage());

        Files.writeString(idx, "{\"weight_map\":{\"a\":3}}");
        e = assertThrows(CheckpointException.class, () -> ShardedCheckpoint.open(idx));
        assertTrue(e.getMessage().contains("tensor 'a': weight_map value must be a file name"), e.getMessage());

        Files.writeString(idx, "{\"metadata\":{}}");
        e = assertThrows(CheckpointException.class, () -> ShardedCheckpoint.open(idx));
        assertEquals(idx + ": index has no weight_map object", e.getMessage());

        Files.writeString(idx, "{\"weight_map\":");
        e = assertThrows(CheckpointException.class, () -> ShardedCheckpoint.open(idx));
        assertTrue(e.getMessage().startsWith(idx + ": index is not well-formed JSON"), e.getMessage());

        Files.writeString(idx, "{\"weight_map\":{\"a\":\"s1.safetensors\"}}");
        try (ShardedCheckpoint s = ShardedCheckpoint.open(idx)) {
            assertArrayEquals(new float[2], s.readFloat("a").toArray());
        }
    }

    @Test
    void jsonConfigGettersNameTheFileAndKey() throws Exception {
        Path f = dir.resolve("config.json");
        Files.writeString(f, "{\"num_layers\":30,\"eps\":1e-6,\"qk_norm\":\"rms_norm_across_heads\",\"cross_attn_norm\":true,"
                + "\"patch_size\":[1,2,2],\"image_dim\":null,\"big\":5000000000,\"sub\":{\"x\":1}}");
        JsonConfig c = JsonConfig.read(f);
        assertEquals(30, c.getInt("num_layers"));
        assertEquals(7, c.getInt("missing", 7));
        assertEquals(1e-6, c.getDouble("eps"));
        assertEquals(30.0, c.getDouble("num_layers"));
        assertEquals("rms_norm_across_heads", c.getString("qk_norm"));
        assertTrue(c.getBoolean("cross_attn_norm"));
        assertEquals(List.of(1, 2, 2), c.getIntList("patch_size"));
        assertFalse(c.has("image_dim"));
        assertTrue(c.has("eps"));
        assertEquals("d", c.getString("image_dim", "d"));
        assertEquals(5_000_000_000L, c.getLong("big"));
        assertEquals(1, c.getObject("sub").getInt("x"));
        assertEquals(30, c.raw().get("num_layers"));
        assertEquals(List.of(1, 2, 2), c.raw().get("patch_size"));

        ConfigException e = assertThrows(ConfigException.class, () -> c.getInt("missing"));
        assertEquals(f + ": missing key 'missing'", e.getMessage());
        e = assertThrows(ConfigException.class, () -> c.getInt("eps"));
        assertEquals(f + ": key 'eps' must be an integer, found 1.0E-6", e.getMessage());
        e = assertThrows(ConfigException.class, () -> c.getInt("big"));
        assertTrue(e.getMessage().contains("key 'big' must be an integer"));
        e = assertThrows(ConfigException.class, () -> c.getBoolean("num_layers"));
        assertEquals(f + ": key 'num_layers' must be true or false, found 30", e.getMessage());
        assertThrows(ConfigException.class, () -> c.getIntList("qk_norm"));
        assertThrows(ConfigException.class, () -> c.getString("num_layers"));
        e = assertThrows(ConfigException.class, () -> c.getObject("sub").getString("x"));
        assertEquals(f + ": sub: key 'x' must be a string, found 1", e.getMessage());

        Files.writeString(f, "[1]");
        e = assertThrows(ConfigException.class, () -> JsonConfig.read(f));
        assertTrue(e.getMessage().startsWith(f + ": expected a JSON object"), e.getMessage());
        Files.writeString(f, "{\"a\":");
        e = assertThrows(ConfigException.class, () -> JsonConfig.read(f));
        assertTrue(e.getMessage().startsWith(f + ": not well-formed JSON"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> JsonConfig.read(dir.resolve("none.json")));
        assertTrue(e.getMessage().endsWith("none.json: no such file"), e.getMessage());
    }

    @Test
    void aShardLinkedToAFileOutsideTheFolderIsRefused() throws Exception {
        Path outside = dir.resolve("elsewhere");
        new SafetensorsWriter().add("a", Tensor.zeros(2)).write(outside.resolve("secret.safetensors"));
        Path model = dir.resolve("model");
        Files.createDirectories(model);
        Files.createSymbolicLink(model.resolve("s1.safetensors"), outside.resolve("secret.safetensors"));
        Path idx = model.resolve("m.safetensors.index.json");
        Files.writeString(idx, "{\"weight_map\":{\"a\":\"s1.safetensors\"}}");
        CheckpointException e = assertThrows(CheckpointException.class, () -> ShardedCheckpoint.open(idx));
        assertTrue(e.getMessage().startsWith(idx + ": tensor 'a': shard 's1.safetensors' resolves to ")
                && e.getMessage().contains("outside the model folder"), e.getMessage());
        // a link that stays inside the folder is fine
        Files.delete(model.resolve("s1.safetensors"));
        Files.move(outside.resolve("secret.safetensors"), model.resolve("real.safetensors"));
        Files.createSymbolicLink(model.resolve("s1.safetensors"), model.resolve("real.safetensors"));
        try (ShardedCheckpoint s = ShardedCheckpoint.open(idx)) {
            assertArrayEquals(new float[2], s.readFloat("a").toArray());
        }
    }
}
