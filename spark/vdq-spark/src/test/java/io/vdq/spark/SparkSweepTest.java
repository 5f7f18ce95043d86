package io.vdq.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vdq.VdqException;
import io.vdq.cli.Main;
import io.vdq.kernel.nat.NativeLibrary;
import io.vdq.pipeline.Sweep;
import io.vdq.pipeline.SweepCells;
import io.vdq.quant.Presets;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.TaskContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * vdq sweep on a real Spark: the same cells as the local sweep give bit-identical numbers and the same table, with
 * two task threads in one JVM (local[2]) and with two executor JVMs (local-cluster), through retried tasks, and a
 * failed job resumes from its output folder.
 */
class SparkSweepTest {
    @TempDir Path dir;

    /** A tiny random-init model (2 heads × 12, ffn 48, 1 layer; 4 frames of 16×16, 4×4 patches; 2 steps), 1 prompt. */
    private static final String[] TINY = {"--random-init", "--head-dim", "12", "--ffn", "48", "--layers", "1", "--frames", "4", "--size", "16",
            "--patch", "4", "--steps", "2", "--prompts", "1", "--recipes", "w4a8-minmax,w4a4-dvd", "--seeds", "2"};

    /** The same sweep as {@link #TINY}, as a spec. */
    private static Sweep.Spec tinySpec() {
        List<String> eval = List.of("a red circle moving left");
        List<String> names = List.of("w4a8-minmax", "w4a4-dvd");
        List<String> json = names.stream().map(n -> Sweep.recipeJson(n, Presets.resolve(n))).toList();
        return new Sweep.Spec(null, 4, 2, 12, 48, 1, 4, 16, 2, 5.0f, true, eval, List.of(Sweep.calibrationPool(eval).subList(0, 2)),
                names, json, 2, "w4a8-minmax", null);
    }

    private static String cli(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.run(args));
        } finally {
            System.setOut(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    private static String[] sweepArgs(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("sweep", "--quiet", "--out", out.toString()));
        a.addAll(List.of(TINY));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    /** Every cell's numbers (not its timings), in sweep order, as the JSON writes them (17 significant digits). */
    private static List<String> numbers(List<SweepCells.Cell> cells) {
        ObjectMapper json = new ObjectMapper();
        List<String> out = new ArrayList<>();
        for (SweepCells.Cell c : cells) {
            JsonNode o = c.toJson(json);
            out.add(o.get("id") + " " + o.get("recipe") + " " + o.get("seed") + " " + o.get("calib_set") + " " + o.get("psnr_db") + " "
                    + o.get("rel_l2") + " " + o.get("cosine") + " " + o.get("step_snr_db") + " " + o.get("psnr_db_per_prompt") + " " + o.get("error"));
        }
        return out;
    }

    private static List<String> numbers(JsonNode root) {
        List<SweepCells.Cell> cells = new ArrayList<>();
        for (JsonNode c : root.get("cells")) cells.add(SweepCells.Cell.fromJson(c));
        return numbers(cells);
    }

    /** The printed table, without the first line (which names nothing that differs) and the "wrote" line. */
    private static String table(String text) {
        return text.lines().filter(l -> !l.startsWith("sweep: wrote")).collect(Collectors.joining("\n"));
    }

    @Test
    void sparkLocalTwoPrintsTheLocalTableWithIdenticalCells() throws Exception {
        Path local = dir.resolve("local"), spark = dir.resolve("spark");
        String a = cli(sweepArgs(local));
        String b = cli(sweepArgs(spark, "--spark", "local[2]", "--videos"));
        assertTrue(a.contains("4 cells (4 computed, 0 resumed)"), a);
        assertEquals(table(a), table(b), "the same table with and without --spark");
        ObjectMapper json = new ObjectMapper();
        JsonNode ra = json.readTree(local.resolve("sweep.json").toFile()), rb = json.readTree(spark.resolve("sweep.json").toFile());
        assertEquals(numbers(ra), numbers(rb), "bit-identical cells");
        assertEquals(ra.get("table"), rb.get("table"));
        assertEquals("spark local[2]", rb.get("machine").get("runner").asText());
        assertEquals(4, Files.readAllLines(spark.resolve("cells.jsonl")).size());
        // --videos: the tasks wrote every cell's MP4 (and each seed's full-precision one) under the output folder
        for (JsonNode cell : rb.get("cells"))
            assertTrue(Files.size(spark.resolve("videos").resolve(cell.get("id").asText()).resolve("prompt-1.mp4")) > 0, cell.toString());
        try (var dirs = Files.list(spark.resolve("videos"))) {
            assertEquals(2, dirs.filter(d -> d.getFileName().toString().startsWith("fp-") && Files.isRegularFile(d.resolve("prompt-1.mp4"))).count(),
                    "one full-precision folder per seed");
        }
        // a rerun on Spark resumes every cell from the journal and starts no Spark job
        String c = cli(sweepArgs(spark, "--spark", "local[2]", "--videos"));
        assertTrue(c.contains("4 cells (0 computed, 4 resumed)"), c);
        assertEquals(table(a).replace("(4 computed, 0 resumed)", "(0 computed, 4 resumed)"), table(c));
    }

    /**
     * Fails the first attempt of the cells in {@code failFirst}, and every attempt of those in {@code failAlways}; kills
     * its executor JVM (exit status 3) on the first attempt of the cells in {@code killFirst}.
     */
    static final class FailingTask extends CellTask {
        private final Set<Integer> failFirst, failAlways, killFirst;

        FailingTask(Sweep.Spec spec, Set<Integer> failFirst, Set<Integer> failAlways, Set<Integer> killFirst) {
            super(spec);
            this.failFirst = failFirst;
            this.failAlways = failAlways;
            this.killFirst = killFirst;
        }

        @Override protected void beforeCell(Sweep.CellKey k, TaskContext ctx) {
            if (killFirst.contains(k.index()) && ctx.attemptNumber() == 0) Runtime.getRuntime().halt(3);
            if (failAlways.contains(k.index()) || (failFirst.contains(k.index()) && ctx.attemptNumber() == 0))
                throw new IllegalStateException("injected failure of cell " + k.index() + ", attempt " + ctx.attemptNumber());
        }
    }

    @Test
    void failedTasksAreRetriedEachCellIsRecordedOnceAndAFailedJobResumes() throws Exception {
        Sweep.Spec spec = tinySpec();
        Path ref = dir.resolve("ref");
        Sweep.Outcome local = new Sweep(spec).run(ref, Sweep.LOCAL, null, System.nanoTime());

        // local[2,3]: up to 3 attempts per task; cells 0 and 3 fail once and succeed on the retry
        Path out = dir.resolve("retry");
        SparkSweepRunner retry = new SparkSweepRunner("local[2,3]", Map.of(), s -> new FailingTask(s, Set.of(0, 3), Set.of(), Set.of()));
        Sweep.Outcome o = new Sweep(spec).run(out, retry, null, System.nanoTime());
        assertEquals(numbers(local.cells()), numbers(o.cells()));
        assertEquals(local.table().text(), o.table().text());
        assertEquals(4, o.computed());
        List<String> lines = Files.readAllLines(out.resolve("cells.jsonl"));
        assertEquals(4, lines.size(), "each cell once");
        assertEquals(4, new HashSet<>(lines.stream().map(l -> l.substring(0, l.indexOf(','))).toList()).size());
        assertEquals(Set.of(0, 1), retry.rows().stream().map(CellRow::attempt).collect(Collectors.toSet()));
        assertEquals(2, retry.rows().stream().filter(r -> r.attempt() == 1).count(), "cells 0 and 3 ran a second attempt");

        // cell 2 fails every attempt: the job fails, the journal keeps what finished, and a rerun computes only the rest
        Path broken = dir.resolve("broken");
        SparkSweepRunner fail = new SparkSweepRunner("local[1,2]", Map.of(), s -> new FailingTask(s, Set.of(), Set.of(2), Set.of()));
        VdqException e = assertThrows(VdqException.class, () -> new Sweep(spec).run(broken, fail, null, System.nanoTime()));
        assertTrue(e.getMessage().contains("injected failure of cell 2"), e.getMessage());
        int kept = Files.readAllLines(broken.resolve("cells.jsonl")).size();
        assertTrue(kept >= 2 && kept <= 3, "cells 0 and 1 ran before cell 2 on one task slot; kept " + kept);
        assertFalse(Files.readString(broken.resolve("cells.jsonl")).contains(local.cells().get(2).id()));
        Sweep.Outcome resumed = new Sweep(spec).run(broken, new SparkSweepRunner("local[2]", Map.of()), null, System.nanoTime());
        assertEquals(kept, resumed.resumed());
        assertEquals(4 - kept, resumed.computed());
        assertEquals(numbers(local.cells()), numbers(resumed.cells()));
        assertEquals(4, Files.readAllLines(broken.resolve("cells.jsonl")).size());
    }

    /**
     * Spark's local-cluster master: a standalone master and two workers in this JVM, each launching one executor JVM
     * from a Spark home made of the Maven jars (symbolic links in target/spark-home/jars) with the test's class folders
     * on the executors' class path. One executor is killed mid-task.
     */
    @Test
    void twoExecutorJvmsLoadTheNativeKernelsAndGiveTheLocalTable() throws Exception {
        Path home = Path.of(System.getenv().getOrDefault("SPARK_HOME", "target/spark-home")).toAbsolutePath();
        Path jars = home.resolve("jars");
        Files.createDirectories(jars);
        Files.writeString(home.resolve("RELEASE"), "Spark 4.2.0 (a Spark home made of the Maven jars for vdq-spark's tests)\n");
        List<String> dirs = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(e).toAbsolutePath();
            if (Files.isDirectory(p)) dirs.add(p.toString());
            else if (p.toString().endsWith(".jar")) {
                Path link = jars.resolve(p.getFileName());
                if (!Files.exists(link, LinkOption.NOFOLLOW_LINKS)) Files.createSymbolicLink(link, p);
            }
        }
        Sweep.Spec spec = tinySpec();
        Sweep.Outcome local = new Sweep(spec).run(dir.resolve("ref"), Sweep.LOCAL, null, System.nanoTime());
        // both executors registered before the first task (cells 0 and 1 start together, one on each); the first attempt
        // of the last cell kills its executor JVM: the worker starts another, and Spark retries the cell
        SparkSweepRunner cluster = new SparkSweepRunner("local-cluster[2,1,1024]", Map.of("spark.home", home.toString(),
                "spark.executor.extraClassPath", String.join(File.pathSeparator, dirs), "spark.executor.memory", "1g",
                "spark.scheduler.minRegisteredResourcesRatio", "1.0", "spark.scheduler.maxRegisteredResourcesWaitingTime", "300s"),
                s -> new FailingTask(s, Set.of(), Set.of(), Set.of(3)));
        Path out = dir.resolve("cluster");
        Sweep.Outcome o = new Sweep(spec).run(out, cluster, null, System.nanoTime());
        assertEquals(numbers(local.cells()), numbers(o.cells()), "bit-identical cells from the executor JVMs");
        assertEquals(local.table().text(), o.table().text());
        assertEquals(4, Files.readAllLines(out.resolve("cells.jsonl")).size(), "each cell once");
        assertEquals(4, cluster.rows().size());
        CellRow retried = cluster.rows().stream().filter(r -> r.cell().id().equals(local.cells().get(3).id())).findFirst().orElseThrow();
        assertTrue(retried.attempt() >= 1, "cell 3 came from a retry after its executor died: " + retried);
        Set<Long> pids = cluster.rows().stream().map(CellRow::pid).collect(Collectors.toSet());
        assertTrue(pids.size() >= 2, "at least two executor JVMs: " + cluster.rows());
        assertFalse(pids.contains(ProcessHandle.current().pid()), "the cells ran outside the driver's JVM");
        boolean nativeHere = NativeLibrary.available();
        for (CellRow r : cluster.rows()) {
            assertEquals(nativeHere, r.nativeLoaded(), "libvdqnative.so loads in executor " + r.pid() + " as in the driver: " + r.kernels());
            assertTrue(r.fullPrecisionRuns() <= 2, "an executor makes each seed's full-precision videos at most once: " + r);
        }
        assertTrue(nativeHere, "this build has the native library (gcc present): " + NativeLibrary.unavailableReason());
    }
}
