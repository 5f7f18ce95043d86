package io.vdq.io;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.CheckpointException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SafetensorsFile#readFloatStreamed}: positional reads through a bounded buffer (what export-gguf uses so
 * that its memory does not grow with the checkpoint) give exactly the values of the stored bytes, for any buffer
 * size, including buffers much smaller than the tensor and sizes that are not a whole number of elements.
 */
class SafetensorsStreamedReadTest {
    @TempDir Path dir;

    /** Values exactly representable in BF16 and F16 (at most 8 significant bits, small exponents): -15.625 … 15.625. */
    static float value(int i) { return ((i * 37) % 251 - 125) / 8f; }

    static byte[] bytes(String dtype, int n) {
        int es = dtype.equals("F32") ? 4 : 2;
        ByteBuffer b = ByteBuffer.allocate(n * es).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            float v = value(i);
            switch (dtype) {
                case "F32" -> b.putFloat(v);
                case "BF16" -> b.putShort((short) (Float.floatToRawIntBits(v) >>> 16));   // exact: the low 16 bits are 0
                default -> b.putShort(Float.floatToFloat16(v));
            }
        }
        return b.array();
    }

    @Test void streamedReadsEqualTheStoredValuesForAnyChunkSize() {
        Path p = dir.resolve("m.safetensors");
        int n = 10_007;
        new SafetensorsWriter()
                .addBytes("a.bf16", DType.BF16, new long[]{n}, bytes("BF16", n))
                .addBytes("b.f16", DType.F16, new long[]{7, 1429}, bytes("F16", 7 * 1429))
                .addBytes("c.f32", DType.F32, new long[]{n}, bytes("F32", n))
                .addBytes("d.empty", DType.BF16, new long[]{0, 4}, new byte[0])
                .write(p);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            for (String name : f.names()) {
                int len = (int) f.info(name).elements();
                float[] expected = new float[len];
                for (int i = 0; i < len; i++) expected[i] = value(i);
                for (int chunk : new int[]{1, 2, 7, 4096, 1 << 20, SafetensorsFile.STREAM_CHUNK_BYTES})
                    assertArrayEquals(expected, f.readFloatStreamed(name, chunk), name + " chunk " + chunk);
                assertArrayEquals(expected, f.readFloatStreamed(name), name);
                assertArrayEquals(f.readFloat(name).toArray(), f.readFloatStreamed(name), name + " vs the mapped read");
            }
        }
    }

    @Test void theChunkIsBoundedAndAfterCloseReadsAreRefused() {
        // the bound export-gguf's memory rests on: one chunk of the file at a time, whatever the model's size
        assertTrue(SafetensorsFile.STREAM_CHUNK_BYTES <= 1 << 22, "chunk " + SafetensorsFile.STREAM_CHUNK_BYTES);
        Path p = dir.resolve("m.safetensors");
        new SafetensorsWriter().addBytes("x", DType.F32, new long[]{3}, bytes("F32", 3)).write(p);
        SafetensorsFile f = SafetensorsFile.open(p);
        f.close();
        CheckpointException e = assertThrows(CheckpointException.class, () -> f.readFloatStreamed("x"));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }
}
