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
import io.vdq.quant.LayerReport;
import io.vdq.quant.Presets;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.QuantReport;
import io.vdq.quant.dvd.ArqLinear;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StreamingDvdTest {
    @TempDir Path dir;

    @Test
    void streamedCodesEqualTheInMemoryQuantizationAndOtherTensorsAreCopied() throws Exception {
        WanConfig c = SyntheticCheckpointTest.small();
        SyntheticCheckpoint.write(c, dir.resolve("ck"), SyntheticCheckpointTest.OPT, null);
        Path out = dir.resolve("q.safetensors");
        StreamingDvd.Summary sum;
        try (TensorSource src = Checkpoints.open(dir.resolve("ck"))) {
            sum = StreamingDvd.quantize(c, src, Presets.get("w4a4-dvd"), out, null);
        }
        WanModel m;
        try (TensorSource src = Checkpoints.open(dir.resolve("ck"))) {
            m = WanModel.load(c, src);
        }
        QuantReport rep = QuantMethods.apply(m, Presets.get("w4a4-dvd"), Calibration.none());
        assertEquals(rep.layers().size(), sum.layers().size());
        assertEquals(20, sum.layers().size());
        assertTrue(sum.allOrdered());
        try (SafetensorsFile q = SafetensorsFile.open(out); SafetensorsFile src = SafetensorsFile.open(dir.resolve("ck").resolve(SyntheticCheckpoint.WEIGHTS_FILE))) {
            assertEquals("vdq-dvd-stream", q.metadata().get("format"));
            for (int i = 0; i < rep.layers().size(); i++) {
                LayerReport mem = rep.layers().get(i), st = sum.layers().get(i);
                assertEquals(mem.name(), st.name());
                assertEquals(mem.stages(), st.stages(), mem.name());
                ArqLinear a = (ArqLinear) m.linears().get(mem.name());
                byte[] packed = q.readBytes(mem.name() + ".qweight");
                byte[] codes = a.weights().codes();
                assertEquals(codes.length / 2, packed.length);
                for (int k = 0; k < codes.length; k++) {
                    int nib = (packed[k / 2] >> (4 * (k % 2))) & 0xF; // even index in the low nibble
                    assertEquals(codes[k] & 0xFF, nib, mem.name() + " code " + k);
                }
                assertArrayEquals(a.weights().scales(), q.readFloat(mem.name() + ".scales").data(), mem.name());
                assertArrayEquals(a.weights().zeros(), q.readFloat(mem.name() + ".zeros").data(), mem.name());
                assertFalse(q.contains(mem.name() + ".weight"));
            }
            int copied = 0;
            for (String n : src.names()) {
                if (!q.contains(n)) continue;
                copied++;
                assertArrayEquals(src.readBytes(n), q.readBytes(n), n);
            }
            assertEquals(sum.copied(), copied);
            assertEquals(src.names().size() - 20, copied, "every tensor but the 20 quantized weights");
            var layers = new com.fasterxml.jackson.databind.ObjectMapper().readTree(q.metadata().get("dvd_layers"));
            assertEquals(1234 + 3, layers.get("blocks.0.attn1.to_out.0").get("seed").asLong(), "recipe seed + forward index");
            assertEquals(64, layers.get("blocks.1.ffn.net.2").get("rotation_block").asInt(), "largest power of two dividing 192 = 3·64");
        }
    }

    @Test
    void refusesOtherMethodsAndUnexpectedTensors() throws Exception {
        WanConfig c = SyntheticCheckpointTest.small();
        SyntheticCheckpoint.write(c, dir.resolve("ck"), SyntheticCheckpointTest.OPT, null);
        try (TensorSource src = Checkpoints.open(dir.resolve("ck"))) {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> StreamingDvd.quantize(c, src, Presets.get("w4a4-minmax"), dir.resolve("x.safetensors"), null));
            assertTrue(e.getMessage().contains("minmax"), e.getMessage());
            WanConfig fewer = new WanConfig(1, 2, 2, 2, 48, c.inChannels(), c.outChannels(), 32, c.freqDim(), 192, 1, true,
                    c.qkNorm(), c.eps(), c.ropeMaxSeqLen());
            CheckpointException x = assertThrows(CheckpointException.class,
                    () -> StreamingDvd.quantize(fewer, src, Presets.get("w4a4-dvd"), dir.resolve("x.safetensors"), null));
            assertTrue(x.getMessage().contains("blocks.1."), x.getMessage());
        }
        assertFalse(Files.exists(dir.resolve("x.safetensors")));
    }

    @Test
    void commandsWriteACheckpointAndAReportWithOrderedStages() throws Exception {
        Path ck = dir.resolve("ck"), q = dir.resolve("q");
        assertEquals(0, Main.run("make-checkpoint", "--shape", "tiny", "--layers", "1", "--out", ck.toString(), "--quiet"));
        assertEquals(0, Main.run("stream-quantize", "--model", ck.toString(), "--out", q.toString(), "--quiet"));
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(q.resolve("quant_report.json").toFile());
        assertTrue(json.get("all_ordered").asBoolean());
        assertEquals(10, json.get("layers").size());
        for (var l : json.get("layers")) {
            double mm = l.get("minmax_rel_sq").asDouble(), b = l.get("bounded_init_rel_sq").asDouble(), r = l.get("refined_rel_sq").asDouble();
            assertTrue(r <= b && b <= mm && r > 0, l.toString());
            assertEquals(1 - r / mm, l.get("reduction_vs_minmax").asDouble(), 1e-12);
        }
        assertTrue(Files.exists(q.resolve("config.json")) && Files.exists(q.resolve("quantized.safetensors")));
    }

    @Test
    void outputCarriesVerifiedDigestsAndNonFiniteWeightsAreRefusedNamingLayerAndRow() throws Exception {
        WanConfig c = SyntheticCheckpointTest.small();
        SyntheticCheckpoint.write(c, dir.resolve("ck"), SyntheticCheckpointTest.OPT, null);
        Path out = dir.resolve("q.safetensors");
        try (TensorSource src = Checkpoints.open(dir.resolve("ck"))) {
            StreamingDvd.quantize(c, src, Presets.get("w4a4-dvd"), out, null);
        }
        try (SafetensorsFile q = SafetensorsFile.open(out)) {
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
            var e = assertThrows(CheckpointException.class, () -> StreamingDvd.quantize(c, src, Presets.get("w4a4-dvd"), dir.resolve("q2.safetensors"), null));
            assertTrue(e.getMessage().contains("layer 'blocks.0.attn1.to_k': weight row 2 column 5 is Infinity"), e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve("q2.safetensors")));
    }
}
