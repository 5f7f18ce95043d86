package io.vdq.cli;

import io.vdq.kernel.ActQuant;
import io.vdq.kernel.ExecutionContext;
import io.vdq.kernel.IntBackend;
import io.vdq.kernel.IntWeights;
import io.vdq.kernel.JavaIntBackend;
import io.vdq.kernel.KernelBackend;
import io.vdq.kernel.Kernels;
import io.vdq.kernel.PackedInt;
import io.vdq.kernel.PackedWeights;
import io.vdq.kernel.nat.NativeIntBackend;
import io.vdq.kernel.nat.NativeLibrary;
import io.vdq.tensor.Parallel;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vdq bench int}: GOP/s (ops = 2·m·n·k) of the native W8A8 / W4A8 / W4A4 kernels of every instruction
 * set this host runs (AVX2, AVX-512 VNNI), the FP32 {@code Kernels.get().gemm} and the Java integer reference
 * on one shape, in one process so that ratios come from one run; medians and best of the timed runs, and the rate
 * per process CPU second. Also checks that all integer outputs are bit-identical (native vs native, native vs
 * Java), and ends with the ratios against FP32 and AVX-512 against AVX2.
 */
@Command(name = "int", mixinStandardHelpOptions = true,
        description = "Integer GEMM throughput: native W8A8/W4A8/W4A4 (AVX2 and AVX-512 VNNI) vs FP32 gemm vs the Java integer reference.")
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
            description = "Timed runs of the slow Java integer reference. Default: ${DEFAULT-VALUE}.")
    int refReps;
    @Option(names = "--skip-ref", description = "Skip the (slow) Java integer reference.")
    boolean skipRef;
    @Option(names = "--skip-fp32", description = "Skip the FP32 gemm.")
    boolean skipFp32;

    private double ops;
    /** GOP per process CPU second of each timed kernel (NaN when the CPU time was too short to read). */
    private final Map<String, Double> cpuRate = new LinkedHashMap<>();

    @Override
    public Integer call() {
        if (m <= 0 || n <= 0 || k <= 0) throw new io.vdq.VdqException.ConfigException("bench int: --m, --n, --k must be positive");
        if (threads < 0) throw new io.vdq.VdqException.ConfigException("--threads " + threads + ": expected 0 (all cores) or a positive count");
        if (threads > 0) Parallel.setThreads(threads);
        ops = 2.0 * m * n * k;
        Random r = new Random(1);
        float[] x = new float[m * k], wf = new float[n * k];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < wf.length; i++) wf[i] = (float) r.nextGaussian() * 0.02f;
        IntWeights w8 = quantizeWeights(wf, 8), w4 = quantizeWeights(wf, 4);
        System.out.printf("bench int m=%d n=%d k=%d threads=%d (ops = 2mnk = %.3g)%n", m, n, k, Parallel.threads(), ops);
        System.out.println("integer backend selected by vdq.native: " + ExecutionContext.describe(ExecutionContext.intBackend()));
        System.out.println("FP32 backend: " + Kernels.describe());
        System.out.println("GOP/cpu-s = ops of all timed runs / process CPU time they took: the rate while actually on a core, less sensitive to a busy machine");
        System.out.printf("%-44s %12s %12s %10s %10s%n", "kernel", "median GOP/s", "best GOP/s", "median s", "GOP/cpu-s");

        List<NativeIntBackend> natives = ExecutionContext.nativeAllowed() ? NativeIntBackend.everyUsable() : List.of();
        if (natives.isEmpty())
            System.out.println("native kernels skipped: " + (ExecutionContext.nativeAllowed() ? NativeLibrary.unavailableReason() : "vdq.native=off"));
        else if (natives.size() == 1 && NativeLibrary.get() != null)
            System.out.println("AVX-512 VNNI kernels skipped: " + NativeLibrary.get().avx512Unavailable());
        // every native kernel and FP32 run once (FP32 three times) before any is timed, so that JIT compilation
        // (which counts in the process CPU time) is over; the instruction sets alternate per kind (AVX2, then AVX-512
        // VNNI) so that a change in the machine's load hits both of a pair alike
        record Job(String name, Runnable body, String output) {}
        List<Job> jobs = new ArrayList<>();
        float[] y = new float[m * n];
        ActQuant a8 = new ActQuant(m, k, 8, 0), a4 = new ActQuant(m, k, 4, 0);
        if (!natives.isEmpty()) {
            NativeIntBackend q = natives.get(0); // the quantizer is shared by the instruction sets
            q.quantize(x, 0, a8);
            q.quantize(x, 0, a4);
            List<PackedInt> p8 = natives.stream().map(b -> b.pack(w8)).toList(), p4 = natives.stream().map(b -> b.pack(w4)).toList();
            for (String kind : new String[]{"W8A8", "W8A8+q", "W4A8", "W4A4"})
                for (int i = 0; i < natives.size(); i++) {
                    NativeIntBackend nat = natives.get(i);
                    PackedInt pw = kind.startsWith("W8") ? p8.get(i) : p4.get(i);
                    ActQuant a = kind.equals("W4A4") ? a4 : a8;
                    String name = kind.replace("+q", "") + " " + nat.isa().label();
                    if (kind.endsWith("+q")) jobs.add(new Job(name + " (quantize + gemm)", () -> nat.linear(x, 0, m, pw, 8, y, 0), null));
                    else jobs.add(new Job(name + " (gemm)", () -> nat.gemm(a, pw, y, 0), name));
                }
        }
        if (!skipFp32) {
            KernelBackend fb = Kernels.get();
            PackedWeights pw = fb.pack(wf, 0, n, k);
            Runnable f = () -> fb.gemm(x, 0, m, pw, null, y, 0);
            f.run();
            f.run();
            jobs.add(new Job("FP32 Kernels.get().gemm (" + fb.name() + ")", f, null));
        }
        for (Job j : jobs) j.body().run();
        Map<String, float[]> outputs = new LinkedHashMap<>(); // "W8A8 native AVX2" -> output, for the bit checks
        for (Job j : jobs) {
            time(j.name(), -reps, j.body());
            if (j.output() != null) outputs.put(j.output(), y.clone());
        }
        if (!natives.isEmpty()) {
            double qs = median(() -> natives.get(0).quantize(x, 0, a8), reps);
            System.out.printf("%-44s %12s %12s %10.4f %10s%n", "per-token quantizer alone (native)", "-", "-", qs, "-");
        }
        Map<String, float[]> java = new LinkedHashMap<>();
        if (!skipRef) {
            IntBackend ref = JavaIntBackend.INSTANCE;
            PackedInt j8 = ref.pack(w8), j4 = ref.pack(w4);
            ActQuant r8 = new ActQuant(m, k, 8, 0);
            ref.quantize(x, 0, r8);
            warmJava();
            time("W8A8 Java integer reference", -refReps, () -> ref.gemm(r8, j8, y, 0));
            java.put("W8A8", y.clone());
            time("W4A8 Java integer reference", -refReps, () -> ref.gemm(r8, j4, y, 0));
            java.put("W4A8", y.clone());
        }
        compareOutputs(natives, outputs, java);
        printRatios(natives);
        return 0;
    }

    private String ratio(String kernel, String base, String what) {
        double r = cpuRate.get(kernel) / cpuRate.get(base);
        return Double.isNaN(r) ? String.format("  %7s x %s", "-", what) : String.format("  %7.2fx %s", r, what);
    }

    /** Every native output against the first instruction set's and against the Java reference (when it ran). */
    private static void compareOutputs(List<NativeIntBackend> natives, Map<String, float[]> outputs, Map<String, float[]> java) {
        if (natives.isEmpty()) return;
        String first = natives.get(0).isa().label();
        for (String kind : new String[]{"W8A8", "W4A8", "W4A4"})
            for (NativeIntBackend nat : natives) {
                String isa = nat.isa().label();
                float[] y = outputs.get(kind + " " + isa);
                if (!isa.equals(first)) report(kind + " " + isa + " vs " + first, y, outputs.get(kind + " " + first));
                if (java.containsKey(kind)) report(kind + " " + isa + " vs Java reference", y, java.get(kind));
            }
    }

    /** Per-CPU-second ratios from this run: each integer kernel against FP32, AVX-512 VNNI against AVX2. */
    private void printRatios(List<NativeIntBackend> natives) {
        String fp32 = cpuRate.keySet().stream().filter(s -> s.startsWith("FP32")).findFirst().orElse(null);
        if (natives.isEmpty()) return;
        System.out.println("ratios of GOP/cpu-s within this run:");
        for (String kernel : cpuRate.keySet()) {
            if (!kernel.contains(" native ")) continue;
            StringBuilder line = new StringBuilder(String.format("  %-44s", kernel));
            if (fp32 != null) line.append(ratio(kernel, fp32, "FP32"));
            String avx2 = kernel.replace(NativeIntBackend.Isa.AVX512_VNNI.label(), NativeIntBackend.Isa.AVX2.label());
            if (!avx2.equals(kernel) && cpuRate.containsKey(avx2)) line.append(ratio(kernel, avx2, "AVX2"));
            System.out.println(line);
        }
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

    private static void report(String what, float[] a, float[] b) {
        int bad = 0;
        for (int i = 0; i < a.length; i++) if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) bad++;
        System.out.printf("  %s: %s%n", what, bad == 0 ? "bit-identical" : bad + " mismatches");
    }

    /** Times {@code |runs|} runs after one untimed warm-up run; a negative count skips the warm-up (done already, or slow kernels). */
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
        double rate = cpu > 0.05 ? ops * t.length / cpu * 1e-9 : Double.NaN;
        cpuRate.put(name.replace(" (gemm)", ""), rate);
        System.out.printf("%-44s %12.1f %12.1f %10.4f %10s%n", name, ops / med * 1e-9, ops / t[0] * 1e-9, med,
                Double.isNaN(rate) ? "-" : String.format("%.1f", rate));
    }

    private static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean()
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
