package io.vdq.cli;

import io.vdq.kernel.ActQuant;
import io.vdq.kernel.IntBackend;
import io.vdq.kernel.IntWeights;
import io.vdq.kernel.JavaIntBackend;
import io.vdq.kernel.KernelBackend;
import io.vdq.kernel.Kernels;
import io.vdq.kernel.PackedInt;
import io.vdq.kernel.PackedWeights;
import io.vdq.kernel.nat.IntKernels;
import io.vdq.kernel.nat.NativeIntBackend;
import io.vdq.kernel.nat.NativeLibrary;
import io.vdq.tensor.Parallel;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vdq bench int}: GOP/s (ops = 2·m·n·k) of the native W8A8 / W4A8 / W4A4 kernels, the Java integer
 * reference and the FP32 {@code Kernels.get().gemm} on one shape; medians and best of the timed runs.
 * Also checks that the native and Java integer outputs are bit-identical.
 */
@Command(name = "int", mixinStandardHelpOptions = true,
        description = "Integer GEMM throughput: native W8A8/W4A8/W4A4 vs the Java integer reference vs FP32 gemm.")
final class BenchIntCommand implements Callable<Integer> {
    @Option(names = "--m", defaultValue = "1024", description = "Activation rows (tokens). Default: ${DEFAULT-VALUE}.")
    int m;
    @Option(names = "--n", defaultValue = "1024", description = "Output features. Default: ${DEFAULT-VALUE}.")
    int n;
    @Option(names = "--k", defaultValue = "1024", description = "Input features. Default: ${DEFAULT-VALUE}.")
    int k;
    @Option(names = "--threads", defaultValue = "0", description = "Worker threads (0 = all cores). Default: ${DEFAULT-VALUE}.")
    int threads;
    @Option(names = "--reps", defaultValue = "10", description = "Timed runs of each native kernel. Default: ${DEFAULT-VALUE}.")
    int reps;
    @Option(names = "--ref-reps", defaultValue = "2",
            description = "Timed runs of the slow Java integer reference and FP32 gemm. Default: ${DEFAULT-VALUE}.")
    int refReps;
    @Option(names = "--skip-ref", description = "Skip the Java integer reference and the FP32 gemm.")
    boolean skipRef;

    private double ops;

    @Override
    public Integer call() {
        if (m <= 0 || n <= 0 || k <= 0) throw new io.vdq.VdqException.ConfigException("bench int: --m, --n, --k must be positive");
        if (threads > 0) Parallel.setThreads(threads);
        ops = 2.0 * m * n * k;
        Random r = new Random(1);
        float[] x = new float[m * k], wf = new float[n * k];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < wf.length; i++) wf[i] = (float) r.nextGaussian() * 0.02f;
        IntWeights w8 = quantizeWeights(wf, 8), w4 = quantizeWeights(wf, 4);
        System.out.printf("bench int m=%d n=%d k=%d threads=%d (ops = 2mnk = %.3g)%n", m, n, k, Parallel.threads(), ops);
        System.out.println("integer backend selected by vdq.native: " + IntKernels.describe(IntKernels.get()));
        System.out.println("FP32 backend: " + Kernels.describe());
        System.out.println("GOP/cpu-s = ops of all timed runs / process CPU time they took: the rate while actually on a core, less sensitive to a busy machine");
        System.out.printf("%-40s %12s %12s %10s %10s%n", "kernel", "median GOP/s", "best GOP/s", "median s", "GOP/cpu-s");

        float[] yNat8 = null, yNat4 = null;
        if (NativeLibrary.available() && IntKernels.nativeAllowed()) {
            NativeIntBackend nat = new NativeIntBackend(NativeLibrary.get());
            PackedInt p8 = nat.pack(w8), p4 = nat.pack(w4);
            ActQuant a8 = new ActQuant(m, k, 8, 0), a4 = new ActQuant(m, k, 4, 0);
            nat.quantize(x, 0, a8);
            nat.quantize(x, 0, a4);
            float[] y = new float[m * n];
            time("W8A8 native AVX2 (gemm)", reps, () -> nat.gemm(a8, p8, y, 0));
            yNat8 = y.clone();
            time("W8A8 native AVX2 (quantize + gemm)", reps, () -> nat.linear(x, 0, m, p8, 8, y, 0));
            time("W4A8 native AVX2 (gemm)", reps, () -> nat.gemm(a8, p4, y, 0));
            yNat4 = y.clone();
            time("W4A4 native AVX2 (gemm)", reps, () -> nat.gemm(a4, p4, y, 0));
            double qs = median(() -> nat.quantize(x, 0, a8), reps);
            System.out.printf("%-40s %12s %12s %10.4f %10s%n", "per-token quantizer alone (native)", "-", "-", qs, "-");
        } else {
            System.out.println("native kernels skipped: " + (IntKernels.nativeAllowed() ? NativeLibrary.unavailableReason() : "vdq.native=off"));
        }
        if (!skipRef) {
            IntBackend ref = JavaIntBackend.INSTANCE;
            PackedInt j8 = ref.pack(w8), j4 = ref.pack(w4);
            ActQuant a8 = new ActQuant(m, k, 8, 0);
            ref.quantize(x, 0, a8);
            float[] y = new float[m * n];
            warmJava();
            time("W8A8 Java integer reference", -refReps, () -> ref.gemm(a8, j8, y, 0));
            report("W8A8", yNat8, y);
            time("W4A8 Java integer reference", -refReps, () -> ref.gemm(a8, j4, y, 0));
            report("W4A8", yNat4, y);
            KernelBackend fb = Kernels.get();
            PackedWeights pw = fb.pack(wf, 0, n, k);
            fb.gemm(x, 0, Math.min(m, 8), pw, null, y, 0); // JIT warm-up on a few rows
            time("FP32 Kernels.get().gemm (" + fb.name() + ")", -refReps, () -> fb.gemm(x, 0, m, pw, null, y, 0));
        }
        return 0;
    }

    /** Symmetric per-channel weights at the given bits: codes in [-127, 127] or [-7, 7], scale = max|w| / qmax. */
    private IntWeights quantizeWeights(float[] wf, int bits) {
        int qmax = bits == 8 ? 127 : 7;
        byte[] q = new byte[n * k];
        float[] s = new float[n];
        for (int o = 0; o < n; o++) {
            float max = 0f;
            for (int j = 0; j < k; j++) max = Math.max(max, Math.abs(wf[o * k + j]));
            s[o] = max == 0f ? 1f : max / qmax;
            for (int j = 0; j < k; j++) q[o * k + j] = (byte) Math.max(-qmax, Math.min(qmax, Math.rint(wf[o * k + j] / s[o])));
        }
        return new IntWeights(n, k, bits, 0, q, s, null, null);
    }

    private void warmJava() {
        int wm = Math.min(m, 8);
        IntWeights small = quantizeWeights(Arrays.copyOf(new float[n * k], n * k), 8);
        ActQuant a = new ActQuant(wm, k, 8, 0);
        float[] y = new float[wm * n];
        for (int i = 0; i < 3; i++) JavaIntBackend.INSTANCE.gemm(a, JavaIntBackend.INSTANCE.pack(small), y, 0);
    }

    private static void report(String what, float[] nat, float[] java) {
        if (nat == null) return;
        int bad = 0;
        for (int i = 0; i < nat.length; i++) if (Float.floatToRawIntBits(nat[i]) != Float.floatToRawIntBits(java[i])) bad++;
        System.out.printf("  %s native vs Java reference: %s%n", what, bad == 0 ? "bit-identical" : bad + " mismatches");
    }

    /** Times {@code |runs|} runs after one untimed warm-up run; a negative count skips the warm-up (slow kernels). */
    private void time(String name, int runs, Runnable body) {
        if (runs > 0) body.run();
        double[] t = new double[Math.max(1, Math.abs(runs))];
        long c0 = processCpuNanos(); // coarse (often 10 ms ticks): taken over all timed runs together
        for (int i = 0; i < t.length; i++) {
            long t0 = System.nanoTime();
            body.run();
            t[i] = (System.nanoTime() - t0) * 1e-9;
        }
        double cpu = (processCpuNanos() - c0) * 1e-9;
        Arrays.sort(t);
        double med = t[t.length / 2];
        System.out.printf("%-40s %12.1f %12.1f %10.4f %10s%n", name, ops / med * 1e-9, ops / t[0] * 1e-9, med,
                cpu > 0.05 ? String.format("%.1f", ops * t.length / cpu * 1e-9) : "-");
    }

    private static long processCpuNanos() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : -1;
    }

    private static double median(Runnable body, int runs) {
        body.run();
        double[] t = new double[Math.max(1, runs)];
        for (int i = 0; i < t.length; i++) {
            long t0 = System.nanoTime();
            body.run();
            t[i] = (System.nanoTime() - t0) * 1e-9;
        }
        Arrays.sort(t);
        return t[t.length / 2];
    }
}
