package io.vdq.eval.run;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ConfigException;
import io.vdq.VdqException.ShapeException;
import io.vdq.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VideoRunTest {
    @TempDir Path tmp;

    @Test
    void writesAndReadsBackVideosBitExactly() {
        Tensor a = Tensor.randn(1, 4, 8, 6, 3), b = Tensor.randn(2, 2, 5, 5, 3);
        VideoRun.Writer w = VideoRun.writer(tmp.resolve("r"), "my run", new RawFloat32Frames());
        w.add("a red circle moving left", 7, a);
        w.add("a blue square moving up", -3, b);
        w.finish();
        VideoRun run = VideoRun.read(tmp.resolve("r"));
        assertEquals("my run", run.name());
        assertEquals(2, run.videos().size());
        assertEquals("a blue square moving up", run.videos().get(1).prompt());
        assertEquals(-3, run.videos().get(1).seed());
        assertArrayEquals(a.toArray(), run.load(run.videos().get(0)).toArray());
        assertArrayEquals(new int[]{2, 5, 5, 3}, run.load(run.videos().get(1)).shape().dims());
        assertFalse(Files.exists(tmp.resolve("r").resolve("run.json.tmp")));
    }

    @Test
    void framesAreLittleEndianFloat32WithoutHeader() throws Exception {
        Tensor v = Tensor.of(new float[]{1.0f, -2.0f, 0.5f}, 1, 1, 1, 3);
        Path f = tmp.resolve("v.f32");
        new RawFloat32Frames().write(f, v);
        byte[] bytes = Files.readAllBytes(f);
        // IEEE-754: 1.0f = 0x3F800000, -2.0f = 0xC0000000, 0.5f = 0x3F000000, least significant byte first
        assertArrayEquals(new byte[]{0, 0, (byte) 0x80, 0x3F, 0, 0, 0, (byte) 0xC0, 0, 0, 0, 0x3F}, bytes);
    }

    @Test
    void nameDefaultsToTheDirectoryName() {
        VideoRun.writer(tmp.resolve("fp32-run"), null, new RawFloat32Frames()).finish();
        assertEquals("fp32-run", VideoRun.read(tmp.resolve("fp32-run")).name());
    }

    @Test
    void errorsNameTheFileAndField() throws Exception {
        Path d = tmp.resolve("bad");
        Files.createDirectories(d);
        assertTrue(assertThrows(ConfigException.class, () -> VideoRun.read(d)).getMessage().contains("no run.json"));
        Files.writeString(d.resolve("run.json"), "{\"format\": \"vdq-run/1\", \"frames\": \"png\", \"videos\": []}");
        assertTrue(assertThrows(ConfigException.class, () -> VideoRun.read(d)).getMessage().contains("unknown frame format 'png'"));
        Files.writeString(d.resolve("run.json"), "{\"format\": \"vdq-run/1\", \"frames\": \"f32le\", \"videos\": [{\"prompt\": \"x\", \"seed\": 1, \"file\": \"v.f32\", \"shape\": [2, 4, 4]}]}");
        assertTrue(assertThrows(ConfigException.class, () -> VideoRun.read(d)).getMessage().contains("videos[0].shape"));
        Files.writeString(d.resolve("run.json"), "{\"format\": \"vdq-run/1\", \"frames\": \"f32le\", \"videos\": [{\"prompt\": \"x\", \"seed\": 1, \"file\": \"../v.f32\", \"shape\": [2, 4, 4, 3]}]}");
        assertTrue(assertThrows(ConfigException.class, () -> VideoRun.read(d)).getMessage().contains("plain file name"));
        Files.writeString(d.resolve("run.json"), "{\"format\": ");
        assertTrue(assertThrows(ConfigException.class, () -> VideoRun.read(d)).getMessage().contains("malformed JSON"));
        Files.writeString(d.resolve("run.json"), "{\"format\": \"vdq-run/1\", \"frames\": \"f32le\", \"videos\": [{\"prompt\": \"x\", \"seed\": 1, \"file\": \"v.f32\", \"shape\": [2, 4, 4, 3]}]}");
        Files.write(d.resolve("v.f32"), new byte[100]);
        VideoRun run = VideoRun.read(d);
        ShapeException e = assertThrows(ShapeException.class, () -> run.load(run.videos().get(0)));
        assertTrue(e.getMessage().contains("v.f32") && e.getMessage().contains("100 bytes, expected 384"), e.getMessage());
    }
}
