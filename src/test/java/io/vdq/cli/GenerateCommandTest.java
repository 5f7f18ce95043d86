package io.vdq.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static io.vdq.cli.TestFiles.read;
import static io.vdq.cli.TestFiles.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vdq.io.InMemoryTensorSource;
import io.vdq.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerateCommandTest {
    @TempDir Path dir;

    private int gen(Path out, String... extra) {
        boolean steps = java.util.Arrays.asList(extra).contains("--steps");
        String[] base = steps ? new String[]{"generate", "--model", "random:tiny", "--quiet", "--out", out.toString()}
                : new String[]{"generate", "--model", "random:tiny", "--steps", "3", "--quiet", "--out", out.toString()};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return Main.run(args);
    }

    @Test
    void sameSeedWritesIdenticalLatentsAndARunRecord() throws Exception {
        assertEquals(0, gen(dir.resolve("a"), "--seed", "17"));
        assertEquals(0, gen(dir.resolve("b"), "--seed", "17"));
        byte[] a = Files.readAllBytes(dir.resolve("a/latents.safetensors"));
        assertArrayEquals(a, Files.readAllBytes(dir.resolve("b/latents.safetensors")));
        InMemoryTensorSource src = read(dir.resolve("a/latents.safetensors"));
        Tensor lat = src.readFloat("latents");
        assertArrayEquals(new int[]{1, 4, 2, 8, 8}, lat.shape().dims()); // 5 frames → 2 latent frames, 64 px → 8
        assertEquals("17", src.metadata().get("seed"));
        assertEquals("unipc", src.metadata().get("sampler"));
        JsonNode run = new ObjectMapper().readTree(dir.resolve("a/run.json").toFile());
        assertEquals(17, run.get("seed").asInt());
        assertEquals(4, run.get("scheduler").get("sigmas").size());
        assertEquals(24, run.get("config").get("num_attention_heads").asInt() * run.get("config").get("attention_head_dim").asInt());
        assertTrue(run.get("timings_s").get("sampling").asDouble() >= 0);
        try (var files = Files.list(dir.resolve("a"))) {
            assertFalse(files.anyMatch(p -> p.toString().endsWith(".tmp")), "no temporary files left behind");
        }
        try (var in = javax.imageio.ImageIO.createImageInputStream(dir.resolve("a/preview.gif").toFile())) {
            var reader = javax.imageio.ImageIO.getImageReadersByFormatName("gif").next();
            reader.setInput(in);
            assertEquals(2, reader.getNumImages(true));           // one GIF frame per latent frame
            assertEquals(64, reader.getWidth(0));                  // 8 latent pixels × 8
        }
        var sheet = javax.imageio.ImageIO.read(dir.resolve("a/contact_sheet.png").toFile());
        assertEquals(2 * 64 + 3 * 2, sheet.getWidth());
        assertEquals(0, gen(dir.resolve("c"), "--seed", "18"));
        assertNotEquals(lat.toArray()[0], read(dir.resolve("c/latents.safetensors")).readFloat("latents").toArray()[0]);
    }

    @Test
    void aRunIntoAnEarlierRunReplacesItWholeAndAForeignFolderIsRefused() throws Exception {
        Path out = dir.resolve("run");
        assertEquals(0, gen(out, "--seed", "1"));
        Files.writeString(out.resolve("stale.txt"), "from an older run");
        assertEquals(0, gen(out, "--seed", "2"));
        assertFalse(Files.exists(out.resolve("stale.txt")), "the old run folder is replaced, not written into");
        assertTrue(Files.exists(out.resolve("run.json")) && Files.exists(out.resolve("latents.safetensors")));
        try (var s = Files.list(dir)) { assertEquals(java.util.List.of(out), s.toList(), "no temporary folder left"); }
        Path foreign = Files.createDirectories(dir.resolve("docs"));
        Files.writeString(foreign.resolve("notes.txt"), "keep");
        assertEquals(1, gen(foreign));
        assertEquals(1, gen(out, "--save-model", out.resolve("model").toString()));
        assertFalse(Files.exists(out.resolve("model")));
        assertEquals("keep", Files.readString(foreign.resolve("notes.txt")));
    }

    @Test
    void promptEmbeddingsFromAFileAreUsed() {
        Path emb = dir.resolve("emb.safetensors");
        write(emb, Map.of("prompt_embeds", Tensor.randn(3, 1, 6, 16)));
        assertEquals(0, gen(dir.resolve("e"), "--prompt-embeds", emb.toString(), "--sampler", "euler", "--cfg", "1"));
        assertTrue(Files.exists(dir.resolve("e/latents.safetensors")));
        write(emb, Map.of("prompt_embeds", Tensor.randn(3, 6, 8)));
        assertEquals(1, gen(dir.resolve("f"), "--prompt-embeds", emb.toString()));
    }

    @Test
    void savedRandomModelGeneratesTheSameLatentsFromItsFolder() {
        Path emb = dir.resolve("emb.safetensors");
        write(emb, Map.of("prompt_embeds", Tensor.randn(5, 6, 16)));
        Path saved = dir.resolve("tiny-model");
        assertEquals(0, gen(dir.resolve("r"), "--prompt-embeds", emb.toString(), "--save-model", saved.toString()));
        assertTrue(Files.isRegularFile(saved.resolve("config.json")));
        assertTrue(Files.isRegularFile(saved.resolve("diffusion_pytorch_model.safetensors")));
        String[] args = {"generate", "--model", saved.toString(), "--prompt-embeds", emb.toString(), "--steps", "3",
                "--frames", "5", "--height", "64", "--width", "64", "--quiet", "--out", dir.resolve("s").toString()};
        assertEquals(0, Main.run(args));
        var r = read(dir.resolve("r/latents.safetensors"));
        var s = read(dir.resolve("s/latents.safetensors"));
        assertArrayEquals(r.readFloat("latents").toArray(), s.readFloat("latents").toArray());
        assertEquals(r.metadata().get("model_sha256"), s.metadata().get("model_sha256"));
    }

    @Test
    void quantizedGenerationRecordsTheBitSchedule() throws Exception {
        assertEquals(0, gen(dir.resolve("q"), "--quant", "w4a6-dvd", "--steps", "6"));
        var meta = read(dir.resolve("q/latents.safetensors")).metadata();
        assertEquals("w4a4/8-dvd", meta.get("quant"), "the old name resolves to the mix, named as such");
        String sched = meta.get("activation_bits_per_step");
        assertEquals(6, sched.length(), sched);
        assertTrue(sched.startsWith("88") && sched.chars().allMatch(ch -> ch == '4' || ch == '8'), sched);
        assertEquals(64, meta.get("model_sha256").length()); // hash of the float weights, taken before quantizing
        JsonNode run = new ObjectMapper().readTree(dir.resolve("q/run.json").toFile());
        assertEquals("w4a4/8-dvd", run.get("quant").asText());
        assertEquals(sched, run.get("activation_bits_per_step").asText());
    }

    @Test
    void badFrameCountIsRefused() {
        assertEquals(1, gen(dir.resolve("g"), "--frames", "6"));
        assertFalse(Files.exists(dir.resolve("g/latents.safetensors")));
    }

    @Test
    void textIsZeroPaddedToTheSequenceLengthLikeThePipeline() {
        Tensor t = Tensor.of(new float[]{1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor p = GenerateCommand.padText(t, 4, "x");
        assertArrayEquals(new int[]{4, 3}, p.shape().dims());
        assertArrayEquals(new float[]{1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 0}, p.toArray());
        assertEquals(t, GenerateCommand.padText(t, 0, "x"));
        var e = org.junit.jupiter.api.Assertions.assertThrows(io.vdq.VdqException.ConfigException.class,
                () -> GenerateCommand.padText(t, 1, "--prompt-embeds"));
        assertTrue(e.getMessage().contains("--prompt-embeds: 2 tokens exceed --max-sequence-length 1"), e.getMessage());
    }
}
