package io.vdq.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vdq.VdqException.CheckpointException;
import io.vdq.io.InMemoryTensorSource;
import io.vdq.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsLiteTest {
    @TempDir Path dir;

    @Test
    void readsShardsThroughTheIndexAndDecodesBf16() throws IOException {
        SafetensorsLite.write(dir.resolve("a.safetensors"), Map.of("x", Tensor.of(new float[]{1.5f, -2f}, 2)), Map.of("k", "v"));
        // BF16 by hand: the upper 16 bits of the float32 patterns of 1.0 and −0.5
        String header = "{\"y\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer bb = ByteBuffer.allocate(8 + h.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(h.length).put(h).putShort((short) 0x3f80).putShort((short) 0xbf00);
        Files.write(dir.resolve("b.safetensors"), bb.array());
        Files.writeString(dir.resolve("m.safetensors.index.json"),
                "{\"metadata\":{},\"weight_map\":{\"x\":\"a.safetensors\",\"y\":\"b.safetensors\"}}");
        InMemoryTensorSource src = SafetensorsLite.read(dir.resolve("m.safetensors.index.json"));
        assertArrayEquals(new float[]{1.5f, -2f}, src.readFloat("x").toArray());
        assertArrayEquals(new float[]{1f, -0.5f}, src.readFloat("y").toArray());
        assertEquals("v", src.metadata().get("k"));
    }

    @Test
    void tensorRunningPastTheFileIsNamed() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer bb = ByteBuffer.allocate(8 + h.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(h.length).put(h);
        Files.write(dir.resolve("short.safetensors"), bb.array());
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsLite.read(dir.resolve("short.safetensors")));
        assertEquals(true, e.getMessage().contains("'w'"), e.getMessage());
    }

    @Property(tries = 200)
    void arbitraryBytesFailOnlyWithACheckpointError(@ForAll @Size(max = 64) byte[] junk) throws IOException {
        Path f = Files.createTempFile("fuzz", ".safetensors");
        try {
            Files.write(f, junk);
            try {
                SafetensorsLite.read(f);
            } catch (CheckpointException expected) {
                // the only acceptable failure
            }
        } finally {
            Files.deleteIfExists(f);
        }
    }
}
