package io.vdq.io;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.CheckpointException;
import io.vdq.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsStreamWriterTest {
    @TempDir Path dir;

    private static List<SafetensorsStreamWriter.Spec> specs() {
        return List.of(new SafetensorsStreamWriter.Spec("b.weight", DType.BF16, new long[]{3, 5}),
                new SafetensorsStreamWriter.Spec("a.codes", DType.U8, new long[]{7}),
                new SafetensorsStreamWriter.Spec("c.scale", DType.F32, new long[]{2, 2}));
    }

    @Test
    void tensorsFilledOutOfOrderAndInChunksGiveTheSameBytesAsTheInMemoryWriter() throws Exception {
        Tensor b = Tensor.randn(1, 3, 5), c = Tensor.randn(2, 2, 2);
        byte[] codes = {0, 1, 2, 3, 4, 5, (byte) 255};
        Path streamed = dir.resolve("s.safetensors"), whole = dir.resolve("w.safetensors");
        try (SafetensorsStreamWriter w = SafetensorsStreamWriter.create(streamed, specs(), Map.of("format", "pt"))) {
            w.writeFloats("c.scale", c.data(), 0, 4);
            w.writeFloats("b.weight", b.data(), 0, 6);          // two chunks of one tensor, in order
            w.write("a.codes", java.util.Arrays.copyOf(codes, 3));
            w.writeFloats("b.weight", b.data(), 6, 9);
            w.write("a.codes", java.util.Arrays.copyOfRange(codes, 3, 7));
            w.commit();
            assertTrue(w.committed());
        }
        new SafetensorsWriter().metadata("format", "pt").add("b.weight", b, DType.BF16)
                .addBytes("a.codes", DType.U8, new long[]{7}, codes).add("c.scale", c).write(whole);
        assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(streamed));
        try (SafetensorsFile f = SafetensorsFile.open(streamed)) {
            assertEquals(List.of("a.codes", "b.weight", "c.scale"), List.copyOf(f.names()));
            float[] got = f.readFloat("b.weight").data();
            for (int i = 0; i < 15; i++) assertEquals(TensorCodec.bf16ToFloat(TensorCodec.floatToBf16(b.data()[i])), got[i], 0f);
        }
    }

    @Test
    void commitRefusesMissingBytesAndWritesRefuseOverflowAndUnknownNames() throws Exception {
        Path target = dir.resolve("x.safetensors");
        try (SafetensorsStreamWriter w = SafetensorsStreamWriter.create(target, specs(), Map.of())) {
            w.write("a.codes", new byte[7]);
            CheckpointException over = assertThrows(CheckpointException.class, () -> w.write("a.codes", new byte[1]));
            assertTrue(over.getMessage().contains("a.codes") && over.getMessage().contains("declared 7"), over.getMessage());
            assertThrows(CheckpointException.class, () -> w.write("nope", new byte[1]));
            CheckpointException miss = assertThrows(CheckpointException.class, w::commit);
            assertTrue(miss.getMessage().contains("b.weight") && miss.getMessage().contains("0 of its 30 bytes"), miss.getMessage());
        }
        assertFalse(Files.exists(target), "nothing at the target without a commit");
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(0, s.count(), "the temporary file is removed");
        }
        assertThrows(CheckpointException.class, () -> SafetensorsStreamWriter.create(target,
                List.of(specs().get(0), specs().get(0)), Map.of()), "duplicate names");
    }
}
