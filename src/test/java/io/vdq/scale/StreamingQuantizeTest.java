package io.vdq.scale;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ConfigException;
import io.vdq.cli.Main;
import io.vdq.io.Checkpoints;
import io.vdq.io.DType;
import io.vdq.io.SafetensorsFile;
import io.vdq.io.ShardedCheckpoint;
import io.vdq.io.TensorSource;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.quant.Calibration;
import io.vdq.quant.Presets;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.QuantReport;
import io.vdq.quant.ckpt.QuantizedCheckpoint;
import io.vdq.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamingQuantizeTest {
    @TempDir Path dir;

    /** Shards small enough that the 2-block test model gets several (head, blocks, tail cut apart). */
    private static final long SMALL_SHARDS = 40_000;

    /**
     * For every kind of data-free recipe the shards hold exactly the tensors of an in-memory quantization's
     * single file, byte for byte, the index's metadata is that file's (less the digests, which the shards keep),
     * and the loaded sharded checkpoint (layers mapped, decoded per call) computes the in-memory model's forward
     * bit for bit.
     */
    @Test
    void shardsHoldTheInMemoryQuantizationForEveryDataFreeMethod() throws Exception {
        WanConfig c = SyntheticCheckpointTest.small();
        SyntheticCheckpoint.write(c, dir.resolve("ck"), SyntheticCheckpointTest.OPT, null);
        for (String recipe : new String[]{"w4a4-dvd", "w4a8-minmax", "w4a4-quarot-rtn", "w4a4/8-dvd+gbs_delta=0.05"}) {
            Path out = dir.resolve("q-" + recipe.replaceAll("[^a-z0-9]", "_"));
            StreamingQuantize.Summary sum;
            try (TensorSource src = Checkpoints.open(dir.resolve("ck"))) {
                sum = StreamingQuantize.quantize(c, src, Presets.resolve(recipe), out, SMALL_SHARDS, Map.of("base_model", "x"), null);
            }
            assertTrue(sum.shards() >= 3, recipe + ": " + sum.shards() + " shards");
            assertEquals(0, sum.keptShards());
            WanModel m;
            try (TensorSource src = Checkpoints.open(dir.resolve("ck"))) {
                m = WanModel.load(c, src);
            }
            String base = m.fingerprint();
            assertEquals(base, sum.baseSha256(), recipe);
            QuantReport rep = QuantMethods.apply(m, Presets.resolve(recipe), Calibration.none());
            assertEquals(rep.layers().size(), sum.layers().size());
            Path mem = dir.resolve("mem-" + out.getFileName());
            QuantizedCheckpoint.save(mem, m, rep, base, DType.BF16, Map.of("base_model", "x"));
            try (ShardedCheckpoint a = ShardedCheckpoint.open(out.resolve(QuantizedCheckpoint.INDEX));
                 SafetensorsFile b = SafetensorsFile.open(mem.resolve(QuantizedCheckpoint.WEIGHTS))) {
                assertEquals(b.names(), a.names(), recipe);
                for (String n : a.names()) assertArrayEquals(b.readBytes(n), a.readBytes(n), recipe + " " + n);
                Map<String, String> ma = new TreeMap<>(a.indexMetadata()), mb = new TreeMap<>(b.metadata());
                assertTrue(ma.remove("source").contains("ck"));
                mb.remove(io.vdq.io.TensorDigests.KEY);
                assertEquals(mb, ma, recipe + ": metadata (base hash included)");
            }
            QuantizedCheckpoint.Loaded l = QuantizedCheckpoint.load(out);
            Tensor x = Tensor.randn(3, c.inChannels(), 2, 8, 8), text = Tensor.randn(4, 6, c.textDim());
            assertArrayEquals(m.forward(x, 500f, text).toArray(), l.model().forward(x, 500f, text).toArray(), recipe);
        }
    }

    /**
     * A run stopped part-way (here by an exception after some layers; a kill -9 leaves the same state: committed
     * shards and at most one temporary file) leaves only whole shards and no index or config.json; the rerun keeps
     * those shards and produces the same bytes as an uninterrupted run.
     */
    @Test
    void anInterruptedRunLeavesWholeShardsAndTheRerunResumes() throws Exception {
        WanConfig c = SyntheticCheckpointTest.small();
        SyntheticCheckpoint.write(c, dir.resolve("ck"), SyntheticCheckpointTest.OPT, null);
        Path whole = dir.resolve("whole"), part = dir.resolve("part");
        try (TensorSource src = Checkpoints.open(dir.resolve("ck"))) {
            StreamingQuantize.quantize(c, src, Presets.get("w4a4-dvd"), whole, SMALL_SHARDS, Map.of(), null);
            RuntimeException stop = new RuntimeException("stop");
            RuntimeException e = assertThrows(RuntimeException.class, () -> StreamingQuantize.quantize(c, src, Presets.get("w4a4-dvd"), part,
                    SMALL_SHARDS, Map.of(), (done, total, last) -> { if (done == 14) throw stop; }));
            assertSame(stop, e);
        }
        assertFalse(Files.exists(part.resolve("config.json")));
        assertFalse(Files.exists(part.resolve(QuantizedCheckpoint.INDEX)));
        List<Path> left = list(part);
        assertFalse(left.isEmpty());
        for (Path p : left) {
            assertFalse(p.getFileName().toString().contains(".tmp-"), p.toString());
            try (SafetensorsFile f = SafetensorsFile.open(p)) {   // whole, committed shards
                assertEquals(f.names().size(), io.vdq.io.TensorDigests.verify(f));
            }
        }
        // a temporary file as a kill -9 would leave it is cleaned up by the rerun
        Files.writeString(part.resolve("diffusion_pytorch_model-00002-of-00005.safetensors.tmp-123"), "half");
        StreamingQuantize.Summary s;
        try (TensorSource src = Checkpoints.open(dir.resolve("ck"))) {
            s = StreamingQuantize.quantize(c, src, Presets.get("w4a4-dvd"), part, SMALL_SHARDS, Map.of(), null);
        }
        assertEquals(left.size(), s.keptShards());
        assertTrue(s.layers().size() < 20 && s.layers().size() > 0, "quantized again: " + s.layers().size());
        List<Path> a = list(whole), b = list(part);
        assertEquals(a.stream().map(p -> p.getFileName().toString()).toList(), b.stream().map(p -> p.getFileName().toString()).toList());
        for (int i = 0; i < a.size(); i++) assertArrayEquals(Files.readAllBytes(a.get(i)), Files.readAllBytes(b.get(i)), a.get(i).toString());
        assertArrayEquals(Files.readAllBytes(whole.resolve(QuantizedCheckpoint.INDEX)), Files.readAllBytes(part.resolve(QuantizedCheckpoint.INDEX)));
        // a different recipe replans every shard: nothing is kept
        try (TensorSource src = Checkpoints.open(dir.resolve("ck"))) {
            assertEquals(0, StreamingQuantize.quantize(c, src, Presets.get("w4a8-dvd"), part, SMALL_SHARDS, Map.of(), null).keptShards());
        }
    }

    @Test
    void recipesThatNeedDataAreRefusedBeforeAnythingIsWritten() throws Exception {
        WanConfig c = SyntheticCheckpointTest.small();
        SyntheticCheckpoint.write(c, dir.resolve("ck"), SyntheticCheckpointTest.OPT, null);
        try (TensorSource src = Checkpoints.open(dir.resolve("ck"))) {
            for (String r : new String[]{"w4a8-gptq", "w4a4-quarot", "w4a8-smoothquant", "w4a8-minmax+static_activations=true", "w4a4/8-dvd"}) {
                ConfigException e = assertThrows(ConfigException.class,
                        () -> StreamingQuantize.quantize(c, src, Presets.resolve(r), dir.resolve("x"), SMALL_SHARDS, Map.of(), null));
                assertTrue(e.getMessage().contains("calibration data") || e.getMessage().contains("gbs_delta"), e.getMessage());
            }
        }
        assertFalse(Files.exists(dir.resolve("x")));
    }

    /** vdq quantize --stream writes the sharded folder; inspect reads it; generate runs it. */
    @Test
    void quantizeStreamThenInspectAndGenerate() throws Exception {
        Path ck = dir.resolve("ck"), q = dir.resolve("q");
        assertEquals(0, Main.run("make-checkpoint", "--shape", "tiny", "--layers", "2", "--prompts", "1", "--shard-size", "20000",
                "--out", ck.toString(), "--quiet"));
        assertTrue(Files.exists(ck.resolve(SyntheticCheckpoint.INDEX_FILE)));
        assertEquals(0, Main.run("quantize", "--model", ck.toString(), "--recipe", "w4a4-dvd", "--stream", "--shard-size", "10000",
                "--out", q.toString(), "--quiet"));
        assertTrue(Files.exists(q.resolve(QuantizedCheckpoint.INDEX)) && Files.exists(q.resolve("config.json")));
        assertTrue(list(q).size() >= 3, list(q).toString());
        assertTrue(QuantizedCheckpoint.isQuantized(q));
        // inspect summarises the checkpoint's layers from the index (2 blocks × attn1 q/k/v/out, attn2 q/k/v/out, FFN up/down)
        // and lists the index's metadata, as it does for a single-file checkpoint
        String text = stdout(() -> assertEquals(0, Main.run("inspect", q.toString(), "--no-tensors")));
        assertTrue(text.contains("quantized layers: 20 (arq ×20; weight bits 4 ×20), recipe w4a4-dvd, method dvd"), text);
        assertTrue(text.contains("metadata (index):\n  activation_bits: 4"), text);
        var js = new com.fasterxml.jackson.databind.ObjectMapper().readTree(stdout(() -> assertEquals(0, Main.run("inspect", q.toString(), "--json"))));
        assertEquals(20, js.get("quantized_layers").get("count").asInt());
        assertEquals("vdq-quantized", js.get("index_metadata").get("format").asText());
        Path run = dir.resolve("run");
        assertEquals(0, Main.run("generate", "--model", q.toString(), "--prompt-embeds", ck.resolve("prompts/prompt-0.safetensors").toString(),
                "--steps", "1", "--frames", "5", "--height", "64", "--width", "64", "--out", run.toString(), "--quiet"));
        try (SafetensorsFile f = SafetensorsFile.open(run.resolve("latents.safetensors"))) {
            assertEquals("w4a4-dvd", f.metadata().get("quant"));
        }
    }

    /**
     * {@code vdq stream-quantize} is {@code quantize --stream} with recipe w4a4-dvd: the same shards byte for byte, and
     * quant_report.json carries DVD's per-layer BGR report (refined ≤ bounded init ≤ MinMax, the reduction 1 − refined/MinMax
     * recomputed here from the stored errors); generate runs the folder; a rerun resumes; a folder of other files is refused.
     */
    @Test
    void streamQuantizeIsQuantizeStreamWithTheBgrReportAndGenerateRunsIt() throws Exception {
        Path ck = dir.resolve("ck"), q = dir.resolve("q"), q2 = dir.resolve("q2");
        assertEquals(0, Main.run("make-checkpoint", "--shape", "tiny", "--layers", "1", "--prompts", "1", "--out", ck.toString(), "--quiet"));
        assertEquals(0, Main.run("stream-quantize", "--model", ck.toString(), "--out", q.toString(), "--shard-size", "20000", "--quiet"));
        assertEquals(0, Main.run("quantize", "--model", ck.toString(), "--recipe", "w4a4-dvd", "--stream", "--out", q2.toString(),
                "--shard-size", "20000", "--quiet"));
        assertEquals(list(q2).stream().map(p -> p.getFileName().toString()).toList(), list(q).stream().map(p -> p.getFileName().toString()).toList());
        assertTrue(list(q).size() >= 2, list(q).toString());
        for (Path shard : list(q)) assertArrayEquals(Files.readAllBytes(q2.resolve(shard.getFileName())), Files.readAllBytes(shard), shard.toString());
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(q.resolve("quant_report.json").toFile());
        assertEquals("stream-quantize", json.get("command").asText());
        assertEquals("w4a4-dvd", json.get("recipe").asText());
        assertTrue(json.get("all_ordered").asBoolean());
        assertEquals(10, json.get("layers").size());
        double sum = 0;
        for (var l : json.get("layers")) {
            double mm = l.get("minmax_rel_sq").asDouble(), b = l.get("bounded_init_rel_sq").asDouble(), r = l.get("refined_rel_sq").asDouble();
            assertTrue(r <= b && b <= mm && r > 0, l.toString());
            assertEquals(1 - r / mm, l.get("reduction_vs_minmax").asDouble(), 1e-12);
            sum += 1 - r / mm;
        }
        assertEquals(sum / 10, json.get("mean_reduction_vs_minmax").asDouble(), 1e-12);
        try (ShardedCheckpoint a = ShardedCheckpoint.open(q.resolve(QuantizedCheckpoint.INDEX))) {
            assertEquals(a.names().size(), io.vdq.io.TensorDigests.verify(a));
        }
        Path run = dir.resolve("run");
        assertEquals(0, Main.run("generate", "--model", q.toString(), "--prompt-embeds", ck.resolve("prompts/prompt-0.safetensors").toString(),
                "--steps", "2", "--frames", "5", "--height", "64", "--width", "64", "--out", run.toString(), "--quiet"));
        try (SafetensorsFile f = SafetensorsFile.open(run.resolve("latents.safetensors"))) {
            assertEquals("w4a4-dvd", f.metadata().get("quant"));
            assertEquals("true", f.metadata().get("quant_checkpoint"));
        }
        // a second run into the same folder resumes (every shard kept); a folder of other files is refused, untouched
        assertEquals(0, Main.run("stream-quantize", "--model", ck.toString(), "--out", q.toString(), "--shard-size", "20000", "--quiet"));
        assertEquals(0, new com.fasterxml.jackson.databind.ObjectMapper().readTree(q.resolve("quant_report.json").toFile()).get("layers_this_run").asInt());
        Files.createDirectories(dir.resolve("other"));
        Files.writeString(dir.resolve("other").resolve("notes.txt"), "x");
        assertEquals(1, Main.run("stream-quantize", "--model", ck.toString(), "--out", dir.resolve("other").toString(), "--quiet"));
        try (Stream<Path> other = Files.list(dir.resolve("other"))) {
            assertEquals(List.of(dir.resolve("other").resolve("notes.txt")), other.toList());
        }
    }

    /** DVD's weight centring other than "quantized" and a config that does not match the tensors are refused before anything is written. */
    @Test
    void centredWeightCopiesAndMismatchedShapesAreRefused() throws Exception {
        WanConfig c = SyntheticCheckpointTest.small();
        SyntheticCheckpoint.write(c, dir.resolve("ck"), SyntheticCheckpointTest.OPT, null);
        try (TensorSource src = Checkpoints.open(dir.resolve("ck"))) {
            ConfigException e = assertThrows(ConfigException.class, () -> StreamingQuantize.quantize(c, src,
                    Presets.get("w4a4-dvd").withOption("center_weights", "w8"), dir.resolve("x"), SMALL_SHARDS, Map.of(), null));
            assertTrue(e.getMessage().contains("center_weights"), e.getMessage());
            WanConfig fewer = new WanConfig(1, 2, 2, 2, 48, c.inChannels(), c.outChannels(), 32, c.freqDim(), 192, 1, true,
                    c.qkNorm(), c.eps(), c.ropeMaxSeqLen());
            var x = assertThrows(io.vdq.VdqException.CheckpointException.class,
                    () -> StreamingQuantize.quantize(fewer, src, Presets.get("w4a4-dvd"), dir.resolve("x"), SMALL_SHARDS, Map.of(), null));
            assertTrue(x.getMessage().contains("blocks.1."), x.getMessage());
        }
        assertFalse(Files.exists(dir.resolve("x")));
    }

    /** A non-finite source weight is refused in one line naming the layer, row and column; no index is written. */
    @Test
    void nonFiniteWeightsAreRefusedNamingLayerAndRow() throws Exception {
        WanConfig c = SyntheticCheckpointTest.small();
        SyntheticCheckpoint.write(c, dir.resolve("ck"), SyntheticCheckpointTest.OPT, null);
        Path file = dir.resolve("ck").resolve(SyntheticCheckpoint.WEIGHTS_FILE);
        byte[] b = Files.readAllBytes(file);
        long at;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            var t = f.info("blocks.0.attn1.to_k.weight");
            int in = (int) t.shape()[1];
            at = f.header().dataStart() + t.begin() + (long) (2 * in + 5) * t.dtype().bytes; // row 2, column 5
            assertEquals(DType.BF16, t.dtype());
        }
        b[(int) at] = (byte) 0x80;       // BF16 +Inf: 0x7F80, little-endian
        b[(int) at + 1] = (byte) 0x7F;
        Files.write(file, b);
        try (TensorSource src = Checkpoints.open(dir.resolve("ck"))) {
            var e = assertThrows(io.vdq.VdqException.CheckpointException.class,
                    () -> StreamingQuantize.quantize(c, src, Presets.get("w4a4-dvd"), dir.resolve("q2"), SMALL_SHARDS, Map.of(), null));
            assertTrue(e.getMessage().contains("layer 'blocks.0.attn1.to_k': weight row 2 column 5 is Infinity"), e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve("q2").resolve(QuantizedCheckpoint.INDEX)));
    }

    private static String stdout(Runnable r) {
        java.io.PrintStream old = System.out;
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        try {
            System.setOut(new java.io.PrintStream(buf, true, java.nio.charset.StandardCharsets.UTF_8));
            r.run();
        } finally {
            System.setOut(old);
        }
        return buf.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static List<Path> list(Path d) throws Exception {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(d)) {
            s.filter(p -> p.getFileName().toString().startsWith("diffusion_pytorch_model-")).sorted().forEach(out::add);
        }
        return out;
    }
}
