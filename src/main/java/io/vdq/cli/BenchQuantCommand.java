package io.vdq.cli;

import io.vdq.VdqException.ConfigException;
import io.vdq.eval.Fidelity;
import io.vdq.kernel.ExecutionContext;
import io.vdq.kernel.Int8Attention;
import io.vdq.kernel.Kernels;
import io.vdq.model.Linear;
import io.vdq.model.wan.LinearHook;
import io.vdq.model.wan.WanConfig;
import io.vdq.model.wan.WanModel;
import io.vdq.quant.Calibration;
import io.vdq.quant.IntExec;
import io.vdq.quant.Presets;
import io.vdq.quant.QuantMethods;
import io.vdq.quant.Recipe;
import io.vdq.tensor.Parallel;
import io.vdq.tensor.Tensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vdq bench quant}: one forward of a Wan-shaped model (random weights, {@code --layers} blocks) per
 * quantization recipe, with the time inside the linear layers measured around each layer, the speed-up of the
 * linears and of the whole forward over FP32, and the bytes of the block linears' weights: FP32 as loaded, BF16
 * (2 bytes per weight, computed: vdq stores no BF16 weights) and the quantized layers' packed kernel weights as
 * allocated (codes, scales, zero points, bias). Data-free recipes only (minmax, quarot, dvd); {@code NAME:wWaA}
 * overrides a preset's bits, e.g. {@code w4a4-dvd:w8a8}; a {@code +attn8} suffix adds int8 self-attention (int8 Q·Kᵀ),
 * {@code +attn8pv} int8 self-attention with an int8 P·V as well.
 */
@Command(name = "quant", mixinStandardHelpOptions = true,
        description = "One forward per quantization recipe of a Wan-shaped model: seconds, linear share, speed-up over FP32, weight bytes.")
final class BenchQuantCommand implements Runnable {
    @Option(names = "--tokens", split = ",", description = "Token counts (4096 → grid 4×32×32, 32760 → 21×30×52, else 1×1×N). Default: 4096.")
    int[] tokens = {4096};

    @Option(names = "--recipes", split = ",", description = "fp32 and data-free presets (NAME or NAME:wWaA, +attn8 / +attn8pv for int8 self-attention). Default: ${DEFAULT-VALUE}.")
    String[] recipes = {"fp32", "w4a4-dvd:w8a8", "w8a8-minmax", "w4a8-minmax", "w4a4-minmax", "w4a8-dvd", "w4a4-dvd",
            "w4a8-minmax+attn8pv"};

    @Option(names = "--backend", description = "int or fakequant (how quantized layers run). Default: ${DEFAULT-VALUE}.")
    String backend = "int";

    @Option(names = "--reps", description = "Timed forwards per token count and recipe (after one warm-up at 256 tokens). Default: ${DEFAULT-VALUE}.")
    int reps = 1;

    @Option(names = "--layers", description = "Transformer blocks. Default: ${DEFAULT-VALUE}.")
    int layers = 1;

    @Option(names = "--heads", description = "Attention heads (dim = heads × head dim). Default: ${DEFAULT-VALUE} (Wan2.1-1.3B).")
    int heads = 12;

    @Option(names = "--head-dim", description = "Head dimension. Default: ${DEFAULT-VALUE}.")
    int headDim = 128;

    @Option(names = "--ffn", description = "FFN width. Default: ${DEFAULT-VALUE}.")
    int ffn = 8960;

    @Option(names = "--text-tokens", description = "Text tokens for cross-attention. Default: ${DEFAULT-VALUE}.")
    int textTokens = 512;

    @Option(names = "--threads", description = "Threads. Default: all cores.")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--attention", description = "Instead: time float vs int8 self-attention alone (random Q, K, V with "
            + "key channel means) at each token count, with the int8 output's error against the float one.")
    boolean attentionOnly;

    @Spec CommandSpec spec;

    @Override public void run() {
        if (reps < 1 || threads < 1 || layers < 1 || heads < 1 || headDim < 2 || ffn < 1 || textTokens < 1)
            throw new ConfigException("bench quant: --reps, --threads, --layers, --heads, --head-dim, --ffn and --text-tokens must be positive");
        if ((long) heads * headDim > WanConfig.MAX_DIM)
            throw new ConfigException("--heads " + heads + " × --head-dim " + headDim + " is wider than " + WanConfig.MAX_DIM);
        for (int t : tokens) if (t < 1) throw new ConfigException("bench quant: --tokens must be >= 1, got " + t);
        Parallel.setThreads(threads);
        ExecutionContext.setQuantExec(ExecutionContext.QuantExec.parse(backend));
        PrintWriter out = spec.commandLine().getOut();
        WanConfig big = WanConfig.wan21T2V1_3B();
        WanConfig c = new WanConfig(big.patchT(), big.patchH(), big.patchW(), heads, headDim, big.inChannels(), big.outChannels(),
                big.textDim(), big.freqDim(), ffn, layers, big.crossAttnNorm(), big.qkNorm(), big.eps(), big.ropeMaxSeqLen());
        if (attentionOnly) { attention(out); return; }
        Tensor text = Tensor.randn(2, textTokens, c.textDim());
        out.printf("Wan-shaped model: dim %d (%d heads × %d), ffn %d, %d block(s), text %d tokens; %d thread(s); quantized layers run %s, integer backend %s; load %s%n",
                c.dim(), heads, headDim, ffn, layers, textTokens, threads, backend, ExecutionContext.intBackend().name(), loadAverage());
        out.printf("%-16s %7s %9s %9s %9s %8s %8s %10s %10s %10s %10s%n", "recipe", "tokens", "total s", "linear s", "rest s",
                "lin ×", "total ×", "FP32 MB", "BF16 MB", "quant MB", "CPU s/fwd");
        Map<Integer, double[]> fp32 = new HashMap<>();
        // one untimed FP32 forward at the smallest token count first, so no recipe pays the attention/norm JIT warm-up
        forward(WanModel.random(c, 1), c, Arrays.stream(tokens).min().orElseThrow(), text);
        for (String spec : recipes) {
            WanModel model = WanModel.random(c, 1);
            long[] bytes = weightBytes(model, false);
            String summary = "float";
            long q0 = System.nanoTime();
            if (!spec.equalsIgnoreCase("fp32")) {
                QuantMethods.apply(model, recipe(spec), Calibration.none());
                summary = IntExec.summary(model);
            }
            double quantS = (System.nanoTime() - q0) / 1e9;
            long[] qb = weightBytes(model, true);
            Map<String, Long> started = new HashMap<>();
            long[] linearNanos = {0};
            LinearHook timer = new LinearHook() {
                @Override public void input(String name, float[] x, int xOff, int rows, int in) { started.put(name, System.nanoTime()); }
                @Override public void output(String name, float[] y, int yOff, int rows, int o) { linearNanos[0] += System.nanoTime() - started.get(name); }
            };
            try (AutoCloseable h = timer.install(model)) {
                forward(model, c, 256, text); // warm-up (JIT, packing)
                for (int n : tokens) {
                    double[] secs = new double[reps], lin = new double[reps];
                    long cpu0 = BenchCommand.processCpuNanos();
                    for (int r = 0; r < reps; r++) {
                        linearNanos[0] = 0;
                        long t0 = System.nanoTime();
                        forward(model, c, n, text);
                        secs[r] = (System.nanoTime() - t0) / 1e9;
                        lin[r] = linearNanos[0] / 1e9;
                    }
                    // process CPU seconds per forward: on a shared machine the wall times above carry the load,
                    // this does not (much); all threads of the JVM count (GC, JIT)
                    double cpuPerFwd = (BenchCommand.processCpuNanos() - cpu0) / 1e9 / reps;
                    int mid = argMedian(secs);
                    double total = secs[mid], linear = lin[mid];
                    if (spec.equalsIgnoreCase("fp32")) fp32.put(n, new double[]{total, linear});
                    double[] f = fp32.get(n);
                    out.printf(Locale.ROOT, "%-16s %7d %9.2f %9.2f %9.2f %8s %8s %10.1f %10.1f %10s %10.2f%n", spec, n, total, linear, total - linear,
                            f == null ? "-" : String.format(Locale.ROOT, "%.2f", f[1] / linear),
                            f == null ? "-" : String.format(Locale.ROOT, "%.2f", f[0] / total),
                            bytes[0] / 1e6, bytes[0] / 2e6, spec.equalsIgnoreCase("fp32") ? "-" : String.format(Locale.ROOT, "%.1f", qb[1] / 1e6),
                            cpuPerFwd);
                    out.flush();
                }
            } catch (Exception e) {
                if (e instanceof RuntimeException re) throw re;
                throw new IllegalStateException(e);
            }
            out.printf(Locale.ROOT, "    %s: quantized in %.1f s; %s%n", spec, quantS, summary);
            out.flush();
        }
        out.printf("load at the end: %s%n", loadAverage());
    }

    /** Float vs int8 self-attention alone: seconds (median of --reps after one warm-up) and relative L2 error. */
    private void attention(PrintWriter out) {
        int d = heads * headDim;
        float scale = (float) (1 / Math.sqrt(headDim));
        var kb = Kernels.get();
        var ib = ExecutionContext.intBackend();
        out.printf("self-attention, %d heads × %d, %d thread(s), float backend %s, integer backend %s; load %s%n",
                heads, headDim, threads, kb.name(), ib.name(), loadAverage());
        out.printf("%7s %10s %10s %8s %12s %12s %8s %12s %10s%n", "tokens", "float s", "int8 QK s", "speed-up", "rel L2 err",
                "int8 QK+PV s", "speed-up", "rel L2 err", "float GF/s");
        for (int n : tokens) {
            float[] q = Tensor.randn(11, n, d).data(), k = Tensor.randn(12, n, d).data(), v = Tensor.randn(13, n, d).data();
            for (int i = 0; i < k.length; i++) k[i] += (i % d) % 7 == 0 ? 4f : 0f; // channel means, as post-RoPE keys have
            float[] of = new float[n * d], oi = new float[n * d], op = new float[n * d];
            Runnable fl = () -> kb.attention(q, 0, d, k, 0, d, v, 0, d, of, 0, d, n, n, heads, headDim, scale);
            Runnable i8 = () -> Int8Attention.attention(ib, kb, q, 0, d, k, 0, d, v, 0, d, oi, 0, d, n, n, heads, headDim, scale, true, false);
            Runnable pv = () -> Int8Attention.attention(ib, kb, q, 0, d, k, 0, d, v, 0, d, op, 0, d, n, n, heads, headDim, scale, true, true);
            double tf = median(fl), ti = median(i8), tp = median(pv);
            out.printf(Locale.ROOT, "%7d %10.3f %10.3f %8.2f %12.2e %12.3f %8.2f %12.2e %10.1f%n", n, tf, ti, tf / ti,
                    Fidelity.relL2(of, oi), tp, tf / tp, Fidelity.relL2(of, op), 4.0 * n * n * d / tf / 1e9);
            out.flush();
        }
        out.printf("load at the end: %s%n", loadAverage());
    }

    private double median(Runnable r) {
        r.run();
        double[] s = new double[reps];
        for (int i = 0; i < reps; i++) { long t0 = System.nanoTime(); r.run(); s[i] = (System.nanoTime() - t0) / 1e9; }
        Arrays.sort(s);
        return s[reps / 2];
    }

    /** A preset, NAME:wWaA for the preset with other bits, either with +attn8 (+attn8pv) for int8 self-attention. */
    static Recipe recipe(String spec) {
        if (spec.endsWith("+attn8pv"))
            return recipe(spec.substring(0, spec.length() - 8)).withOption("int8_attention", true)
                    .withOption("int8_attention_pv", true).withName(spec);
        if (spec.endsWith("+attn8")) return recipe(spec.substring(0, spec.length() - 6)).withOption("int8_attention", true).withName(spec);
        int colon = spec.indexOf(':');
        if (colon < 0) return Presets.resolve(spec);
        String bits = spec.substring(colon + 1).toLowerCase(Locale.ROOT);
        int a = bits.indexOf('a');
        if (!bits.startsWith("w") || a < 2)
            throw new ConfigException("bench quant: recipe '" + spec + "': expected NAME or NAME:wWaA (e.g. w4a4-dvd:w8a8)");
        int wb = Integer.parseInt(bits.substring(1, a)), ab = Integer.parseInt(bits.substring(a + 1));
        return Presets.resolve(spec.substring(0, colon)).withBits(wb, ab).withName(spec);
    }

    /**
     * {FP32 bytes of the block linears' weights, bytes they hold now}: a quantized layer counts its packed kernel
     * weights, one without them (or a float layer) 4 bytes per weight.
     */
    static long[] weightBytes(WanModel model, boolean packed) {
        long f = 0, q = 0;
        for (Map.Entry<String, Linear> e : model.linears().entrySet()) {
            if (!e.getKey().startsWith("blocks.")) continue;
            Linear l = e.getValue();
            long fb = 4L * l.inFeatures() * l.outFeatures();
            f += fb;
            long kb = packed && l instanceof IntExec.Executable x ? x.kernelWeightBytes() : 0;
            q += kb > 0 ? kb : fb;
        }
        return new long[]{f, q};
    }

    private static int argMedian(double[] v) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> Double.compare(v[a], v[b]));
        return idx[v.length / 2];
    }

    static String loadAverage() {
        try {
            String[] p = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return p[0] + " " + p[1] + " " + p[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static void forward(WanModel model, WanConfig c, int n, Tensor text) {
        int[] g = BenchBlockCommand.grid(n);
        Tensor lat = Tensor.randn(n, c.inChannels(), g[0] * c.patchT(), g[1] * c.patchH(), g[2] * c.patchW());
        model.forward(lat, 500f, text);
    }
}
