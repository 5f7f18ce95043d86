package io.vdq.model.t5;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.io.Checkpoints;
import io.vdq.io.DType;
import io.vdq.io.TensorSource;
import io.vdq.tensor.Parallel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SyntheticT5 writes the real layout, one file or shards with an index, and the encoder runs it. */
class T5SyntheticTest {
    @TempDir Path tmp;

    private static int[] ids(int n, int vocab) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = (int) ((i * 2654435761L) % vocab);
        ids[0] = vocab - 1;
        return ids;
    }

    @Test void shardedAndSingleFileHoldTheSameWeightsAndGiveTheSameOutput() throws IOException {
        T5Config c = SyntheticT5.tiny();
        Path one = tmp.resolve("one"), many = tmp.resolve("many");
        SyntheticT5.write(one, c, 7, DType.BF16, Long.MAX_VALUE);
        SyntheticT5.write(many, c, 7, DType.BF16, 40_000);
        assertTrue(Files.isRegularFile(one.resolve("model.safetensors")));
        assertFalse(Files.exists(one.resolve("model.safetensors.index.json")));
        assertTrue(Files.isRegularFile(many.resolve("model.safetensors.index.json")));
        try (Stream<Path> s = Files.list(many)) {
            assertTrue(s.filter(p -> p.getFileName().toString().matches("model-\\d{5}-of-\\d{5}\\.safetensors")).count() > 2);
        }
        try (TensorSource a = Checkpoints.open(one); TensorSource b = Checkpoints.open(many)) {
            assertEquals(a.names(), b.names());
            assertEquals(T5Parameters.allShapes(c).keySet(), a.names());
            for (String n : a.names()) {
                assertEquals(DType.BF16, a.info(n).dtype());
                assertArrayEquals(a.readFloat(n).toArray(), b.readFloat(n).toArray(), 0f, n);
            }
        }
        assertEquals(c, T5Config.read(one.resolve("config.json")));
        int[] ids = ids(50, c.vocabSize());
        float[] ya, yb;
        try (T5Encoder a = T5Encoder.load(one); T5Encoder b = T5Encoder.load(many)) {
            ya = a.encode(ids).toArray();
            yb = b.encode(ids).toArray();
        }
        assertArrayEquals(ya, yb, 0f);
        double ss = 0;
        for (float v : ya) { assertTrue(Float.isFinite(v)); ss += v * v; }
        double rms = Math.sqrt(ss / ya.length);
        assertTrue(rms > 0.5 && rms < 2, "final-norm output rms " + rms);
    }

    @Test void sameSeedSameBytesForAnyThreadCount() throws IOException {
        int threads = Parallel.threads();
        T5Config c = SyntheticT5.tiny();
        try {
            Parallel.setThreads(1);
            SyntheticT5.write(tmp.resolve("t1"), c, 3, DType.F32, Long.MAX_VALUE);
            Parallel.setThreads(Math.max(2, threads));
            SyntheticT5.write(tmp.resolve("t2"), c, 3, DType.F32, Long.MAX_VALUE);
        } finally {
            Parallel.setThreads(threads);
        }
        assertEquals(-1, Files.mismatch(tmp.resolve("t1/model.safetensors"), tmp.resolve("t2/model.safetensors")));
    }

    @Test void t5v11LayoutHasTheBiasTableInLayerZeroOnly() {
        T5Config c = new T5Config(false, 500, 32, 8, 4, 48, 3, 32, 128, 1e-6, "gated-gelu");
        Path d = tmp.resolve("t5");
        SyntheticT5.write(d, c, 5, DType.F32, Long.MAX_VALUE);
        try (T5Encoder e = T5Encoder.load(d); TensorSource s = Checkpoints.open(d)) {
            assertTrue(s.contains(T5Parameters.relativeBias(0)));
            assertFalse(s.contains(T5Parameters.relativeBias(1)));
            assertFalse(e.config().umt5());
            assertEquals(7 * 32, e.encode(ids(7, 500)).size());
        }
    }

    @Test void loadAcceptsAPipelineFolderHoldingTextEncoder() {
        Path d = tmp.resolve("pipe").resolve("text_encoder");
        SyntheticT5.write(d, SyntheticT5.tiny(), 9, DType.BF16, Long.MAX_VALUE);
        try (T5Encoder e = T5Encoder.load(d.getParent())) {
            assertEquals(64, e.config().dModel());
        }
    }

    @Test void fromSourceOverInMemoryTensorsMatchesTheMappedFolder() {
        Path d = T5GoldenTest.resource("umt5");
        T5Config c = T5Config.read(d.resolve("config.json"));
        int[] ids = ids(23, c.vocabSize());
        float[] mapped;
        try (T5Encoder e = T5Encoder.load(d)) {
            mapped = e.encode(ids).toArray();
        }
        java.util.Map<String, io.vdq.tensor.Tensor> m = new java.util.HashMap<>();
        try (TensorSource s = Checkpoints.open(d)) {
            for (String n : s.names()) m.put(n, s.readFloat(n).copy());
        }
        try (T5Encoder e = T5Encoder.fromSource(c, new io.vdq.io.InMemoryTensorSource(m))) {
            assertArrayEquals(mapped, e.encode(ids).toArray(), 0f);   // BF16 widens exactly: same floats, same bits
        }
    }

    @Test void progressReportsEveryTensorUpToTheTotal() {
        T5Config c = SyntheticT5.tiny();
        java.util.List<Long> seen = new java.util.ArrayList<>();
        SyntheticT5.write(tmp.resolve("p"), c, 1, DType.BF16, 100_000, seen::add);
        long total = 0;
        for (long[] s : T5Parameters.allShapes(c).values()) total += 2 * s[0] * (s.length > 1 ? s[1] : 1);
        assertEquals(T5Parameters.allShapes(c).size(), seen.size());
        assertEquals(total, seen.getLast());
    }
}
