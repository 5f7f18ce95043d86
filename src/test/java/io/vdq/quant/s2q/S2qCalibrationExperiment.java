package io.vdq.quant.s2q;

import io.vdq.diffusion.Sampler;
import io.vdq.diffusion.Scheduler;
import io.vdq.diffusion.StepHook;
import io.vdq.io.Checkpoints;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.quant.Calibration;
import io.vdq.quant.Presets;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.QuantReport;
import io.vdq.quant.Recipe;
import io.vdq.synth.TextEncoder;
import io.vdq.tensor.Parallel;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Calibration cost of an S²Q recipe on a pixel-space Wan model folder with the issue's protocol: N synthetic-world
 * prompts (default 10) × all UniPC steps (default 10, shift 3, CFG 4) on 8 frames of 32×32, then the method.
 * Not a test (no assertions): run with
 * {@code java --add-modules jdk.incubator.vector -cp target/classes:target/test-classes:target/lib/* io.vdq.quant.s2q.S2qCalibrationExperiment MODEL_DIR [RECIPE] [PROMPTS] [STEPS]}.
 * Prints the wall time of the whole quantization (pool sampling included) and the peak heap.
 */
public final class S2qCalibrationExperiment {
    static final List<String> PROMPTS = List.of("a red square moving up", "a blue triangle moving left", "a green circle moving right",
            "a yellow square moving up", "a magenta circle moving down", "an orange square moving down", "a white triangle moving left",
            "a cyan circle moving right", "a red triangle moving down", "a blue circle moving up");

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        Recipe r = Presets.resolve(args.length > 1 ? args[1] : "w4a6-s2q");
        int prompts = args.length > 2 ? Integer.parseInt(args[2]) : 10, steps = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        WanConfig c = WanConfig.read(dir.resolve("config.json"));
        WanModel m = WanModel.load(c, Checkpoints.open(dir));
        TextEncoder enc = new TextEncoder(c.textDim(), TextEncoder.DEFAULT_LENGTH, TextEncoder.DEFAULT_SEED);
        Calibration cal = Calibration.of(steps, tag -> {
            for (int p = 0; p < prompts; p++)
                Sampler.sample(m::forward, Scheduler.create("unipc", steps, 3.0), Sampler.noise(1_000_003L + p, c.inChannels(), 8, 32, 32),
                        enc.encode(PROMPTS.get(p % PROMPTS.size())), null, 4f, new StepHook() {
                            @Override public void beforeStep(Step s) { tag.set(s.index(), s.steps(), s.timestep()); }
                        });
            tag.clear();
        });
        long t0 = System.nanoTime();
        QuantReport rep = QuantMethods.apply(m, r, cal);
        double s = (System.nanoTime() - t0) / 1e9;
        long peak = 0;
        for (MemoryPoolMXBean b : ManagementFactory.getMemoryPoolMXBeans()) if (b.getType() == MemoryType.HEAP) peak += b.getPeakUsage().getUsed();
        System.out.printf(Locale.ROOT, "%s on %s: %d layers, %d prompts × %d steps, %d threads: %.1f s (%.2f min), peak heap %.0f MiB%n",
                r.name(), dir, rep.layers().size(), prompts, steps, Parallel.threads(), s, s / 60, peak / 1048576.0);
    }
}
