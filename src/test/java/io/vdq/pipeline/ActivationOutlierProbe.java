package io.vdq.pipeline;

import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.quant.Presets;
import io.vdq.quant.QuantTargets;
import io.vdq.quant.calib.LayerStats;
import io.vdq.quant.calib.Recorder;
import io.vdq.quant.calib.StatsRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Not a test: how outlier-heavy the inputs of the quantized linears are (issue #25, the premise behind rotation and
 * smoothing). Samples the first P of the demo's prompts over a trajectory exactly as a sweep's calibration does
 * (UniPC, shift 3, CFG 5), records every input channel's |x| maximum of each linear that the W4A8 recipes quantize,
 * and prints per layer kind the median over blocks of max/median (the largest channel's range over the median
 * channel's). {@code mvn test-compile}, then
 * {@code java --add-modules jdk.incubator.vector -cp "target/classes:target/test-classes:target/lib/*"
 * io.vdq.pipeline.ActivationOutlierProbe MODEL_DIR FRAMES SIZE STEPS PROMPTS}.
 */
public final class ActivationOutlierProbe {
    public static void main(String[] a) {
        Path dir = Path.of(a[0]);
        int frames = Integer.parseInt(a[1]), size = Integer.parseInt(a[2]), steps = Integer.parseInt(a[3]), p = Integer.parseInt(a[4]);
        List<String> prompts = List.of("a red circle moving left", "a blue square moving right", "a green triangle moving up",
                "a yellow circle moving down").subList(0, p);
        WanConfig cfg = WanConfig.read(dir.resolve("config.json"));
        var s = new RecipeRun.Settings(cfg, dir, 0, frames, size, steps, 5.0f, 3.0, prompts, prompts, 100, false);
        RecipeRun run = new RecipeRun(s, null);
        WanModel m = run.freshModel();
        var names = QuantTargets.select(m, Presets.resolve("w4a8-minmax")).keySet();
        Map<String, LayerStats> stats = Recorder.record(m, names, run.calibration(m, prompts), StatsRequest.absMaxOnly());
        Map<String, List<Double>> byKind = new LinkedHashMap<>();
        List<Double> all = new ArrayList<>();
        for (LayerStats st : stats.values()) {
            float[] mx = st.absMax();
            float[] sorted = mx.clone();
            Arrays.sort(sorted);
            double med = sorted[sorted.length / 2], top = sorted[sorted.length - 1];
            double ratio = top / Math.max(med, 1e-30);
            String kind = st.name().replaceFirst("^blocks\\.\\d+\\.", "");
            byKind.computeIfAbsent(kind, k -> new ArrayList<>()).add(ratio);
            all.add(ratio);
        }
        System.out.printf(Locale.ROOT, "%s: %d linears, %d tokens per call, %d steps × %d prompts × 2 (CFG)%n", dir, stats.size(),
                frames / cfg.patchT() * (size / cfg.patchH()) * (size / cfg.patchW()), steps, p);
        for (var e : byKind.entrySet())
            System.out.printf(Locale.ROOT, "  %-16s max/median channel |x|max: median over blocks %.1f (min %.1f, max %.1f)%n", e.getKey(),
                    median(e.getValue()), e.getValue().stream().mapToDouble(x -> x).min().orElse(0),
                    e.getValue().stream().mapToDouble(x -> x).max().orElse(0));
        System.out.printf(Locale.ROOT, "  all linears: median %.1f%n", median(all));
    }

    private static double median(List<Double> v) {
        double[] d = v.stream().mapToDouble(x -> x).sorted().toArray();
        return d.length % 2 == 1 ? d[d.length / 2] : 0.5 * (d[d.length / 2 - 1] + d[d.length / 2]);
    }
}
