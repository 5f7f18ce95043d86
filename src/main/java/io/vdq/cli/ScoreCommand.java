package io.vdq.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vdq.VdqException.ConfigException;
import io.vdq.eval.run.VideoRun;
import io.vdq.eval.vbench.Dimension;
import io.vdq.eval.vbench.VBenchLite;
import io.vdq.eval.vbench.VideoScore;
import io.vdq.synth.Prompt;
import io.vdq.tensor.Parallel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vdq score RUN...}: VBench-lite over run directories, one column per run. */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = "Score run directories (run.json + frames) with VBench-lite; prints dimension × run.")
final class ScoreCommand implements Runnable {
    @Parameters(arity = "1..*", paramLabel = "RUN", description = "Run directories, each holding a run.json.")
    List<Path> runs;

    @Option(names = "--json", description = "Print JSON (per run means and per video scores) instead of the table.")
    boolean json;

    @Option(names = "--quiet", description = "No progress on stderr.")
    boolean quiet;

    @Spec CommandSpec spec;

    /** A scored run: its name, directory and per-video scores in run.json order. */
    record Result(String name, Path dir, List<VideoRun.Entry> videos, List<VideoScore> scores) {
        double[] mean() { return VBenchLite.mean(scores); }
    }

    @Override public void run() {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        List<Result> results = new ArrayList<>();
        for (Path dir : runs) {
            long t0 = System.nanoTime();
            Progress progress = new Progress(err, quiet);
            Result r = score(dir, quiet ? null : (done, total) -> {
                double s = (System.nanoTime() - t0) / 1e9, rate = done / Math.max(1e-9, s);
                progress.update(String.format(Locale.ROOT, "scoring %s: %d/%d videos, %.1f videos/s, ETA %.0f s", dir.getFileName(),
                        done, total, rate, (total - done) / rate), false);
            });
            progress.done(String.format(Locale.ROOT, "scored %s: %d videos in %.1f s", r.name(), r.videos().size(), (System.nanoTime() - t0) / 1e9));
            results.add(r);
        }
        out.print(json ? json(results) : table(results));
        out.flush();
    }

    /** Progress callback: videos done so far, of total. Called from worker threads, serialised. */
    interface Counter { void update(int done, int total); }

    /**
     * Scores every video of a run (prompts are all parsed first, so the first bad one is the one reported;
     * videos are then scored in parallel, each into its own slot, so results do not depend on threads).
     */
    static Result score(Path dir, Counter progress) {
        VideoRun run = VideoRun.read(dir);
        int n = run.videos().size();
        if (n == 0) throw new ConfigException(dir.resolve(VideoRun.FILE) + ": no videos to score");
        Prompt[] prompts = new Prompt[n];
        for (int i = 0; i < n; i++) {
            try {
                prompts[i] = Prompt.parse(run.videos().get(i).prompt());
            } catch (ConfigException ex) {
                throw new ConfigException(dir.resolve(VideoRun.FILE) + " videos[" + i + "].prompt: " + ex.getMessage(), ex);
            }
        }
        VideoScore[] scores = new VideoScore[n];
        AtomicInteger done = new AtomicInteger();
        Parallel.forEachDynamic(n, i -> {
            scores[i] = VBenchLite.score(run.load(run.videos().get(i)), prompts[i]);
            int d = done.incrementAndGet();
            if (progress != null) synchronized (progress) { progress.update(d, n); }
        });
        return new Result(run.name(), dir, run.videos(), List.of(scores));
    }

    /** Dimensions as rows, runs as columns, values in percent with one decimal. */
    static String table(List<Result> results) {
        StringBuilder sb = new StringBuilder();
        int w = 12;
        for (Result r : results) w = Math.max(w, r.name().length() + 2);
        sb.append(String.format(Locale.ROOT, "%-24s", "dimension"));
        for (Result r : results) sb.append(String.format(Locale.ROOT, "%" + w + "s", r.name()));
        sb.append('\n');
        List<double[]> means = results.stream().map(Result::mean).toList();
        for (Dimension d : Dimension.values()) {
            sb.append(String.format(Locale.ROOT, "%-24s", d.label()));
            for (double[] m : means) sb.append(String.format(Locale.ROOT, "%" + (w - 2) + ".1f %%", 100 * m[d.ordinal()]));
            sb.append('\n');
        }
        sb.append(String.format(Locale.ROOT, "%-24s", "videos"));
        for (Result r : results) sb.append(String.format(Locale.ROOT, "%" + w + "d", r.videos().size()));
        return sb.append('\n').toString();
    }

    /** {"runs": [{"name", "dir", "videos", "scores": {key: fraction}, "per_video": [...]}]}. */
    static String json(List<Result> results) {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = m.createObjectNode();
        ArrayNode runs = root.putArray("runs");
        for (Result r : results) {
            ObjectNode o = runs.addObject();
            o.put("name", r.name());
            o.put("dir", r.dir().toString());
            o.put("videos", r.videos().size());
            ObjectNode means = o.putObject("scores");
            double[] mean = r.mean();
            for (Dimension d : Dimension.values()) means.put(d.key(), mean[d.ordinal()]);
            ArrayNode per = o.putArray("per_video");
            for (int i = 0; i < r.videos().size(); i++) {
                VideoRun.Entry e = r.videos().get(i);
                VideoScore s = r.scores().get(i);
                ObjectNode v = per.addObject();
                v.put("prompt", e.prompt());
                v.put("seed", e.seed());
                ObjectNode sc = v.putObject("scores");
                for (Dimension d : Dimension.values()) sc.put(d.key(), s.get(d));
                ObjectNode det = v.putObject("detected");
                det.put("color", s.color() == null ? null : s.color().word());
                det.put("shape", s.shape() == null ? null : s.shape().word());
                det.put("direction", s.direction() == null ? null : s.direction().word());
                det.put("travel", s.travel());
                det.put("frames_found", s.framesFound());
            }
        }
        try {
            return m.writeValueAsString(root) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
