package io.vdq.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vdq.io.Checkpoints;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.synth.Renderer;
import io.vdq.synth.SpecSampler;
import io.vdq.synth.TextEncoder;
import io.vdq.tensor.Tensor;
import io.vdq.train.TinyTrainer;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainTinyCommandTest {
    @TempDir Path dir;

    @Test
    void batchesAreTrainSplitRendersInMinusOneOneWithCaptionsOrZeros() {
        TextEncoder enc = TextEncoder.standard();
        TinyData data = new TinyData(enc, 16, 4, 16, 0.25, 5);
        TinyTrainer.Batch b = data.get(3);
        assertArrayEquals(new int[]{16, 3, 4, 16, 16}, b.x0().shape().dims());
        assertArrayEquals(new int[]{16, enc.length(), enc.textDim()}, b.text().shape().dims());
        // example j of step 3 is TRAIN scene 3·16 + j: pixel (f, y, x, c) of the render → 2·v − 1 at [j, c, f, y, x]
        float[] x = b.x0().toArray(), t = b.text().toArray();
        int zeros = 0;
        for (int j = 0; j < 16; j++) {
            var spec = new SpecSampler(16, 16, false).sample(SpecSampler.Split.TRAIN.seed(48 + j));
            float[] px = Renderer.render(spec, 4, 16, 16).toArray();
            for (int f = 0; f < 4; f += 3)
                for (int c = 0; c < 3; c++)
                    assertEquals(2 * px[((f * 16 + 7) * 16 + 9) * 3 + c] - 1, x[(((j * 3 + c) * 4 + f) * 16 + 7) * 16 + 9], 1e-6);
            boolean allZero = true;
            for (int i = 0; i < enc.length() * enc.textDim(); i++) allZero &= t[j * enc.length() * enc.textDim() + i] == 0;
            if (allZero) { zeros++; continue; }
            // otherwise the caption starts with the scene's colour and shape words
            Tensor own = enc.encode("a " + spec.color().word() + " " + spec.shape().word() + " moving " + spec.direction().word());
            for (int i = 1; i < 3 * enc.textDim(); i++) // words 1..2 (colour, shape) and the article's position code
                if (i >= enc.textDim()) assertEquals(own.data()[i], t[j * enc.length() * enc.textDim() + i], 1e-7);
        }
        assertTrue(zeros >= 1 && zeros <= 10, "about a quarter of 16 captions dropped to zeros, got " + zeros);
        assertArrayEquals(x, data.get(3).x0().toArray(), "a pure function of the step");
    }

    @Test
    void trainsAndWritesALoadableModelFolderWithLogAndLossCurve() throws Exception {
        Path out = dir.resolve("tiny");
        assertEquals(0, Main.run("train-tiny", "--out", out.toString(), "--steps", "4", "--batch", "2", "--frames", "2", "--size", "16",
                "--patch-t", "1", "--heads", "2", "--head-dim", "12", "--ffn", "32", "--layers", "1", "--checkpoint-every", "2",
                "--eval-prompts", "1", "--sample-steps", "2", "--dtype", "F32"));
        WanConfig cfg = WanConfig.read(out.resolve("config.json"));
        assertEquals(3, cfg.inChannels());
        assertEquals(24, cfg.dim());
        WanModel m = WanModel.load(cfg, Checkpoints.open(out));
        assertTrue(m.parameterCount() > 0);
        String log = Files.readString(out.resolve("train-log.txt"));
        assertTrue(log.contains("train 4/4") && log.contains("checkpoint at step 2") && log.contains("VALIDATION (1 videos)"), log);
        assertNotNull(ImageIO.read(out.resolve("loss.png").toFile()), "loss curve decodes as an image");
        JsonNode json = new ObjectMapper().readTree(out.resolve("train.json").toFile());
        assertEquals(1, json.get("loss_mean_per_10_steps").size(), "4 steps in one window of 10");
        double l = json.get("loss_mean_per_10_steps").get(0).asDouble();
        assertTrue(l > 0.05 && l < 10, "flow-matching loss of a fresh model on [−1, 1] pixels: " + l);
        assertEquals(1, json.get("validation").get("videos").asInt());
        assertTrue(json.get("options").get("patch").isInt() && json.get("options").get("patch").asInt() == 4, "square patch stored as a number");

        // --init continues from the folder: same architecture, data and step count after its recorded step 4
        Path more = dir.resolve("tiny2");
        assertEquals(0, Main.run("train-tiny", "--init", out.toString(), "--out", more.toString(), "--steps", "2", "--batch", "2",
                "--frames", "2", "--size", "16", "--patch-t", "1", "--eval-prompts", "1", "--sample-steps", "2", "--dtype", "F32"));
        String log2 = Files.readString(more.resolve("train-log.txt"));
        assertTrue(log2.startsWith(log) && log2.contains("continuing from") && log2.contains("checkpoint at step 6"), log2);
        var src = Checkpoints.open(more);
        assertEquals("6", src.metadata().get("vdq_train_step"));
        assertEquals(24, WanConfig.read(more.resolve("config.json")).dim(), "architecture taken from the --init folder");
    }

    @Test
    void rectangularSpatialPatchIsStoredAsPatchSizeAndBadSpecsAreRefused() throws Exception {
        Path out = dir.resolve("rect");
        assertEquals(0, Main.run("train-tiny", "--out", out.toString(), "--steps", "1", "--batch", "1", "--frames", "2", "--size", "8",
                "--patch-t", "2", "--patch", "2x4", "--heads", "2", "--head-dim", "12", "--ffn", "16", "--layers", "1",
                "--eval-prompts", "0", "--dtype", "F32"));
        WanConfig cfg = WanConfig.read(out.resolve("config.json"));
        assertArrayEquals(new int[]{2, 2, 4}, new int[]{cfg.patchT(), cfg.patchH(), cfg.patchW()});
        assertEquals(3 * 2 * 2 * 4, cfg.patchIn());
        assertEquals("2x4", new ObjectMapper().readTree(out.resolve("train.json").toFile()).get("options").get("patch").asText());
        // 1 × 4 × 2 tokens of 48 values: the stored patch embedding is the Conv3d [dim, 3, 2, 2, 4]
        assertArrayEquals(new long[]{24, 3, 2, 2, 4}, Checkpoints.open(out).info("patch_embedding.weight").shape());
        assertArrayEquals(new int[]{4, 4}, TrainTinyCommand.parsePatch(" 4 "));
        assertArrayEquals(new int[]{2, 8}, TrainTinyCommand.parsePatch("2X8"));
        for (String bad : new String[]{"0", "2x", "x4", "2x4x1", "a", "-2x4"}) {
            var e = org.junit.jupiter.api.Assertions.assertThrows(io.vdq.VdqException.ConfigException.class, () -> TrainTinyCommand.parsePatch(bad));
            assertTrue(e.getMessage().contains("--patch '" + bad + "'"), e.getMessage());
        }
        Path notDivisible = dir.resolve("bad");
        assertEquals(1, Main.run("train-tiny", "--out", notDivisible.toString(), "--steps", "1", "--size", "8", "--patch", "3x4"));
        assertTrue(!Files.exists(notDivisible.resolve("config.json")), "nothing written for a patch that does not divide the frame");
    }
}
