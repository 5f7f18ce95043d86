package io.vdq.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.vdq.eval.run.RawFloat32Frames;
import io.vdq.eval.run.VideoRun;
import io.vdq.quant.Presets;
import io.vdq.quant.RecipeJson;
import io.vdq.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A symbolic link planted where a writer once put its fixed-name temporary file ({@code NAME.tmp}) must not
 * redirect the write: temporary files get random names and are created exclusively (never through a link).
 */
class PlantedTempLinkTest {
    @TempDir Path dir;

    private Path victim() throws Exception {
        Path v = dir.resolve("victim.txt");
        Files.writeString(v, "precious");
        return v;
    }

    private void plant(Path out, String name, Path victim) throws Exception {
        Files.createDirectories(out);
        Files.createSymbolicLink(out.resolve(name), victim);
    }

    @Test
    void generateDoesNotWriteThroughAPlantedRunJsonTmp() throws Exception {
        Path v = victim(), out = dir.resolve("out");
        plant(out, "run.json.tmp", v);
        Files.writeString(out.resolve("run.json"), "{}");   // an earlier run: generate replaces the folder whole
        assertEquals(0, Main.run("generate", "--model", "random:tiny", "--steps", "2", "--quiet", "--out", out.toString()));
        assertEquals("precious", Files.readString(v));
        assertTrue(Files.readString(out.resolve("run.json")).contains("\"seed\""));
        assertFalse(Files.exists(out.resolve("run.json.tmp"), java.nio.file.LinkOption.NOFOLLOW_LINKS),
                "the planted link went with the old folder (deleted, not followed)");
    }

    @Test
    void runFramesAndRecipeWritersDoNotFollowPlantedLinks() throws Exception {
        Path v = victim(), run = dir.resolve("run");
        plant(run, "video-0000.f32.tmp", v);
        plant(run, "run.json.tmp", v);
        VideoRun.Writer w = VideoRun.writer(run, "r", new RawFloat32Frames());
        w.add("p", 1, Tensor.zeros(1, 2, 2, 3));
        w.finish();
        assertEquals("precious", Files.readString(v));
        assertEquals(48, Files.size(run.resolve("video-0000.f32")));

        plant(dir, "recipe.json.tmp", v);
        RecipeJson.write(Presets.get("w4a8-minmax"), dir.resolve("recipe.json"));
        assertEquals("precious", Files.readString(v));
        assertTrue(Files.readString(dir.resolve("recipe.json")).contains("minmax"));
    }
}
