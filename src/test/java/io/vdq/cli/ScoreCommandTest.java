package io.vdq.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vdq.eval.run.RawFloat32Frames;
import io.vdq.eval.run.VideoRun;
import io.vdq.synth.Renderer;
import io.vdq.synth.SceneSpec;
import io.vdq.synth.SpecSampler;
import io.vdq.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScoreCommandTest {
    @TempDir Path tmp;

    /** Ground-truth renders, or the same with every frame replaced by the first (frozen). */
    Path makeRun(String name, boolean frozen) {
        VideoRun.Writer w = VideoRun.writer(tmp.resolve(name), name, new RawFloat32Frames());
        for (int i = 0; i < 6; i++) {
            long seed = SpecSampler.Split.TEST.seed(i);
            SceneSpec s = SpecSampler.standard().sample(seed);
            Tensor v = Renderer.render(s, 16, 32, 32);
            if (frozen) for (int f = 1; f < 16; f++) v.row(f).copyFrom(v.row(0));
            w.add(s.prompt(), seed, v);
        }
        w.finish();
        return tmp.resolve(name);
    }

    static String[] run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = Main.run(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new String[]{String.valueOf(rc), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void printsOneColumnPerRunWithPercentages() {
        Path gt = makeRun("truth", false), frozen = makeRun("frozen", true);
        String[] r = run("score", "--quiet", gt.toString(), frozen.toString());
        assertEquals("0", r[0], r[2]);
        String[] lines = r[1].split("\n");
        assertTrue(lines[0].matches("dimension\\s+truth\\s+frozen"), lines[0]);
        assertTrue(r[1].contains("colour accuracy"), r[1]);
        assertTrue(lines[3].matches("direction accuracy\\s+100\\.0 %\\s+0\\.0 %"), lines[3]);
        assertTrue(lines[7].matches("dynamic degree\\s+100\\.0 %\\s+0\\.0 %"), lines[7]);
        assertTrue(lines[9].matches("videos\\s+6\\s+6"), lines[9]);
    }

    @Test
    void jsonHasMeansAndPerVideoScores() throws Exception {
        Path gt = makeRun("truth", false);
        String[] r = run("score", "--json", "--quiet", gt.toString());
        assertEquals("0", r[0], r[2]);
        JsonNode root = new ObjectMapper().readTree(r[1]);
        JsonNode run = root.get("runs").get(0);
        assertEquals("truth", run.get("name").asText());
        assertEquals(1.0, run.get("scores").get("color_accuracy").asDouble());
        assertEquals(6, run.get("per_video").size());
        assertEquals(SpecSampler.Split.TEST.seed(2), run.get("per_video").get(2).get("seed").asLong());
        String prompt = run.get("per_video").get(0).get("prompt").asText();
        assertTrue(prompt.startsWith("a") && prompt.contains(run.get("per_video").get(0).get("detected").get("shape").asText()));
    }

    @Test
    void badPromptFailsWithOneLineNamingTheVideoAndWord() throws Exception {
        VideoRun.Writer w = VideoRun.writer(tmp.resolve("bad"), null, new RawFloat32Frames());
        w.add("a red circle moving sideways", 1, Tensor.zeros(2, 8, 8, 3));
        w.finish();
        String[] r = run("score", tmp.resolve("bad").toString());
        assertEquals("1", r[0]);
        assertTrue(r[2].contains("videos[0].prompt") && r[2].contains("'sideways'"), r[2]);
    }
}
