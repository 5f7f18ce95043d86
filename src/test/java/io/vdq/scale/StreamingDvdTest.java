package io.vdq.scale;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.CheckpointException;
import io.vdq.VdqException.ConfigException;
import io.vdq.cli.Main;
import io.vdq.io.Checkpoints;
import io.vdq.io.SafetensorsFile;
import io.vdq.io.TensorSource;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.quant.Calibration;
import io.vdq.quant.Presets;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.QuantReport;
import io.vdq.quant.ckpt.QuantizedCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamingDvdTest {
    @TempDir Path dir;

    /** The streamed folder is the file an in-memory quantization saves: same tensors byte for byte, same metadata. */
    @Test
    void streamedCheckpointIsTheInMemoryQuantizationsFile() throws Exception {
        WanConfig c = SyntheticCheckpointTest.small();
        SyntheticCheckpoint.write(c, dir.resolve("ck"), SyntheticCheckpointTest.OPT, null);
        for (String recipe : new String[]{"w4a4-dvd", "w4a8-dvd", "w4a6-dvd+gbs_delta=0.05"}) {
            Path out = dir.resolve("q-" + recipe.replace('+', '_').replace('=', '_'));
            StreamingDvd.Summary sum;
            try (TensorSource src = Checkpoints.open(dir.resolve("ck"))) {
                sum = StreamingDvd.quantize(c, src, Presets.resolve(recipe), out, null);
            }
            WanModel m;
            try (TensorSource src = Checkpoints.open(dir.resolve("ck"))) {
                m = WanModel.load(c, src);
            }
            String base = m.fingerprint();
            QuantReport rep = QuantMethods.apply(m, Presets.resolve(recipe), Calibration.none());
            assertEquals(20, sum.layers().size());
            assertTrue(sum.allOrdered());
            for (int i = 0; i < rep.layers().size(); i++)
                assertEquals(rep.layers().get(i).stages(), sum.layers().get(i).stages(), rep.layers().get(i).name());
            Path mem = dir.resolve("mem");
            QuantizedCheckpoint.save(mem, m, rep, base, io.vdq.io.DType.BF16, Map.of("source", "x"));
            try (SafetensorsFile a = SafetensorsFile.open(out.resolve(QuantizedCheckpoint.WEIGHTS));
                 SafetensorsFile b = SafetensorsFile.open(mem.resolve(QuantizedCheckpoint.WEIGHTS))) {
                assertEquals(b.names(), a.names(), recipe);
                for (String n : a.names()) assertArrayEquals(b.readBytes(n), a.readBytes(n), recipe + " " + n);
                Map<String, String> ma = new java.util.TreeMap<>(a.metadata()), mb = new java.util.TreeMap<>(b.metadata());
                assertTrue(ma.remove("source").contains("ck"));
                mb.remove("source");
                assertEquals(mb, ma, recipe + ": metadata (base hash included)");
            }
            // and it runs: the loaded checkpoint's forward is the in-memory model's, bit for bit
            QuantizedCheckpoint.Loaded l = QuantizedCheckpoint.load(out);
            io.vdq.tensor.Tensor x = io.vdq.tensor.Tensor.randn(3, c.inChannels(), 2, 8, 8), text = io.vdq.tensor.Tensor.randn(4, 6, c.textDim());
            assertArrayEquals(m.forward(x, 500f, text).toArray(), l.model().forward(x, 500f, text).toArray(), recipe);
            Files.walk(mem).sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    @Test
    void automaticDeltaIsRefusedBeforeAnythingIsWritten() throws Exception {
        WanConfig c = SyntheticCheckpointTest.small();
        SyntheticCheckpoint.write(c, dir.resolve("ck"), SyntheticCheckpointTest.OPT, null);
        try (TensorSource src = Checkpoints.open(dir.resolve("ck"))) {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> StreamingDvd.quantize(c, src, Presets.get("w4a6-dvd"), dir.resolve("x"), null));
            assertTrue(e.getMessage().contains("gbs_delta"), e.getMessage());
            e = assertThrows(ConfigException.class, () -> StreamingDvd.quantize(c, src,
                    Presets.get("w4a4-dvd").withOption("center_weights", "w8"), dir.resolve("x"), null));
            assertTrue(e.getMessage().contains("center_weights"), e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve("x")));
    }

    @Test
    void refusesOtherMethodsAndUnexpectedTensors() throws Exception {
        WanConfig c = SyntheticCheckpointTest.small();
        SyntheticCheckpoint.write(c, dir.resolve("ck"), SyntheticCheckpointTest.OPT, null);
        try (TensorSource src = Checkpoints.open(dir.resolve("ck"))) {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> StreamingDvd.quantize(c, src, Presets.get("w4a4-minmax"), dir.resolve("x"), null));
            assertTrue(e.getMessage().contains("minmax"), e.getMessage());
            WanConfig fewer = new WanConfig(1, 2, 2, 2, 48, c.inChannels(), c.outChannels(), 32, c.freqDim(), 192, 1, true,
                    c.qkNorm(), c.eps(), c.ropeMaxSeqLen());
            CheckpointException x = assertThrows(CheckpointException.class,
                    () -> StreamingDvd.quantize(fewer, src, Presets.get("w4a4-dvd"), dir.resolve("x"), null));
            assertTrue(x.getMessage().contains("blocks.1."), x.getMessage());
        }
        assertFalse(Files.exists(dir.resolve("x")));
    }

    @Test
    void commandsWriteACheckpointAndAReportWithOrderedStages() throws Exception {
        Path ck = dir.resolve("ck"), q = dir.resolve("q");
        assertEquals(0, Main.run("make-checkpoint", "--shape", "tiny", "--layers", "1", "--prompts", "1", "--out", ck.toString(), "--quiet"));
        assertEquals(0, Main.run("stream-quantize", "--model", ck.toString(), "--out", q.toString(), "--quiet"));
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(q.resolve("quant_report.json").toFile());
        assertTrue(json.get("all_ordered").asBoolean());
        assertEquals(10, json.get("layers").size());
        for (var l : json.get("layers")) {
            double mm = l.get("minmax_rel_sq").asDouble(), b = l.get("bounded_init_rel_sq").asDouble(), r = l.get("refined_rel_sq").asDouble();
            assertTrue(r <= b && b <= mm && r > 0, l.toString());
            assertEquals(1 - r / mm, l.get("reduction_vs_minmax").asDouble(), 1e-12);
        }
        assertTrue(Files.exists(q.resolve("config.json")) && Files.exists(q.resolve(QuantizedCheckpoint.WEIGHTS)));
        // the folder is a quantized checkpoint that generate runs
        Path run = dir.resolve("run");
        assertEquals(0, Main.run("generate", "--model", q.toString(), "--prompt-embeds", ck.resolve("prompts/prompt-0.safetensors").toString(),
                "--steps", "2", "--frames", "5", "--height", "64", "--width", "64", "--out", run.toString(), "--quiet"));
        try (SafetensorsFile f = SafetensorsFile.open(run.resolve("latents.safetensors"))) {
            assertEquals("w4a4-dvd", f.metadata().get("quant"));
            assertEquals("true", f.metadata().get("quant_checkpoint"));
        }
        // a second run into the same folder replaces it; a folder of other files is refused
        assertEquals(0, Main.run("stream-quantize", "--model", ck.toString(), "--out", q.toString(), "--quiet"));
        Files.createDirectories(dir.resolve("other"));
        Files.writeString(dir.resolve("other").resolve("notes.txt"), "x", java.nio.file.StandardOpenOption.CREATE_NEW);
        assertEquals(1, Main.run("stream-quantize", "--model", ck.toString(), "--out", dir.resolve("other").toString(), "--quiet"));
        assertTrue(Files.exists(dir.resolve("other").resolve("notes.txt")));
    }

    @Test
    void outputCarriesVerifiedDigestsAndNonFiniteWeightsAreRefusedNamingLayerAndRow() throws Exception {
        WanConfig c = SyntheticCheckpointTest.small();
        SyntheticCheckpoint.write(c, dir.resolve("ck"), SyntheticCheckpointTest.OPT, null);
        Path out = dir.resolve("q");
        try (TensorSource src = Checkpoints.open(dir.resolve("ck"))) {
            StreamingDvd.quantize(c, src, Presets.get("w4a4-dvd"), out, null);
        }
        try (SafetensorsFile q = SafetensorsFile.open(out.resolve(QuantizedCheckpoint.WEIGHTS))) {
            assertEquals(q.names().size(), io.vdq.io.TensorDigests.verify(q));
        }
        Path file = dir.resolve("ck").resolve(SyntheticCheckpoint.WEIGHTS_FILE);
        byte[] b = Files.readAllBytes(file);
        long at;
        int in;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            var t = f.info("blocks.0.attn1.to_k.weight");
            in = (int) t.shape()[1];
            at = f.header().dataStart() + t.begin() + (long) (2 * in + 5) * t.dtype().bytes; // row 2, column 5
            assertEquals(io.vdq.io.DType.BF16, t.dtype());
        }
        b[(int) at] = (byte) 0x80;       // BF16 +Inf: 0x7F80, little-endian
        b[(int) at + 1] = (byte) 0x7F;
        Files.write(file, b);
        try (TensorSource src = Checkpoints.open(dir.resolve("ck"))) {
            var e = assertThrows(CheckpointException.class, () -> StreamingDvd.quantize(c, src, Presets.get("w4a4-dvd"), dir.resolve("q2"), null));
            assertTrue(e.getMessage().contains("layer 'blocks.0.attn1.to_k': weight row 2 column 5 is Infinity"), e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve("q2").resolve(QuantizedCheckpoint.WEIGHTS)));
    }
}
