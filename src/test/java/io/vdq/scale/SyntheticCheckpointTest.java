package io.vdq.scale;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.io.Checkpoints;
import io.vdq.io.DType;
import io.vdq.io.SafetensorsFile;
import io.vdq.io.TensorCodec;
import io.vdq.io.TensorSource;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.model.wan.WanParameters;
import io.vdq.tensor.Parallel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticCheckpointTest {
    @TempDir Path dir;

    /** heads 2 × 48 = dim 96, ffn 192, 2 layers, text 32: wide enough for per-column statistics. */
    static WanConfig small() {
        WanConfig t = WanConfig.tiny();
        return new WanConfig(1, 2, 2, 2, 48, t.inChannels(), t.outChannels(), 32, t.freqDim(), 192, 2, true, t.qkNorm(), t.eps(), t.ropeMaxSeqLen());
    }

    static final SyntheticCheckpoint.Options OPT = new SyntheticCheckpoint.Options(HeavyTailed.parse("student-t", 4), 3, 10, 7, DType.BF16);

    @Test
    void writesEveryWanTensorInBf16AndTheModelLoads() throws Exception {
        WanConfig c = small();
        SyntheticCheckpoint.write(c, dir, OPT, null);
        assertEquals(c, WanConfig.read(dir.resolve("config.json")));
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(SyntheticCheckpoint.WEIGHTS_FILE))) {
            var expected = WanParameters.expectedShapes(c);
            assertEquals(expected.keySet(), f.names());
            for (var e : expected.entrySet()) {
                assertEquals(DType.BF16, f.info(e.getKey()).dtype());
                assertArrayEquals(e.getValue(), f.info(e.getKey()).intShape());
                float[] want = SyntheticCheckpoint.tensor(c, e.getKey(), e.getValue(), OPT), got = f.readFloat(e.getKey()).data();
                for (int i = 0; i < want.length; i++)
                    assertEquals(TensorCodec.bf16ToFloat(TensorCodec.floatToBf16(want[i])), got[i], 0f, e.getKey() + "[" + i + "]");
            }
        }
        try (TensorSource src = Checkpoints.open(dir)) {
            assertEquals(StreamingQuantize.linearOrder(c), java.util.List.copyOf(WanModel.load(c, src).linears().keySet()),
                    "the forward order DVD numbers its layers by");
        }
    }

    @Test
    void outlierColumnsAndModulationChannelsAreScaled() {
        WanConfig c = small();
        int d = c.dim();
        float[] w = SyntheticCheckpoint.tensor(c, "blocks.0.ffn.net.0.proj.weight", new int[]{192, d}, OPT);
        double[] rms = new double[d];
        for (int i = 0; i < 192; i++) for (int j = 0; j < d; j++) rms[j] += (double) w[i * d + j] * w[i * d + j] / 192;
        double[] sorted = rms.clone();
        Arrays.sort(sorted);
        double median = sorted[d / 2];
        int big = 0;
        for (double r : rms) if (r > 25 * median) big++;  // ×10 in amplitude is ×100 in mean square
        assertEquals(3, big, "outlier columns");
        // weights have std 1/sqrt(fan-in) apart from the outliers: mean square of the ordinary columns ≈ 1/d
        double ms = 0;
        for (int j = 0; j < d - 3; j++) ms += sorted[j];
        assertEquals(1.0 / d, ms / (d - 3), 0.15 / d);
        float[] base = SyntheticCheckpoint.tensor(c, "blocks.1.scale_shift_table", new int[]{1, 6, d},
                new SyntheticCheckpoint.Options(OPT.dist(), 0, 10, 7, DType.BF16));
        float[] sst = SyntheticCheckpoint.tensor(c, "blocks.1.scale_shift_table", new int[]{1, 6, d}, OPT);
        int changed = 0;
        for (int j = 0; j < d; j++) {
            if (sst[d + j] == base[d + j]) continue;
            changed++;
            assertEquals(base[d + j] + 9f, sst[d + j], 1e-5f, "scale row raised by outlierScale − 1");
            assertEquals(base[4 * d + j] + 9f, sst[4 * d + j], 1e-5f);
            assertEquals(5f, Math.abs(sst[j] - base[j]), 1e-5f, "shift row moved by outlierScale / 2");
            assertEquals(sst[j] - base[j], sst[3 * d + j] - base[3 * d + j], 1e-5f);
            assertEquals(base[2 * d + j], sst[2 * d + j], 0f, "gates untouched");
        }
        assertEquals(3, changed);
    }

    @Test
    void fileIsIdenticalForAnyThreadCount() throws Exception {
        WanConfig c = small();
        int t = Parallel.threads();
        try {
            Parallel.setThreads(1);
            SyntheticCheckpoint.write(c, dir.resolve("one"), OPT, null);
            Parallel.setThreads(3);
            SyntheticCheckpoint.write(c, dir.resolve("three"), OPT, null);
        } finally {
            Parallel.setThreads(t);
        }
        assertArrayEquals(Files.readAllBytes(dir.resolve("one").resolve(SyntheticCheckpoint.WEIGHTS_FILE)),
                Files.readAllBytes(dir.resolve("three").resolve(SyntheticCheckpoint.WEIGHTS_FILE)));
    }

    /**
     * Sharded: the same tensors and values as the single file, split into diffusers shards with an index; a write
     * that lost a shard (as a kill would) keeps the others and ends with the bytes of an uninterrupted write.
     */
    @Test
    void shardedWriteHoldsTheSameTensorsAndResumesAtTheMissingShard() throws Exception {
        WanConfig c = small();
        Path one = dir.resolve("one"), sh = dir.resolve("sh"), fresh = dir.resolve("fresh");
        SyntheticCheckpoint.write(c, one, OPT, null);
        SyntheticCheckpoint.write(c, sh, OPT, 20_000, null);
        assertTrue(Files.exists(sh.resolve(SyntheticCheckpoint.INDEX_FILE)));
        assertFalse(Files.exists(sh.resolve(SyntheticCheckpoint.WEIGHTS_FILE)));
        try (TensorSource a = Checkpoints.open(one); TensorSource b = Checkpoints.open(sh)) {
            assertEquals(a.names(), b.names());
            for (String n : a.names()) assertArrayEquals(a.readBytes(n), b.readBytes(n), n);
        }
        Path second;
        try (var s = Files.list(sh)) {
            second = s.filter(p -> p.getFileName().toString().startsWith("diffusion_pytorch_model-00002-of-")).findFirst().orElseThrow();
        }
        long firstTime = Files.getLastModifiedTime(sh.resolve(second.getFileName().toString().replace("00002-of", "00001-of"))).toMillis();
        Files.delete(second);
        Files.delete(sh.resolve("config.json"));
        Thread.sleep(20);
        SyntheticCheckpoint.write(c, sh, OPT, 20_000, null);
        assertEquals(firstTime, Files.getLastModifiedTime(sh.resolve(second.getFileName().toString().replace("00002-of", "00001-of"))).toMillis(),
                "shard 1 kept, not rewritten");
        SyntheticCheckpoint.write(c, fresh, OPT, 20_000, null);
        try (var s = Files.list(fresh)) {
            for (Path p : s.toList()) assertArrayEquals(Files.readAllBytes(p), Files.readAllBytes(sh.resolve(p.getFileName().toString())), p.toString());
        }
    }
}
