package io.vdq.eval;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.CheckpointException;
import io.vdq.io.InMemoryTensorSource;
import io.vdq.io.gguf.GgmlRefQuant;
import io.vdq.io.gguf.GgmlType;
import io.vdq.io.gguf.GgufFile;
import io.vdq.io.gguf.GgufWriter;
import io.vdq.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufWeightErrorTest {
    @TempDir Path dir;

    static float[] values(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * (i % 64 == 5 ? 8 : 1));
        return v;
    }

    /** Q8_0 decoded by hand: per 32 values an fp16 scale d, then 32 int8 codes q; value d·q. */
    static float[] decodeQ8(byte[] b, int n) {
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[n];
        for (int blk = 0; blk < n / 32; blk++) {
            float d = Float.float16ToFloat(bb.getShort(blk * 34));
            for (int k = 0; k < 32; k++) out[blk * 32 + k] = d * b[blk * 34 + 2 + k];
        }
        return out;
    }

    @Test void poolsTheErrorOverQuantizedTensorsOnlyAndMatchesByDiffusersName() {
        float[] q = values(1, 4 * 64), k = values(2, 2 * 96), norm = values(3, 64);
        byte[] qb = GgmlRefQuant.encode(GgmlType.Q8_0, q, 0, q.length);
        float[] kPerturbed = k.clone();
        kPerturbed[7] += 0.5f;   // this GGUF tensor was made from slightly different values: the error is against the source's
        byte[] kb = GgmlRefQuant.encode(GgmlType.Q8_0, kPerturbed, 0, k.length);
        ByteBuffer nb = ByteBuffer.allocate(4 * norm.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : norm) nb.putFloat(v + 1);   // stored as F32 but different: must not count
        Path p = dir.resolve("m.gguf");
        new GgufWriter()
                .tensor("blocks.0.self_attn.q.weight", GgmlType.Q8_0, new long[]{4, 64}, qb)
                .tensor("blocks.0.self_attn.k.weight", GgmlType.Q8_0, new long[]{2, 96}, kb)
                .tensor("blocks.0.self_attn.norm_q.weight", GgmlType.F32, new long[]{64}, nb.array())
                .write(p);
        InMemoryTensorSource src = new InMemoryTensorSource(Map.of(
                "blocks.0.attn1.to_q.weight", Tensor.of(q, 4, 64),
                "blocks.0.attn1.to_k.weight", Tensor.of(k, 2, 96),
                "blocks.0.attn1.norm_q.weight", Tensor.of(norm, 64)));
        float[] dq = decodeQ8(qb, q.length), dk = decodeQ8(kb, k.length);
        double e = 0, r = 0;
        for (int i = 0; i < q.length; i++) { e += Math.pow(q[i] - dq[i], 2); r += (double) q[i] * q[i]; }
        for (int i = 0; i < k.length; i++) { e += Math.pow(k[i] - dk[i], 2); r += (double) k[i] * k[i]; }
        try (GgufFile g = GgufFile.open(p)) {
            GgufWeightError.Result res = GgufWeightError.of(g, src);
            assertEquals(Math.sqrt(e / r), res.relError(), 1e-12);
            assertEquals(2, res.tensors());
            assertEquals(4 * 64 + 2 * 96, res.values());
            assertEquals(Map.of(GgmlType.Q8_0, 448L), res.valuesByType());
            assertTrue(res.relError() > 1e-3 && res.relError() < 0.05, "Q8_0 of Gaussian values: " + res.relError());
        }
    }

    @Test void aShapeMismatchNamesBothTensors() {
        float[] q = values(1, 64);
        Path p = dir.resolve("m.gguf");
        new GgufWriter().tensor("blocks.0.self_attn.q.weight", GgmlType.Q8_0, new long[]{1, 64},
                GgmlRefQuant.encode(GgmlType.Q8_0, q, 0, 64)).write(p);
        InMemoryTensorSource src = new InMemoryTensorSource(Map.of("blocks.0.attn1.to_q.weight", Tensor.of(q, 2, 32)));
        try (GgufFile g = GgufFile.open(p)) {
            CheckpointException x = assertThrows(CheckpointException.class, () -> GgufWeightError.of(g, src));
            assertTrue(x.getMessage().contains("blocks.0.self_attn.q.weight") && x.getMessage().contains("blocks.0.attn1.to_q.weight"),
                    x.getMessage());
        }
    }
}
