package io.vdq.io.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.VdqException;
import io.vdq.io.DType;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufRoundTripTest {
    @TempDir Path dir;

    @Test void writtenFileReadsBackWithEveryKeyAndTensor() {
        Path p = dir.resolve("a.gguf");
        GgufTestFiles.sampleWriter(true).write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(3, f.version());
            assertEquals("wan", f.architecture());
            assertEquals(List.of("general.architecture"), f.kv().keySet().stream().limit(1).toList());
            assertEquals(200L, f.kv().get("vdq.u8").value());
            assertEquals(-5L, f.kv().get("vdq.i8").value());
            assertEquals(65000L, f.kv().get("vdq.u16").value());
            assertEquals(-300L, f.kv().get("vdq.i16").value());
            assertEquals("4000000000", f.metadata().get("vdq.u32"));
            assertEquals(-7L, f.kv().get("vdq.i32").value());
            assertEquals(1.5f, f.kv().get("vdq.f32").value());
            assertEquals(true, f.kv().get("vdq.bool").value());
            assertEquals("18446744073709551615", f.metadata().get("vdq.u64"));
            assertEquals(Long.MIN_VALUE, f.kv().get("vdq.i64").value());
            assertEquals(Math.PI, f.kv().get("vdq.f64").value());
            assertEquals("héllo", f.metadata().get("vdq.text"));
            assertEquals(List.of("a", "bc"), f.kv().get("vdq.list").value());
            assertEquals(2L, f.kv().get("general.quantization_version").asLong(), "added because tensors are quantized");
            int k = 0;
            long expectedOffset = 0;
            for (GgmlType t : GgmlType.values()) {
                String name = "t." + t.name().toLowerCase();
                int cols = t.blockSize == 1 ? 8 : t.blockSize;
                float[] x = GgufTestFiles.randn(k++, 2 * cols, 0.5f);
                byte[] enc = GgmlRefQuant.encode(t, x, 0, 2 * cols);
                GgufTensor gt = f.tensor(name);
                assertEquals(t, gt.type());
                assertArrayEquals(new long[]{cols, 2}, gt.ne());
                assertEquals(expectedOffset, gt.offset(), name + " offset is cumulative and padded");
                expectedOffset = GgufFile.pad(expectedOffset + enc.length, 32);
                assertArrayEquals(enc, f.raw(name).toArray(ValueLayout.JAVA_BYTE));
                assertArrayEquals(GgmlBlocks.decode(t, enc, 2 * cols), f.readFloat(name).toArray(), 0f, name);
                assertArrayEquals(new long[]{2, cols}, f.info(name).shape());
                DType want = t == GgmlType.F16 ? DType.F16 : t == GgmlType.BF16 ? DType.BF16 : DType.F32;
                assertEquals(want, f.info(name).dtype());
                assertEquals(4L * 2 * cols * (want == DType.F32 ? 1 : 0) + (want == DType.F32 ? 0 : enc.length), f.segment(name).byteSize());
            }
            assertEquals(0, f.dataStart() % 32);
            assertArrayEquals(new float[]{1, 2, 3}, f.readFloat("bias").toArray());
        }
    }

    @Test void fiveDimensionalPatchEmbeddingIsWrittenWithoutArrays() throws IOException {
        GgufWriter w = GgufTestFiles.sampleWriter(false);
        float[] x = GgufTestFiles.randn(9, 6 * 3 * 4, 1f);
        w.tensor("patch_embedding.weight", GgmlType.F32, new long[]{6, 3, 1, 2, 2}, GgmlRefQuant.encode(GgmlType.F32, x, 0, x.length));
        Path p = dir.resolve("five.gguf");
        w.write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertArrayEquals(new long[]{2, 2, 1, 3, 6}, f.tensor("patch_embedding.weight").ne());
            assertArrayEquals(x, f.readFloat("patch_embedding.weight").toArray(), 0f);
        }
        GgufWriter bad = GgufTestFiles.sampleWriter(true);
        bad.tensor("patch_embedding.weight", GgmlType.F32, new long[]{6, 3, 1, 2, 2}, GgmlRefQuant.encode(GgmlType.F32, x, 0, x.length));
        VdqException e = assertThrows(VdqException.class, () -> bad.write(dir.resolve("bad.gguf")));
        assertTrue(e.getMessage().contains("vdq.list"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("bad.gguf")));
    }

    @Test void writerRefusesWhatGgmlRefuses() {
        GgufWriter w = new GgufWriter();
        assertThrows(VdqException.class, () -> w.tensor("x".repeat(64), GgmlType.F32, new long[]{1}, new byte[4]));
        assertThrows(VdqException.class, () -> w.tensor("blocks.0.x", GgmlType.F32, new long[]{1, 1, 1, 1, 1}, new byte[4]));
        VdqException e = assertThrows(VdqException.class, () -> w.tensor("w", GgmlType.Q4_K, new long[]{4, 255}, new byte[0]));
        assertTrue(e.getMessage().contains("not a multiple"), e.getMessage());
        w.tensor("ok", GgmlType.F32, new long[]{2}, new byte[4]);
        assertThrows(VdqException.class, () -> w.tensor("ok", GgmlType.F32, new long[]{2}, new byte[8]));
        assertThrows(VdqException.class, () -> w.put("general.alignment", GgufValue.u32(24)));
        w.put("k", GgufValue.i32(1));
        assertThrows(VdqException.class, () -> w.put("k", GgufValue.i32(2)));
        Path out = dir.resolve("short.gguf");
        VdqException wrongSize = assertThrows(VdqException.class, () -> w.write(out));
        assertTrue(wrongSize.getMessage().contains("'ok'"), wrongSize.getMessage());
        assertFalse(Files.exists(out), "an interrupted write leaves no file");
    }

    @Test void customAlignmentIsHonoured() {
        GgufWriter w = new GgufWriter().put("general.alignment", GgufValue.u32(64));
        w.tensor("a", GgmlType.F32, new long[]{3}, new byte[12]).tensor("b", GgmlType.Q8_0, new long[]{32}, new byte[34]);
        Path p = dir.resolve("al.gguf");
        w.write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(64, f.alignment());
            assertEquals(0, f.dataStart() % 64);
            assertEquals(64, f.tensor("b").offset());
        }
    }
}
