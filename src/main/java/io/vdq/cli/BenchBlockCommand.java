package io.vdq.cli;

import io.vdq.VdqException.ConfigException;
import io.vdq.kernel.Kernels;
import io.vdq.model.wan.LinearHook;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.tensor.Parallel;
import io.vdq.tensor.Tensor;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vdq bench block}: one transformer forward of a Wan2.1-1.3B-shaped model with a single block (random
 * weights) at a given token count, with the time spent inside linear layers measured around each layer and the
 * rest (attention, norms, modulation, embedders) reported as the remainder.
 */
@Command(name = "block", mixinStandardHelpOptions = true,
        description = "One forward of a 1-block Wan2.1-1.3B-shaped model: seconds, share in linears vs the rest.")
final class BenchBlockCommand implements Runnable {
    @Option(names = "--tokens", split = ",", description = "Token counts (4096 → grid 4×32×32, 32760 → 21×30×52, else 1×1×N). Default: 4096.")
    int[] tokens = {4096};

    @Option(names = "--reps", description = "Timed forwards per token count (after one warm-up at the smallest). Default: ${DEFAULT-VALUE}.")
    int reps = 2;

    @Option(names = "--text-tokens", description = "Text tokens for cross-attention. Default: ${DEFAULT-VALUE}.")
    int textTokens = 512;

    @Option(names = "--threads", description = "Threads. Default: all cores.")
    int threads = Runtime.getRuntime().availableProcessors();

    @Spec CommandSpec spec;

    static int[] grid(int n) {
        return switch (n) {
            case 4096 -> new int[]{4, 32, 32};
            case 32760 -> new int[]{21, 30, 52};
            default -> new int[]{1, 1, n};
        };
    }

    @Override public void run() {
        if (reps < 1 || threads < 1 || textTokens < 1) throw new ConfigException("bench block: --reps, --threads and --text-tokens must be >= 1");
        for (int t : tokens) if (t < 1) throw new ConfigException("bench block: --tokens must be >= 1, got " + t);
        Parallel.setThreads(threads);
        var out = spec.commandLine().getOut();
        WanConfig big = WanConfig.wan21T2V1_3B();
        WanConfig c = new WanConfig(big.patchT(), big.patchH(), big.patchW(), big.numAttentionHeads(), big.attentionHeadDim(),
                big.inChannels(), big.outChannels(), big.textDim(), big.freqDim(), big.ffnDim(), 1,
                big.crossAttnNorm(), big.qkNorm(), big.eps(), big.ropeMaxSeqLen());
        WanModel model = WanModel.random(c, 1);
        Tensor text = Tensor.randn(2, textTokens, c.textDim());
        Map<String, long[]> started = new HashMap<>();
        long[] linearNanos = {0};
        LinearHook timer = new LinearHook() {
            @Override public void input(String name, float[] x, int xOff, int rows, int in) { started.put(name, new long[]{System.nanoTime()}); }
            @Override public void output(String name, float[] y, int yOff, int rows, int o) { linearNanos[0] += System.nanoTime() - started.get(name)[0]; }
        };
        out.printf("Wan2.1-1.3B-shaped block (dim %d, %d heads × %d, ffn %d), text %d tokens, backend %s, %d thread(s)%n",
                c.dim(), c.numAttentionHeads(), c.attentionHeadDim(), c.ffnDim(), textTokens, Kernels.describe(), threads);
        out.printf("%8s %10s %9s %9s %9s%n", "tokens", "grid", "median s", "linear %", "rest %");
        try (AutoCloseable h = timer.install(model)) {
            int smallest = Arrays.stream(tokens).min().orElseThrow();
            forward(model, c, smallest, text); // warm-up (JIT)
            for (int n : tokens) {
                int[] g = grid(n);
                double[] secs = new double[reps], lin = new double[reps];
                for (int r = 0; r < reps; r++) {
                    linearNanos[0] = 0;
                    long t0 = System.nanoTime();
                    forward(model, c, n, text);
                    secs[r] = (System.nanoTime() - t0) / 1e9;
                    lin[r] = linearNanos[0] / 1e9 / secs[r];
                }
                double[] s = secs.clone();
                Arrays.sort(s);
                double med = s[reps / 2];
                double linShare = Arrays.stream(lin).average().orElse(0);
                out.printf("%8d %10s %9.2f %8.1f%% %8.1f%%%n", n, g[0] + "×" + g[1] + "×" + g[2], med, 100 * linShare, 100 * (1 - linShare));
                out.flush();
            }
        } catch (Exception e) {
            if (e instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e);
        }
    }

    private static void forward(WanModel model, WanConfig c, int n, Tensor text) {
        int[] g = grid(n);
        Tensor lat = Tensor.randn(n, c.inChannels(), g[0] * c.patchT(), g[1] * c.patchH(), g[2] * c.patchW());
        model.forward(lat, 500f, text);
    }
}
