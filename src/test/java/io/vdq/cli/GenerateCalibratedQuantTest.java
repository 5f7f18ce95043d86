package io.vdq.cli;

import static io.vdq.cli.TestFiles.read;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code generate --quant} with a recipe that calibrates on data (GPTQ): it samples the calibration prompts at the
 * run's own settings, which must give exactly the model that {@code vdq quantize} gives with those settings spelled
 * out, and so the same latents as generating from that saved checkpoint.
 */
class GenerateCalibratedQuantTest {
    @TempDir Path dir;

    private static final String[] SHAPE = {"--frames", "5", "--height", "32", "--width", "32", "--seed", "3"};

    private static String[] cat(String[] a, String... b) {
        String[] r = new String[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void onTheFlyGptqEqualsQuantizeThenGenerate() throws Exception {
        Path prompts = dir.resolve("calib.txt");
        Files.writeString(prompts, "# two prompts of the synthetic world\na red triangle moving down\na green square moving left\n");
        Path onTheFly = dir.resolve("fly"), q = dir.resolve("q"), fromCkpt = dir.resolve("ckpt"), plain = dir.resolve("float");
        assertEquals(0, Main.run(cat(new String[]{"generate", "--model", "random:tiny", "--steps", "3", "--sampler", "unipc", "--shift", "3",
                "--cfg", "5", "--quiet", "--quant", "w4a8-gptq", "--calib-prompts", prompts.toString(), "--out", onTheFly.toString()}, SHAPE)));
        assertEquals(0, Main.run(cat(new String[]{"quantize", "--model", "random:tiny", "--recipe", "w4a8-gptq", "--calib-prompts", prompts.toString(),
                "--calib-steps", "3", "--shift", "3", "--guidance", "5", "--quiet", "--out", q.toString()}, SHAPE)));
        assertEquals(0, Main.run(cat(new String[]{"generate", "--model", q.toString(), "--steps", "3", "--sampler", "unipc", "--shift", "3",
                "--cfg", "5", "--quiet", "--out", fromCkpt.toString()}, SHAPE)));
        assertEquals(0, Main.run(cat(new String[]{"generate", "--model", "random:tiny", "--steps", "3", "--sampler", "unipc", "--shift", "3",
                "--cfg", "5", "--quiet", "--out", plain.toString()}, SHAPE)));
        float[] a = read(onTheFly.resolve("latents.safetensors")).readFloat("latents").toArray();
        float[] b = read(fromCkpt.resolve("latents.safetensors")).readFloat("latents").toArray();
        float[] f = read(plain.resolve("latents.safetensors")).readFloat("latents").toArray();
        assertArrayEquals(b, a, "generate --quant w4a8-gptq vs quantize + generate");
        double e = 0, n = 0;
        for (int i = 0; i < f.length; i++) { e += (double) (a[i] - f[i]) * (a[i] - f[i]); n += (double) f[i] * f[i]; }
        double rel = Math.sqrt(e / n);
        // quantized, so not the float run; W4A8 GPTQ on a 2-layer random model stays within a few tens of percent
        assertTrue(rel > 1e-4 && rel < 0.5, "relative L2 to the float run " + rel);
    }

    @Test
    void calibPromptsWithoutQuantIsRefused() {
        assertEquals(Main.FAILED, Main.run(new String[]{"generate", "--model", "random:tiny", "--steps", "1", "--quiet",
                "--calib-prompts", dir.resolve("none.txt").toString(), "--out", dir.resolve("x").toString()}));
    }
}
