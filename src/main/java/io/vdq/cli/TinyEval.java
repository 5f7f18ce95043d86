package io.vdq.cli;

import io.vdq.diffusion.Sampler;
import io.vdq.diffusion.Scheduler;
import io.vdq.diffusion.StepHook;
import io.vdq.eval.vbench.Dimension;
import io.vdq.eval.vbench.VBenchLite;
import io.vdq.eval.vbench.VideoScore;
import io.vdq.model.wan.WanModel;
import io.vdq.synth.Prompt;
import io.vdq.synth.SpecSampler;
import io.vdq.synth.TextEncoder;
import io.vdq.tensor.Tensor;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Checks a pixel-space model on held-out prompts: the canonical prompts of scenes {@code 0..n−1} of a split
 * (TEST for the acceptance figure, VALIDATION while training), each sampled with {@code seeds} noise seeds, scored
 * with VBench-lite against the prompt. Reports the mean of every dimension, colour and direction accuracy first.
 */
final class TinyEval {
    /** Means per {@link Dimension} over all videos, and the videos' count. */
    record Result(double[] means, int videos) {
        double get(Dimension d) { return means[d.ordinal()]; }

        String summary() {
            StringBuilder sb = new StringBuilder();
            for (Dimension d : Dimension.values())
                sb.append(String.format(Locale.ROOT, "%s %.1f%%  ", d.key(), 100 * means[d.ordinal()]));
            return sb.toString().trim();
        }
    }

    private TinyEval() {}

    /** The canonical prompts of the first {@code n} scenes of {@code split} at {@code size}×{@code size}. */
    static List<String> prompts(SpecSampler.Split split, int n, int size) {
        SpecSampler sampler = new SpecSampler(size, size, false);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(sampler.sample(split.seed(i)).prompt());
        return out;
    }

    /** One video {@code [3, F, H, W]} in [−1, 1]. */
    static Tensor sample(WanModel m, TextEncoder enc, String prompt, long seed, int frames, int size, int steps, float guidance, double shift) {
        Scheduler sched = Scheduler.create("unipc", steps, shift);
        return Sampler.sample(m::forward, sched, Sampler.noise(seed, 3, frames, size, size), enc.encode(prompt), null, guidance,
                StepHook.NONE);
    }

    /** As below; with {@code sheets} non-null, also a PNG contact sheet per video there ({@code v<i>-s<seed>.png}). */
    static Result run(WanModel m, TextEncoder enc, List<String> prompts, int seeds, int frames, int size, int steps,
                      float guidance, double shift, PrintStream log) {
        return run(m, enc, prompts, seeds, frames, size, steps, guidance, shift, log, null);
    }

    static Result run(WanModel m, TextEncoder enc, List<String> prompts, int seeds, int frames, int size, int steps,
                      float guidance, double shift, PrintStream log, Path sheets) {
        double[] sum = new double[Dimension.values().length];
        int n = 0;
        for (int i = 0; i < prompts.size(); i++) {
            for (int s = 0; s < seeds; s++) {
                Tensor v = sample(m, enc, prompts.get(i), 7_000_000L + 1000L * i + s, frames, size, steps, guidance, shift);
                Tensor video = LatentPreview.video(v);
                if (sheets != null) LatentPreview.writeContactSheet(sheets.resolve("v" + i + "-s" + s + ".png"), video, 4);
                VideoScore sc = VBenchLite.score(video, Prompt.parse(prompts.get(i)));
                for (Dimension d : Dimension.values()) sum[d.ordinal()] += sc.get(d);
                n++;
            }
            if (log != null && ((i + 1) % 8 == 0 || i + 1 == prompts.size()))
                log.printf(Locale.ROOT, "  eval %d/%d prompts: colour %.1f%%, direction %.1f%%%n", i + 1, prompts.size(),
                        100 * sum[Dimension.COLOR.ordinal()] / n, 100 * sum[Dimension.DIRECTION.ordinal()] / n);
        }
        for (int k = 0; k < sum.length; k++) sum[k] /= Math.max(n, 1);
        return new Result(sum, n);
    }
}
