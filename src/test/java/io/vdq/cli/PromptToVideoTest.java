package io.vdq.cli;

import static io.vdq.cli.TestFiles.read;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vdq.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jcodec.api.FrameGrab;
import org.jcodec.common.io.NIOUtils;
import org.jcodec.common.model.Picture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A prompt to an MP4 through the CLI: a random-weight pipeline folder in the diffusers layout (make-checkpoint
 * --pipeline) and the shipped vdq-tiny; encode-prompt's embeddings give the same latents as --prompt; bad input is
 * refused before sampling, naming the flag or file.
 */
class PromptToVideoTest {
    @TempDir static Path shared;
    static Path pipe;

    @BeforeAll
    static void makePipeline() {
        pipe = shared.resolve("pipe");
        assertEquals(0, Main.run("make-checkpoint", "--pipeline", "--shape", "tiny", "--dtype", "F32", "--quiet", "--out", pipe.toString()));
    }

    /** Runs the CLI, returning exit code and stderr. */
    private static String[] cli(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true));
        try {
            int rc = Main.run(args);
            return new String[]{Integer.toString(rc), err.toString()};
        } finally {
            System.setErr(old);
        }
    }

    private static int[] mp4FramesAndSize(Path file) throws Exception {
        try (var ch = NIOUtils.readableChannel(file.toFile())) {
            FrameGrab g = FrameGrab.createFrameGrab(ch);
            int n = 0, w = 0, h = 0;
            Picture p;
            while ((p = g.getNativeFrame()) != null) {
                n++;
                w = p.getCroppedWidth();
                h = p.getCroppedHeight();
            }
            return new int[]{n, h, w};
        }
    }

    @Test
    void aPipelineFolderTakesAPromptToAnMp4AndAGif(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("r");
        String[] r = cli("generate", "--model", pipe.toString(), "--prompt", "a red fox running through snow", "--frames", "9",
                "--height", "64", "--width", "96", "--steps", "2", "--out", out.toString());
        assertEquals("0", r[0], r[1]);
        assertArrayEquals(new int[]{9, 256, 384}, mp4FramesAndSize(out.resolve("video.mp4")), "9 frames of 64×96, upscaled 4×");
        assertTrue(Files.size(out.resolve("video.gif")) > 0);
        JsonNode run = new ObjectMapper().readTree(out.resolve("run.json").toFile());
        assertEquals("a red fox running through snow", run.get("prompt").asText());
        assertEquals("empty prompt", run.get("negative_embeds").asText());
        assertEquals(512, run.get("max_sequence_length").asInt());
        assertEquals(3.0, run.get("scheduler").get("shift").asDouble(), "flow_shift of scheduler/scheduler_config.json");
        assertTrue(run.get("text_encoder").asText().contains("UMT5"), run.get("text_encoder").asText());
        Tensor lat = read(out.resolve("latents.safetensors")).readFloat("latents");
        assertArrayEquals(new int[]{1, 4, 3, 8, 12}, lat.shape().dims());
    }

    @Test
    void encodePromptsEmbeddingsGiveTheSameLatentsAsThePrompt(@TempDir Path dir) throws Exception {
        Path emb = dir.resolve("p.safetensors"), neg = dir.resolve("n.safetensors");
        assertEquals("0", cli("encode-prompt", "--model", pipe.toString(), "--prompt", "a red fox", "--out", emb.toString())[0]);
        String[] blank = cli("encode-prompt", "--model", pipe.toString(), "--prompt", " ", "--out", neg.toString());
        assertNotEquals("0", blank[0]);
        assertTrue(blank[1].contains("--prompt is empty"), blank[1]);
        Tensor e = read(emb).readFloat("prompt_embeds");
        assertEquals(3, e.rank());
        assertEquals(512, e.dim(1));
        // rows past the real tokens are zero, as WanPipeline pads
        float[] d = e.toArray();
        int width = e.dim(2);
        double tail = 0, head = 0;
        for (int i = 0; i < width; i++) head += Math.abs(d[i]);
        for (int i = 100 * width; i < d.length; i++) tail += Math.abs(d[i]);
        assertTrue(head > 0, "the first token is encoded");
        assertEquals(0.0, tail, "padding rows are zero");
        String[] common = {"--frames", "5", "--height", "32", "--width", "32", "--steps", "2", "--seed", "3", "--quiet"};
        String[] a = concat(new String[]{"generate", "--model", pipe.toString(), "--prompt", "a red fox", "--out", dir.resolve("a").toString()}, common);
        String[] b = concat(new String[]{"generate", "--model", pipe.toString(), "--prompt-embeds", emb.toString(), "--out", dir.resolve("b").toString()}, common);
        assertEquals("0", cli(a)[0]);
        assertEquals("0", cli(b)[0]);
        assertArrayEquals(read(dir.resolve("a/latents.safetensors")).readFloat("latents").toArray(),
                read(dir.resolve("b/latents.safetensors")).readFloat("latents").toArray(), "same text, same negative, same seed");
    }

    @Test
    void tiledVaeDecodeIsRecordedAndDiffersOnlyWhereTilesMeet(@TempDir Path dir) throws Exception {
        String[] common = {"generate", "--model", pipe.toString(), "--prompt", "a fox", "--frames", "5", "--height", "32", "--width", "320",
                "--steps", "2", "--seed", "2", "--png-frames", "--quiet"};
        assertEquals("0", cli(concat(common, new String[]{"--out", dir.resolve("u").toString()}))[0]);
        assertEquals("0", cli(concat(common, new String[]{"--vae-tiling", "--out", dir.resolve("t").toString()}))[0]);
        assertEquals("off", new ObjectMapper().readTree(dir.resolve("u/run.json").toFile()).get("vae_tiling").asText());
        assertTrue(new ObjectMapper().readTree(dir.resolve("t/run.json").toFile()).get("vae_tiling").asText().contains("256x256"));
        var u = javax.imageio.ImageIO.read(dir.resolve("u/frames/0004.png").toFile());
        var t = javax.imageio.ImageIO.read(dir.resolve("t/frames/0004.png").toFile());
        assertEquals(320, t.getWidth());
        // same latents; the two decodes agree on the first tile's unblended columns and differ in the blend
        int sameLeft = 0, diffRight = 0;
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 64; x++) if (u.getRGB(x, y) == t.getRGB(x, y)) sameLeft++;
            for (int x = 192; x < 256; x++) if (u.getRGB(x, y) != t.getRGB(x, y)) diffRight++;
        }
        assertTrue(diffRight > 0, "tiles were blended");
        assertTrue(sameLeft > 0, "left columns of the first tile: " + sameLeft);
    }

    @Test
    void vdqTinyTakesAPromptWithNoOtherFlag(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("r");
        String[] r = cli("generate", "--model", Path.of("models", "vdq-tiny").toString(), "--prompt", "a blue square moving right", "--out", out.toString());
        assertEquals("0", r[0], r[1]);
        assertArrayEquals(new int[]{8, 256, 256}, mp4FramesAndSize(out.resolve("video.mp4")), "vdq-tiny's 8 frames of 32×32, upscaled 8×");
        JsonNode run = new ObjectMapper().readTree(out.resolve("run.json").toFile());
        assertEquals(10, run.get("steps").asInt(), "vdq.json's default steps");
        assertEquals(8, run.get("fps").asInt());
        // an unknown word names itself
        r = cli("generate", "--model", Path.of("models", "vdq-tiny").toString(), "--prompt", "a purple dragon", "--out", dir.resolve("x").toString());
        assertNotEquals("0", r[0]);
        assertTrue(r[1].contains("purple") || r[1].contains("dragon"), r[1]);
    }

    @Test
    void badInputIsRefusedBeforeSamplingNamingTheFlagOrFile(@TempDir Path dir) throws Exception {
        String out = dir.resolve("x").toString();
        String[] r = cli("generate", "--model", pipe.toString(), "--prompt", "a fox", "--frames", "8", "--out", out);
        assertTrue(r[1].contains("--frames 8") && r[1].contains("4k+1"), r[1]);
        r = cli("generate", "--model", pipe.toString(), "--prompt", "a fox", "--frames", "5", "--height", "40", "--width", "32", "--out", out);
        assertTrue(r[1].contains("--height/--width") && r[1].contains("16"), r[1]);
        r = cli("generate", "--model", pipe.toString(), "--prompt", "", "--out", out);
        assertTrue(r[1].contains("--prompt is empty"), r[1]);
        r = cli("generate", "--model", pipe.resolve("transformer").toString(), "--prompt", "a fox", "--out", out);
        assertTrue(r[1].contains("no text encoder") && r[1].contains("pipeline"), r[1]);
        assertFalse(Files.exists(dir.resolve("x")), "nothing written on refusal");
        // a VAE whose z_dim does not match the transformer's channels
        Path bad = dir.resolve("badpipe");
        copyTree(pipe, bad);
        Path vcfg = bad.resolve("vae/config.json");
        Files.writeString(vcfg, Files.readString(vcfg).replaceAll("\"z_dim\"\\s*:\\s*4", "\"z_dim\" : 16"));
        r = cli("generate", "--model", bad.toString(), "--prompt", "a fox", "--frames", "5", "--height", "32", "--width", "32", "--out", out);
        assertTrue(r[1].contains("z_dim") && r[1].contains("vae"), r[1]);
        // a missing component
        Files.delete(bad.resolve("scheduler/scheduler_config.json"));
        r = cli("generate", "--model", bad.toString(), "--prompt", "a fox", "--out", out);
        assertTrue(r[1].contains("model_index.json") && r[1].contains("scheduler"), r[1]);
        assertFalse(Files.exists(dir.resolve("x")));
    }

    @Test
    void quantizeCalibratesARealLayoutOnItsOwnEncoderAndRefusesABareTransformer(@TempDir Path dir) throws Exception {
        Path prompts = dir.resolve("p.txt");
        Files.writeString(prompts, "a red fox\na slow river at dawn\n");
        String[] r = cli("quantize", "--model", pipe.resolve("transformer").toString(), "--recipe", "w4a8-gptq", "--calib-prompts",
                prompts.toString(), "--frames", "5", "--height", "32", "--width", "32", "--calib-steps", "2", "--out", dir.resolve("q0").toString());
        assertNotEquals("0", r[0]);
        assertTrue(r[1].contains("no text encoder") && r[1].contains("--calib-embeds"), r[1]);
        r = cli("quantize", "--model", pipe.toString(), "--recipe", "w4a8-gptq", "--calib-prompts", prompts.toString(), "--frames", "5",
                "--height", "32", "--width", "32", "--calib-steps", "2", "--out", dir.resolve("q").toString());
        assertEquals("0", r[0], r[1]);
        assertTrue(r[1].contains("UMT5"), "the pipeline's encoder encoded the calibration prompts: " + r[1]);
        // the quantized transformer runs with the rest of the pipeline
        Path out = dir.resolve("v");
        r = cli("generate", "--model", pipe.toString(), "--transformer", dir.resolve("q").toString(), "--prompt", "a red fox",
                "--frames", "5", "--height", "32", "--width", "32", "--steps", "2", "--out", out.toString());
        assertEquals("0", r[0], r[1]);
        assertEquals(5, mp4FramesAndSize(out.resolve("video.mp4"))[0]);
        assertEquals("w4a8-gptq", new ObjectMapper().readTree(out.resolve("run.json").toFile()).get("quant").asText());
        // precomputed embeddings work for the bare transformer
        Path emb = dir.resolve("emb");
        assertEquals("0", cli("encode-prompt", "--model", pipe.toString(), "--prompts", prompts.toString(), "--out", emb.toString())[0]);
        assertTrue(Files.isRegularFile(emb.resolve("negative.safetensors")));
        r = cli("quantize", "--model", pipe.resolve("transformer").toString(), "--recipe", "w4a8-gptq", "--calib-embeds", emb.toString(),
                "--frames", "5", "--height", "32", "--width", "32", "--calib-steps", "2", "--out", dir.resolve("q2").toString());
        assertEquals("0", r[0], r[1]);
    }

    @Test
    void wan22TwoExpertsLoadAndEachCanBeReplacedByItsQuantizedCheckpoint(@TempDir Path dir) throws Exception {
        Path p2 = dir.resolve("pipe2");
        assertEquals(0, Main.run("make-checkpoint", "--pipeline", "--experts", "2", "--shape", "tiny", "--dtype", "F32", "--quiet", "--out", p2.toString()));
        assertTrue(Files.readString(p2.resolve("model_index.json")).contains("boundary_ratio"));
        String[] size = {"--frames", "5", "--height", "32", "--width", "32", "--steps", "3", "--seed", "1", "--quiet"};
        assertEquals("0", cli(concat(new String[]{"generate", "--model", p2.toString(), "--prompt", "a fox", "--out", dir.resolve("f").toString()}, size))[0]);
        String[] r = cli("quantize", "--model", p2.toString(), "--recipe", "w4a8-dvd", "--out", dir.resolve("q").toString());
        assertNotEquals("0", r[0]);
        assertTrue(r[1].contains("two experts") && r[1].contains("--transformer-2"), r[1]);
        for (String e : new String[]{"transformer", "transformer_2"})
            assertEquals("0", cli("quantize", "--model", p2.resolve(e).toString(), "--recipe", "w4a8-dvd", "--frames", "5", "--height", "32",
                    "--width", "32", "--quiet", "--out", dir.resolve("q-" + e).toString())[0]);
        r = cli(concat(new String[]{"generate", "--model", p2.toString(), "--transformer", dir.resolve("q-transformer").toString(),
                "--transformer-2", dir.resolve("q-transformer_2").toString(), "--prompt", "a fox", "--out", dir.resolve("q").toString()}, size));
        assertEquals("0", r[0], r[1]);
        JsonNode run = new ObjectMapper().readTree(dir.resolve("q/run.json").toFile());
        assertEquals("w4a8-dvd", run.get("quant_transformer_2").asText());
        assertEquals(0.875, run.get("boundary_ratio").asDouble());
        assertEquals(5, mp4FramesAndSize(dir.resolve("q/video.mp4"))[0]);
        float[] fp = read(dir.resolve("f/latents.safetensors")).readFloat("latents").toArray();
        float[] q = read(dir.resolve("q/latents.safetensors")).readFloat("latents").toArray();
        assertFalse(java.util.Arrays.equals(fp, q), "the quantized experts ran");
        r = cli("generate", "--model", pipe.toString(), "--transformer-2", dir.resolve("q-transformer_2").toString(), "--prompt", "a fox",
                "--out", dir.resolve("x").toString());
        assertTrue(r[1].contains("--transformer-2") && r[1].contains("one transformer"), r[1]);
    }

    @Test
    void aGgufExportOfVdqTinyTakesAPromptAndAPipelineTakesAGgufTransformer(@TempDir Path dir) throws Exception {
        Path g = dir.resolve("t.gguf");
        String[] r = cli("export-gguf", "--model", Path.of("models", "vdq-tiny").toString(), "--type", "q4_k", "--method", "bgr", "--quiet",
                "--out", g.toString());
        assertEquals("0", r[0], r[1]);
        r = cli("generate", "--model", g.toString(), "--prompt", "a blue square moving right", "--steps", "3", "--quiet", "--out",
                dir.resolve("r").toString());
        assertEquals("0", r[0], r[1]);
        assertArrayEquals(new int[]{8, 256, 256}, mp4FramesAndSize(dir.resolve("r/video.mp4")), "vdq-tiny's defaults travel in the GGUF");
        Path pg = dir.resolve("pipe-t.gguf");
        assertEquals("0", cli("export-gguf", "--model", pipe.resolve("transformer").toString(), "--type", "q8_0", "--quiet",
                "--out", pg.toString())[0]);
        r = cli("generate", "--model", pipe.toString(), "--transformer", pg.toString(), "--prompt", "a fox", "--frames", "5",
                "--height", "32", "--width", "32", "--steps", "2", "--quiet", "--out", dir.resolve("p").toString());
        assertEquals("0", r[0], r[1]);
        assertEquals(5, mp4FramesAndSize(dir.resolve("p/video.mp4"))[0]);
    }

    private static String[] concat(String[] a, String[] b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static void copyTree(Path src, Path dst) throws Exception {
        try (var s = Files.walk(src)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path t = dst.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
    }
}
