package io.vdq.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.eval.run.VideoRun;
import io.vdq.io.SafetensorsFile;
import io.vdq.tensor.Tensor;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code vdq generate} writes is a run directory that {@code vdq score} reads. */
class ScoreGenerateTest {
    @TempDir Path dir;

    @Test
    void scoreReadsAGenerateFolder() {
        Path out = dir.resolve("run");
        assertEquals(0, Main.run("generate", "--model", "models/vdq-tiny", "--prompt", "a red circle moving left",
                "--steps", "2", "--seed", "3", "--out", out.toString(), "--quiet"));
        VideoRun run = VideoRun.read(out);
        assertEquals(1, run.videos().size());
        VideoRun.Entry e = run.videos().getFirst();
        assertEquals("a red circle moving left", e.prompt());
        assertEquals(3, e.seed());
        // the frames are the sampled pixel-space latents mapped from [-1, 1] to [0, 1], rounded to F16
        Tensor frames = run.load(e);
        Tensor latents;
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("latents.safetensors"))) {
            latents = f.readFloat("latents");
        }
        int c = latents.dim(1), t = latents.dim(2), h = latents.dim(3), w = latents.dim(4);
        assertEquals(c, 3);
        assertTrue(java.util.Arrays.equals(new int[]{t, h, w, 3}, e.shape()));
        float[] l = latents.toArray(), fr = frames.toArray();
        double maxErr = 0;
        for (int ch = 0; ch < 3; ch++)
            for (int i = 0; i < t * h * w; i++)
                maxErr = Math.max(maxErr, Math.abs(fr[i * 3 + ch] - (l[ch * t * h * w + i] + 1) / 2));
        assertTrue(maxErr < 2e-3, "frames vs latents: " + maxErr);   // F16 step below 1 is 2^-11
        ScoreCommand.Result r = ScoreCommand.score(out, null);
        assertEquals(1, r.scores().size());
        assertEquals(8, r.mean().length);
    }
}
