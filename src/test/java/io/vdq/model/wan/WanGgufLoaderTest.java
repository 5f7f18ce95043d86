package io.vdq.model.wan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.VdqException.CheckpointException;
import io.vdq.io.gguf.GgmlRefQuant;
import io.vdq.io.gguf.GgmlType;
import io.vdq.io.gguf.GgufFile;
import io.vdq.io.gguf.GgufValue;
import io.vdq.io.gguf.GgufWriter;
import io.vdq.io.gguf.WanGguf;
import io.vdq.io.gguf.WanNames;
import io.vdq.tensor.Tensor;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WanGgufLoaderTest {
    @TempDir Path dir;

    /** A GGUF in original Wan names without vdq keys, as city96's files are: the config comes from the shapes. */
    static Path cityStyle(Path dir, WanModel m, String arch) {
        GgufWriter w = new GgufWriter().put("general.architecture", GgufValue.string(arch));
        for (Map.Entry<String, Tensor> e : m.toTensors().entrySet()) {
            float[] x = e.getValue().toArray();
            long[] shape = new long[e.getValue().rank()];
            for (int i = 0; i < shape.length; i++) shape[i] = e.getValue().dim(i);
            String wan = WanNames.toWan(e.getKey(), "test");
            w.tensor(wan, GgmlType.F32, shape, GgmlRefQuant.encode(GgmlType.F32, x, 0, x.length));
        }
        Path p = dir.resolve(arch + ".gguf");
        w.write(p);
        return p;
    }

    @Test void infersTheConfigurationFromShapesWhenTheFileHasNoVdqKeys() {
        WanConfig c = new WanConfig(1, 2, 2, 3, 128, 16, 16, 32, 256, 768, 3, true, WanConfig.QK_NORM_ACROSS_HEADS, 1e-6f, 1024);
        WanModel m = WanModel.random(c, 1);
        WanModel back = WanGgufLoader.loadWan(cityStyle(dir, m, "wan"));
        assertEquals(c, back.config());
        assertEquals(m.toTensors().get("blocks.2.attn2.to_out.0.weight").toArray()[5],
                back.toTensors().get("blocks.2.attn2.to_out.0.weight").toArray()[5]);
    }

    @Test void refusesANonWanArchitecture() {
        WanConfig c = new WanConfig(1, 2, 2, 1, 128, 4, 4, 16, 256, 256, 1, true, WanConfig.QK_NORM_ACROSS_HEADS, 1e-6f, 1024);
        Path p = cityStyle(dir, WanModel.random(c, 2), "llama");
        CheckpointException e = assertThrows(CheckpointException.class, () -> WanGgufLoader.loadWan(p));
        assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("'llama'"), e.getMessage());
        try (GgufFile f = GgufFile.open(p)) {
            assertThrows(CheckpointException.class, () -> WanGguf.toDiffusers(f));
        }
    }

    @Test void namesRoundTripThroughTheRenameTable() {
        for (String d : new String[]{"scale_shift_table", "proj_out.bias", "blocks.7.attn2.add_k_proj.weight", "blocks.0.norm2.bias",
                "condition_embedder.image_embedder.ff.net.2.weight", "condition_embedder.image_embedder.pos_embed",
                "blocks.3.scale_shift_table", "blocks.1.attn2.norm_added_k.weight", "condition_embedder.time_proj.weight"}) {
            assertEquals(d, WanNames.toDiffusers(WanNames.toWan(d, "t"), "t"));
        }
        assertEquals("blocks.0.norm3.weight", WanNames.toWan("blocks.0.norm2.weight", "t"));
        assertEquals("head.modulation", WanNames.toWan("scale_shift_table", "t"));
        assertThrows(CheckpointException.class, () -> WanNames.toWan("model.layers.0.mlp.weight", "t"));
    }

    /** Mutated Wan GGUFs through the whole loader (reader, renaming, config inference, WanModel.load): only VdqExceptions. */
    @Test void mutatedWanFilesFailCleanlyInTheLoader() throws Exception {
        WanConfig c = new WanConfig(1, 2, 2, 1, 128, 4, 4, 16, 256, 256, 1, true, WanConfig.QK_NORM_ACROSS_HEADS, 1e-6f, 1024);
        byte[] ok = java.nio.file.Files.readAllBytes(cityStyle(dir, WanModel.random(c, 3), "wan"));
        java.util.SplittableRandom r = new java.util.SplittableRandom(99);
        int headerEnd;
        try (GgufFile f = GgufFile.open(dir.resolve("wan.gguf"))) { headerEnd = (int) f.dataStart(); }
        Path p = dir.resolve("m.gguf");
        for (int i = 0; i < 300; i++) {
            byte[] b = ok.clone();
            for (int k = 1 + r.nextInt(3); k > 0; k--) {
                int at = r.nextInt(headerEnd);
                b[at] = (byte) (r.nextBoolean() ? b[at] ^ (1 << r.nextInt(8)) : r.nextInt(256));
            }
            java.nio.file.Files.write(p, b);
            try {
                WanGgufLoader.loadWan(p);
            } catch (io.vdq.VdqException e) {
                assertTrue(!e.getMessage().contains("\n"), e.getMessage());
            } catch (RuntimeException e) {
                throw new AssertionError("case " + i + ": " + e, e);
            }
        }
    }
}
