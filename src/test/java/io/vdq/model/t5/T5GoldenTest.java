package io.vdq.model.t5;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.io.SafetensorsFile;
import io.vdq.tensor.Parallel;
import io.vdq.tensor.Tensor;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The encoder against src/test/python/t5_reference.py (float64, written from transformers' semantics): a UMT5
 * stored in BF16 in one file and a T5 v1.1 stored in F32 over two shards, sequences up to 40 tokens so relative
 * distances pass max_distance.
 */
class T5GoldenTest {
    static Path resource(String name) {
        try {
            return Path.of(T5GoldenTest.class.getResource("/t5/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static double relL2(float[] got, float[] want) {
        double num = 0, den = 0;
        for (int i = 0; i < want.length; i++) {
            double e = got[i] - want[i];
            num += e * e;
            den += (double) want[i] * want[i];
        }
        return Math.sqrt(num / den);
    }

    private static void check(String name, boolean umt5, int cases) {
        try (T5Encoder enc = T5Encoder.load(resource(name));
             SafetensorsFile f = SafetensorsFile.open(resource(name + "-cases.safetensors"))) {
            assertEquals(umt5, enc.config().umt5());
            for (int k = 0; k < cases; k++) {
                int[] ids = f.readInts("ids." + k);
                Tensor want = f.readFloat("expected." + k);
                Tensor got = enc.encode(ids);
                assertEquals(want.shape(), got.shape());
                double e = relL2(got.toArray(), want.toArray());
                assertTrue(e < 1e-4, name + " case " + k + " (" + ids.length + " tokens): relative L2 " + e);
            }
        }
    }

    @Test void umt5Bf16MatchesReference() { check("umt5", true, 3); }

    @Test void t5v11ShardedF32MatchesReference() { check("t5", false, 2); }

    @Test void partialWeightBlocksAndOneThreadGiveTheSameBits() {
        int threads = Parallel.threads();
        float[] ref;
        try (T5Encoder enc = T5Encoder.load(resource("umt5"));
             SafetensorsFile f = SafetensorsFile.open(resource("umt5-cases.safetensors"))) {
            int[] ids = f.readInts("ids.2");
            ref = enc.encode(ids).toArray();
            StreamingLinear.setBlockRows(7);     // 24, 32 and 48 rows: blocks that do not divide the weights
            Parallel.setThreads(1);
            float[] small = enc.encode(ids).toArray();
            assertEquals(0, relL2(small, ref), 0, "block size or thread count changed the output");
            assertTrue(relL2(ref, f.readFloat("expected.2").toArray()) < 1e-4);
        } finally {
            StreamingLinear.setBlockRows(StreamingLinear.BLOCK_ROWS);
            Parallel.setThreads(threads);
        }
    }
}
