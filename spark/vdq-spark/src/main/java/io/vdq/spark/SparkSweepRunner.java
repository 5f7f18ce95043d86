package io.vdq.spark;

import io.vdq.VdqException;
import io.vdq.VdqException.ConfigException;
import io.vdq.pipeline.Sweep;
import io.vdq.pipeline.SweepCells;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * Runs a sweep's cells as Spark tasks, one cell per partition (so a failed task retries exactly one cell). Each
 * executor keeps the sweep and a seed's full-precision videos in a JVM-wide holder ({@link ExecutorState}); each task
 * loads and quantizes the model once for its cell and reuses it across the evaluation prompts. Results come back to
 * the driver as small rows as each task finishes (Spark's result handler sees every partition once, whatever the
 * retries), and the driver journals them to {@code cells.jsonl}; the output folder is only written by the driver.
 */
public final class SparkSweepRunner implements Sweep.Runner {
    /** The {@code --spark} hook of {@code vdq sweep} (found by {@link java.util.ServiceLoader}). */
    public static final class Provider implements Sweep.RunnerProvider {
        @Override public Sweep.Runner create(String master) { return new SparkSweepRunner(master, Map.of()); }
    }

    /** {@code --spark submit}: the master that spark-submit put into the configuration. */
    public static final String SUBMIT = "submit";

    private final String master;
    private final Map<String, String> conf;
    private final Function<Sweep.Spec, CellTask> tasks;
    private final List<CellRow> rows = Collections.synchronizedList(new ArrayList<>());

    /** {@code master}: a Spark master URL or {@link #SUBMIT}; {@code conf}: more Spark settings (they win over the defaults here). */
    public SparkSweepRunner(String master, Map<String, String> conf) { this(master, conf, CellTask::new); }

    /** As above with another task body (tests make chosen attempts fail). */
    SparkSweepRunner(String master, Map<String, String> conf, Function<Sweep.Spec, CellTask> tasks) {
        this.tasks = tasks;
        if (master == null || master.isBlank()) throw new ConfigException("--spark: expected a Spark master (local[2], spark://HOST:7077, yarn, …) or 'submit'");
        this.master = master.strip();
        this.conf = new LinkedHashMap<>(conf);
    }

    /** Every row the driver received in the last run, in arrival order (a test looks at executors and attempts). */
    public List<CellRow> rows() { synchronized (rows) { return List.copyOf(rows); } }

    @Override public String describe() { return "spark " + master; }

    @Override
    public void run(Sweep sweep, List<Sweep.CellKey> todo, PrintStream log, long t0, Consumer<SweepCells.Cell> done) {
        if (System.getProperty("log4j2.configurationFile") == null) quietLogging();
        SparkConf c = new SparkConf(true).setAppName("vdq sweep");
        if (!master.equals(SUBMIT)) c.setMaster(master);
        else if (!c.contains("spark.master"))
            throw new ConfigException("--spark submit: no spark.master in the configuration (run through spark-submit --master …, or name the master)");
        String m = c.get("spark.master");
        if (m.startsWith("local")) {   // this machine only: stay on loopback, no web UI
            c.setIfMissing("spark.driver.bindAddress", "127.0.0.1").setIfMissing("spark.driver.host", "127.0.0.1")
                    .setIfMissing("spark.ui.enabled", "false");
        } else if (!c.contains("spark.jars")) {
            String jars = jarsToShip();
            if (jars != null) c.set("spark.jars", jars);
        }
        conf.forEach(c::set);
        rows.clear();
        progress(log, t0, "spark: %d cells as %d tasks on %s", todo.size(), todo.size(), m);
        JavaSparkContext sc = new JavaSparkContext(c);
        try {
            JavaRDD<Sweep.CellKey> rdd = sc.parallelize(todo, todo.size());
            ClassTag<CellRow> tag = ClassTag$.MODULE$.apply(CellRow.class);
            sc.sc().runJob(rdd.rdd(), tasks.apply(sweep.spec()), new AbstractFunction2<Object, CellRow, BoxedUnit>() {
                @Override public BoxedUnit apply(Object partition, CellRow row) {
                    rows.add(row);
                    done.accept(row.cell());
                    return BoxedUnit.UNIT;
                }
            }, tag);
        } catch (Exception e) {   // SparkException is checked in Java's eyes, yet thrown from Scala undeclared
            String msg = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            throw new VdqException("--spark " + master + ": the Spark job failed; the finished cells are in cells.jsonl and a rerun "
                    + "resumes from them: " + msg, e);
        } finally {
            sc.stop();
        }
        TreeSet<String> execs = new TreeSet<>();
        int retried = 0;
        for (CellRow r : rows()) {
            execs.add(r.host() + ":" + r.pid() + " (" + r.kernels() + (r.nativeLoaded() ? "" : ", NO native library") + ")");
            if (r.attempt() > 0) retried++;
        }
        progress(log, t0, "spark: %d cells from %d executor JVM(s)%s: %s", rows.size(), execs.size(),
                retried == 0 ? "" : String.format(Locale.ROOT, ", %d after a retry", retried), String.join(", ", execs));
    }

    /** Spark's log lines at WARN and above, on stderr ({@code log4j2.properties} beside this class). */
    private static void quietLogging() {
        try {
            URL cfg = SparkSweepRunner.class.getResource("log4j2.properties");
            if (cfg != null) Configurator.reconfigure(cfg.toURI());
        } catch (URISyntaxException e) {
            // a class path entry that is no URI: Spark's own logging stays
        }
    }

    /**
     * For a cluster master without {@code spark.jars}: vdq-spark.jar (where this class was loaded from) and the jars
     * of the {@code ship/} folder beside it (the core jar and its dependencies, as the build lays them out); null when
     * this class was not loaded from a jar (the classes must then reach the executors otherwise).
     */
    static String jarsToShip() {
        try {
            Path self = Path.of(SparkSweepRunner.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (!Files.isRegularFile(self)) return null;
            List<String> jars = new ArrayList<>(List.of(self.toString()));
            Path ship = self.resolveSibling("ship");
            if (Files.isDirectory(ship))
                try (Stream<Path> s = Files.list(ship)) {
                    s.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(p -> jars.add(p.toString()));
                }
            return String.join(",", jars);
        } catch (URISyntaxException | IOException | RuntimeException e) {
            return null;
        }
    }

    private static void progress(PrintStream log, long t0, String fmt, Object... args) {
        if (log != null) log.printf(Locale.ROOT, "[%6.1f s] %s%n", (System.nanoTime() - t0) / 1e9, String.format(Locale.ROOT, fmt, args));
    }
}
