package io.vdq.eval.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vdq.VdqException.CheckpointException;
import io.vdq.VdqException.ShapeException;
import io.vdq.io.DType;
import io.vdq.io.SafetensorsFile;
import io.vdq.io.SafetensorsWriter;
import io.vdq.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The "safetensors" frame format round-trips a run and writes a file any safetensors reader understands. */
class SafetensorsFramesTest {
    @TempDir Path tmp;

    @Test
    void runWithSafetensorsFramesRoundTripsBitExactly() throws Exception {
        Tensor a = Tensor.randn(3, 2, 6, 4, 3), b = Tensor.randn(4, 1, 3, 5, 3);
        VideoRun.Writer w = VideoRun.writer(tmp.resolve("r"), "st", new SafetensorsFrames());
        w.add("a red circle", 1, a);
        w.add("a blue square", 2, b);
        w.finish();
        assertEquals("safetensors", new ObjectMapper().readTree(tmp.resolve("r/run.json").toFile()).get("frames").asText());
        VideoRun run = VideoRun.read(tmp.resolve("r"));
        assertInstanceOf(SafetensorsFrames.class, run.frames());
        assertTrue(run.videos().get(0).file().endsWith(".safetensors"), run.videos().get(0).file());
        assertArrayEquals(a.toArray(), run.load(run.videos().get(0)).toArray());
        assertArrayEquals(b.toArray(), run.load(run.videos().get(1)).toArray());
        assertArrayEquals(new int[]{1, 3, 5, 3}, run.load(run.videos().get(1)).shape().dims());
        try (var files = Files.list(tmp.resolve("r"))) {
            assertFalse(files.anyMatch(p -> p.toString().endsWith(".tmp")), "no temporary files left behind");
        }
    }

    @Test
    void fileIsPlainSafetensorsWithLittleEndianF32Data() throws Exception {
        Tensor v = Tensor.of(new float[]{1.0f, -2.0f, 0.5f}, 1, 1, 1, 3);
        Path f = tmp.resolve("v.safetensors");
        new SafetensorsFrames().write(f, v);
        byte[] bytes = Files.readAllBytes(f);
        // safetensors layout: u64 LE header length, JSON header, then the data
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        var header = new ObjectMapper().readTree(new String(bytes, 8, (int) n, StandardCharsets.UTF_8));
        assertEquals("F32", header.get("frames").get("dtype").asText());
        assertEquals("[1,1,1,3]", header.get("frames").get("shape").toString());
        assertEquals("vdq-frames", header.get("__metadata__").get("format").asText());
        assertEquals(8 + n + 12, bytes.length);
        byte[] data = java.util.Arrays.copyOfRange(bytes, (int) (8 + n), bytes.length);
        assertArrayEquals(new byte[]{0, 0, (byte) 0x80, 0x3F, 0, 0, 0, (byte) 0xC0, 0, 0, 0, 0x3F}, data);
    }

    @Test
    void halfPrecisionFramesReadBackWithinHalfRounding() {
        Tensor v = Tensor.randn(9, 2, 4, 4, 3);
        Path f = tmp.resolve("h.safetensors");
        new SafetensorsFrames(DType.F16).write(f, v);
        try (SafetensorsFile sf = SafetensorsFile.open(f)) { assertEquals(DType.F16, sf.info("frames").dtype()); }
        float[] got = new SafetensorsFrames().read(f, new int[]{2, 4, 4, 3}).toArray(), want = v.toArray();
        for (int i = 0; i < want.length; i++) // F16 has 11 significant bits: relative error ≤ 2^-11 (normal range)
            assertEquals(want[i], got[i], Math.abs(want[i]) * 0x1p-11 + 0x1p-24, "element " + i);
    }

    @Test
    void wrongShapeOrMissingTensorNamesTheFile() {
        Path f = tmp.resolve("v.safetensors");
        new SafetensorsFrames().write(f, Tensor.randn(1, 2, 4, 4, 3));
        ShapeException e = assertThrows(ShapeException.class, () -> new SafetensorsFrames().read(f, new int[]{2, 4, 5, 3}));
        assertTrue(e.getMessage().contains("v.safetensors") && e.getMessage().contains("[2, 4, 4, 3]")
                && e.getMessage().contains("[2, 4, 5, 3]"), e.getMessage());
        Path g = tmp.resolve("other.safetensors");
        new SafetensorsWriter().add("latents", Tensor.randn(2, 3)).write(g);
        CheckpointException c = assertThrows(CheckpointException.class, () -> new SafetensorsFrames().read(g, new int[]{3}));
        assertTrue(c.getMessage().contains("other.safetensors") && c.getMessage().contains("'frames'"), c.getMessage());
    }
}
