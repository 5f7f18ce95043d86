package io.vdq.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Requests whose sizes would exhaust the heap are refused, naming the flag, before anything large is allocated. */
class OversizedRequestsTest {
    @TempDir Path dir;

    /** Runs the CLI; returns the exit code and the error line. */
    private static String run(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int rc = Main.run(args);
            return rc + " " + err.toString(StandardCharsets.UTF_8).strip();
        } finally {
            System.setErr(old);
        }
    }

    private static void assertRefused(String result, String flag) {
        assertTrue(result.startsWith("1 vdq: " + flag), result);
        assertEquals(1, result.lines().count(), result);
    }

    @Test void generateRefusesTwoBillionSteps() {
        assertRefused(run("generate", "--model", "random:tiny", "--steps", "2000000000", "--quiet", "--out", dir.resolve("r").toString()), "--steps 2000000000");
    }

    @Test void tokenCountsAreCapped() {
        assertRefused(run("generate", "--model", "random:tiny", "--max-sequence-length", "2000000000", "--quiet",
                "--out", dir.resolve("r").toString()), "--max-sequence-length 2000000000");
        assertRefused(run("encode-prompt", "--model", "random:tiny", "--prompt", "a cat", "--max-sequence-length", "100000",
                "--out", dir.resolve("p.safetensors").toString()), "--max-sequence-length 100000");
    }

    @Test void demoSweepAndTrainingSizesAreCapped() {
        assertRefused(run("demo", "--quick", "--random-init", "--quiet", "--size", "65536", "--out", dir.resolve("d").toString()),
                "--frames 8 --size 65536");
        assertRefused(run("sweep", "--random-init", "--recipes", "w8a8-minmax", "--quiet", "--size", "65536",
                "--out", dir.resolve("s").toString()), "--frames 8 --size 65536");
        assertRefused(run("train-tiny", "--out", dir.resolve("t").toString(), "--batch", "4096", "--size", "4096"),
                "train-tiny: --batch 4096 --frames 8 --size 4096");
    }

    @Test void generateRefusesHugeSides() {
        assertRefused(run("generate", "--model", "random:tiny", "--height", "65536", "--width", "65536", "--quiet",
                "--out", dir.resolve("r").toString()), "--frames/--height/--width");
    }

    @Test void generateRefusesAVideoLargerThanOneArray() {
        String r = run("generate", "--model", "random:tiny", "--frames", "1025", "--height", "4096", "--width", "4096", "--quiet",
                "--out", dir.resolve("r").toString());
        assertRefused(r, "--frames/--height/--width 1025×4096×4096");
        assertTrue(r.contains("reduce them"), r);
    }

    @Test void quantizeRefusesHugeFramesBeforeLoading() {
        assertRefused(run("quantize", "--model", "random:tiny", "--recipe", "w8a8-minmax", "--frames", "100000", "--quiet",
                "--out", dir.resolve("q").toString()), "--frames/--height/--width 100000");
        assertRefused(run("quantize", "--model", "random:tiny", "--recipe", "w8a8-minmax", "--calib-steps", "2000000000", "--quiet",
                "--out", dir.resolve("q").toString()), "--calib-steps 2000000000");
        assertRefused(run("quantize", "--model", "random:tiny", "--recipe", "w8a8-minmax", "--probe-rows", "2000000000", "--quiet",
                "--out", dir.resolve("q").toString()), "--probe-rows 2000000000");
    }

    @Test void anOutThatIsAFileIsRefusedFirst() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertRefused(run("demo", "--quick", "--random-init", "--quiet", "--out", file.toString()), "--out " + file);
        assertRefused(run("sweep", "--random-init", "--recipes", "w8a8-minmax", "--quiet", "--out", file.toString()), "--out " + file);
        assertRefused(run("quantize", "--model", "random:tiny", "--recipe", "w8a8-minmax", "--quiet", "--out", file.toString()), "--out " + file);
    }

    @Test void scoreRefusesAHugeDeclaredFrame() throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        Files.writeString(run.resolve("run.json"), """
                {"format": "vdq-run/1", "frames": "f32le", "videos": [
                 {"prompt": "a red circle", "seed": 1, "file": "v.f32", "shape": [1, 16384, 16384, 3]}]}""");
        String r = run("score", "--quiet", run.toString());
        assertTrue(r.startsWith("1 vdq: ") && r.contains("videos[0].shape: [1,16384,16384,3] is larger than vdq reads"), r);
    }

    @picocli.CommandLine.Command(name = "oom")
    static final class ThrowsOom implements Runnable {
        @picocli.CommandLine.Option(names = "--wrapped") boolean wrapped;
        @Override public void run() {
            OutOfMemoryError e = new OutOfMemoryError("Java heap space");
            if (wrapped) throw new RuntimeException(e);   // as Parallel rethrows a worker's failure
            throw e;
        }
    }

    @Test void outOfMemoryIsOneLineAndExitCodeOne() {
        for (String[] args : new String[][]{{}, {"--wrapped"}}) {
            var cl = new picocli.CommandLine(new ThrowsOom());
            java.io.StringWriter err = new java.io.StringWriter();
            cl.setErr(new java.io.PrintWriter(err, true));
            assertEquals(1, Main.run(cl, args));
            String line = err.toString().strip();
            assertEquals(1, line.lines().count(), line);
            assertTrue(line.startsWith("vdq: out of memory (Java heap limit ") && line.contains("VDQ_JAVA_OPTS=-Xmx"), line);
        }
    }

    @Test void outOfMemoryNamesWhatToReduceAndTheHeapToPass() {
        String m = Main.outOfMemory(3L << 30);
        assertTrue(m.contains("reduce --frames, --height/--width"), m);
        assertTrue(m.contains("VDQ_JAVA_OPTS=-Xmx6g"), m);
    }
}
