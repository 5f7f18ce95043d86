package io.vdq.cli;

import io.vdq.VdqException;
import io.vdq.kernel.ExecutionContext;
import io.vdq.kernel.FlashKernel;
import io.vdq.kernel.Int16Attention;
import io.vdq.kernel.Int16FlashKernel;
import io.vdq.kernel.Int8Attention;
import io.vdq.kernel.IntBackend;
import io.vdq.kernel.KernelBackend;
import io.vdq.kernel.Kernels;
import io.vdq.kernel.PackedWeights;
import io.vdq.kernel.VectorBackend;
import io.vdq.kernel.nat.NativeAttention;
import io.vdq.kernel.nat.OpenBlas;
import io.vdq.tensor.Parallel;
import io.vdq.tensor.Tensor;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vdq bench}: kernel benchmarks (one subcommand per kernel family). Each measurement warms up, times
 * at least 15 repetitions by default, prints the median and best rate, and spot-checks the result against a
 * double-precision reference so a fast wrong kernel cannot pass unnoticed.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks: FP32 GEMM, attention, a Wan block, integer GEMM, one forward per recipe (quant), GGUF exports against their float checkpoint (gguf).",
        subcommands = {BenchCommand.Gemm.class, BenchCommand.Attention.class, BenchBlockCommand.class, BenchIntCommand.class,
                BenchQuantCommand.class, BenchGgufCommand.class})
final class BenchCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    /** Options shared by the subcommands. */
    static class Common {
        @Option(names = "--threads", split = ",", description = "Thread counts to run, e.g. 1,2 (default: 1,2).")
        int[] threads = {1, 2};

        @Option(names = "--backend", description = "vector, scalar, all, or auto (vector; scalar too when the problem is small). Default: ${DEFAULT-VALUE}.")
        String backend = "auto";

        @Option(names = "--warmup", description = "Untimed calls before timing. Default: ${DEFAULT-VALUE}.")
        int warmup = 3;

        @Option(names = "--warmup-seconds", description = "Keep warming up at least this long (the Vector API is ~100× slower until C2 compiles it). Default: ${DEFAULT-VALUE}.")
        double warmupSeconds = 2;

        @Option(names = "--seed", description = "Random seed for the inputs. Default: ${DEFAULT-VALUE}.")
        long seed = 42;

        List<KernelBackend> backends(boolean small) {
            return switch (backend.toLowerCase()) {
                case "vector" -> List.of(Kernels.byName("vector"));
                case "scalar" -> List.of(Kernels.byName("scalar"));
                case "all" -> List.of(Kernels.byName("vector"), Kernels.byName("scalar"));
                case "auto" -> small ? List.of(Kernels.byName("vector"), Kernels.byName("scalar"))
                        : List.of(Kernels.byName("vector"));
                default -> throw new VdqException.ConfigException("bench: --backend '" + backend
                        + "' unknown: expected vector, scalar, all or auto");
            };
        }

        void checkCounts(int reps, int... dims) {
            for (int d : dims) if (d <= 0) throw new VdqException.ConfigException("bench: sizes must be positive, got " + d);
            if (reps < 1 || warmup < 0 || !(warmupSeconds >= 0)) throw new VdqException.ConfigException("bench: --reps must be >= 1 and --warmup, --warmup-seconds >= 0, got " + reps + ", " + warmup + ", " + warmupSeconds);
            for (int t : threads) if (t < 1) throw new VdqException.ConfigException("bench: --threads must be >= 1, got " + t);
        }
    }

    @Command(name = "gemm", mixinStandardHelpOptions = true,
            description = "FP32 GEMM Y[m×n] = X[m×k]·Wᵀ (W prepacked, as at load time): GFLOP/s per backend and thread count.")
    static final class Gemm extends Common implements Runnable {
        @Option(names = "--m", description = "Rows of X (tokens). Default: ${DEFAULT-VALUE}.") int m = 1024;
        @Option(names = "--n", description = "Outputs (rows of W). Default: ${DEFAULT-VALUE}.") int n = 1024;
        @Option(names = "--k", description = "Inputs (columns of X and W). Default: ${DEFAULT-VALUE}.") int k = 1024;
        @Option(names = "--reps", description = "Timed repetitions. Default: ${DEFAULT-VALUE}.") int reps = 15;
        @Option(names = "--anchor", description = "Also time this reference in the same run and print vdq's rate as a "
                + "ratio of it: openblas (the system OpenBLAS's cblas_sgemm, e.g. Debian libopenblas0), or none. Default: ${DEFAULT-VALUE}.")
        String anchor = "none";
        @Spec CommandSpec spec;

        @Override public void run() {
            checkCounts(reps, m, n, k);
            if (!anchor.equals("none") && !anchor.equals("openblas"))
                throw new VdqException.ConfigException("bench gemm: --anchor '" + anchor + "': expected openblas or none");
            Optional<OpenBlas> blas = anchor.equals("openblas") ? OpenBlas.load() : Optional.empty();
            if (anchor.equals("openblas") && blas.isEmpty())
                throw new VdqException.ConfigException("bench gemm: --anchor openblas: no OpenBLAS with cblas_sgemm found "
                        + "(install libopenblas0, e.g. apt-get install libopenblas0)");
            var out = spec.commandLine().getOut();
            long elems = Math.max((long) m * k, Math.max((long) n * k, (long) m * n));
            if (elems > Integer.MAX_VALUE - 64)
                throw new VdqException.ConfigException("bench gemm: " + m + "×" + n + "×" + k + " exceeds one Java array");
            List<KernelBackend> bs = backends((long) m * n * k <= (1L << 27));
            SplittableRandom rnd = new SplittableRandom(seed);
            float[] x = random(rnd, m * k), w = random(rnd, n * k), y = new float[m * n];
            double flops = 2.0 * m * n * k;
            out.printf("gemm m=%d n=%d k=%d  (%.3f GFLOP per call, %d warm-up, %d timed reps, %s)%n",
                    m, n, k, flops / 1e9, warmup, reps, cpuNote());
            out.println("vector backend GEMM: " + Kernels.describe(VectorBackend.INSTANCE)
                    + " (-Dvdq.native=off: the Vector API micro-kernel; same bits)");
            out.printf(HEADER, "backend", "threads", "median GF/s", "best GF/s", "median ms", "GF/CPU-s", "max rel err");
            int saved = Parallel.threads();
            try {
                OpenBlas ob = blas.orElse(null);
                MemorySegment xs = ob == null ? null : ob.copy(x), ws = ob == null ? null : ob.copy(w), ys = ob == null ? null : ob.copy(y);
                if (ob != null)
                    out.println("anchor: " + ob.path() + ", kernels " + ob.coreName() + " (OPENBLAS_CORETYPE="
                            + System.getenv().getOrDefault("OPENBLAS_CORETYPE", "unset") + ", OPENBLAS_THREAD_TIMEOUT="
                            + OpenBlas.threadTimeout() + "); each vdq rep alternates with an anchor rep, so both see the same load");
                for (KernelBackend b : bs) {
                    PackedWeights pw = b.pack(w, 0, n, k);
                    for (int t : threads) {
                        Parallel.setThreads(t);
                        Arrays.fill(y, Float.NaN);
                        Runnable vdqCall = () -> b.gemm(x, 0, m, pw, null, y, 0);
                        if (ob == null) {
                            Timings ns = time(vdqCall, warmup, warmupSeconds, reps);
                            report(out, b.name(), t, flops, ns, gemmError(rnd, x, w, y, m, n, k));
                            continue;
                        }
                        ob.threads(t);
                        Timings[] both = timeInterleaved(new Runnable[]{() -> ob.gemm(xs, ws, ys, m, n, k), vdqCall},
                                warmup, warmupSeconds, reps);
                        report(out, "openblas", t, flops, both[0], gemmError(rnd, x, w, ys.toArray(ValueLayout.JAVA_FLOAT), m, n, k));
                        report(out, b.name(), t, flops, both[1], gemmError(rnd, x, w, y, m, n, k));
                        double cpuRatio = Arrays.stream(both[0].cpuNs()).sum() / Arrays.stream(both[1].cpuNs()).sum();
                        out.printf(Locale.ROOT, "        %s at %d threads = %.2f× OpenBLAS (median wall rate), %.2f× (rate per CPU-second)%n",
                                b.name(), t, median(both[0].wallNs()) / median(both[1].wallNs()), cpuRatio);
                    }
                }
            } finally {
                Parallel.setThreads(saved);
                blas.ifPresent(OpenBlas::close);
            }
        }
    }

    @Command(name = "attention", mixinStandardHelpOptions = true,
            description = "Multi-head self-attention softmax(Q·Kᵀ/√d)·V over --tokens rows: GFLOP/s (4·n²·d per head); with "
                    + "--variants, the float and int8 kernels and an FP32 GEMM timed alternately in one run, with errors.")
    static final class Attention extends Common implements Runnable {
        @Option(names = "--tokens", split = ",", description = "Sequence lengths (queries = keys), e.g. 4096,16384. Default: 4096.")
        int[] tokens = {4096};
        @Option(names = "--heads", description = "Heads. Default: ${DEFAULT-VALUE}.") int heads = 12;
        @Option(names = "--head-dim", description = "Head dimension. Default: ${DEFAULT-VALUE}.") int headDim = 128;
        @Option(names = "--reps", description = "Timed repetitions. Default: ${DEFAULT-VALUE}.") int reps = 15;
        @Option(names = "--variants", split = ",", description = "Compare these in one run, each rep alternating with the "
                + "others and with the FP32 GEMM: " + VARIANTS + " (flash: the kernel -Dvdq.native selects; blockwise: the "
                + "Vector API kernel on the FP32 macro-kernel; int8-qk / int8-qkpv: int8 Q·Kᵀ with smoothed K, float or int8 P·V, on the integer GEMM; qB-qk / qB-qkpv: the flash "
                + "kernel with Q·Kᵀ, and P·V, from B-bit codes multiplied as int16, e.g. q8-qkpv, q12-qkpv).")
        List<String> variants = List.of();
        @Option(names = "--gemm", split = ",", description = "The FP32 GEMM timed with --variants, M,N,K (X[M×K]·Wᵀ, W prepacked). "
                + "Default: 4096,1536,1536 (a Wan2.1-1.3B projection at 4 096 tokens).")
        int[] gemm = {4096, 1536, 1536};
        @Spec CommandSpec spec;

        static final String VARIANTS = "flash, flash-avx2, flash-avx512, blockwise, int8-qk, int8-qkpv, qB-qk, qB-qkpv (B = 2..12)";

        @Override public void run() {
            for (int n : tokens) checkCounts(reps, n, heads, headDim);
            var out = spec.commandLine().getOut();
            long width = (long) heads * headDim;
            for (int n : tokens)
                if (width * n > Integer.MAX_VALUE - 64)
                    throw new VdqException.ConfigException("bench attention: " + n + " tokens × " + width + " exceeds one Java array");
            if (!variants.isEmpty()) {
                compare(out, (int) width);
                return;
            }
            int dim = (int) width;
            int saved = Parallel.threads();
            try {
                for (int tokens : this.tokens) {
                    List<KernelBackend> bs = backends((long) tokens * tokens * dim <= (1L << 27));
                    SplittableRandom rnd = new SplittableRandom(seed);
                    float[] q = random(rnd, tokens * dim), kk = random(rnd, tokens * dim), v = random(rnd, tokens * dim);
                    float[] o = new float[tokens * dim];
                    float scale = (float) (1.0 / Math.sqrt(headDim));
                    double flops = 4.0 * tokens * (double) tokens * headDim * heads;
                    out.printf("attention tokens=%d heads=%d head-dim=%d  (%.3f GFLOP per call, %d warm-up, %d timed reps, %s)%n",
                            tokens, heads, headDim, flops / 1e9, warmup, reps, cpuNote());
                    out.printf(HEADER, "backend", "threads", "median GF/s", "best GF/s", "median ms", "GF/CPU-s", "max abs err");
                    for (KernelBackend b : bs) {
                        for (int t : threads) {
                            Parallel.setThreads(t);
                            Arrays.fill(o, Float.NaN);
                            Timings ns = time(() -> b.attention(q, 0, dim, kk, 0, dim, v, 0, dim, o, 0, dim,
                                    tokens, tokens, heads, headDim, scale), warmup, warmupSeconds, reps);
                            double err = attentionError(rnd, q, kk, v, o, tokens, heads, headDim, scale);
                            report(out, b.name(), t, flops, ns, err);
                        }
                    }
                }
            } finally {
                Parallel.setThreads(saved);
            }
        }

        /** One runnable per variant, writing into its own output. */
        private Runnable variant(String name, float[] q, float[] k, float[] v, float[] o, int n, int dim, float scale) {
            KernelBackend vb = VectorBackend.INSTANCE;
            Runnable floatCall = () -> vb.attention(q, 0, dim, k, 0, dim, v, 0, dim, o, 0, dim, n, n, heads, headDim, scale);
            return switch (name) {
                case "flash", "flash-avx2", "flash-avx512", "blockwise" -> {
                    FlashKernel fk = switch (name) {
                        case "flash" -> ExecutionContext.flashAttention();
                        case "blockwise" -> null;
                        default -> NativeAttention.byName(name.substring(6));
                    };
                    if (fk == null && !name.equals("blockwise"))
                        throw new VdqException.ConfigException("bench attention: --variants " + name + ": no such native attention "
                                + "kernel can run here (library missing, -Dvdq.native=off, or the CPU lacks avx512f)");
                    yield () -> {
                        FlashKernel saved = ExecutionContext.flashAttention();
                        ExecutionContext.setFlashAttention(fk);
                        try {
                            floatCall.run();
                        } finally {
                            ExecutionContext.setFlashAttention(saved);
                        }
                    };
                }
                case "int8-qk", "int8-qkpv" -> {
                    IntBackend ib = ExecutionContext.intBackend();
                    boolean pv = name.equals("int8-qkpv");
                    yield () -> Int8Attention.attention(ib, vb, q, 0, dim, k, 0, dim, v, 0, dim, o, 0, dim, n, n, heads, headDim, scale, true, pv);
                }
                default -> {
                    var m = Pattern.compile("q(\\d+)-qk(pv)?").matcher(name);
                    if (!m.matches())
                        throw new VdqException.ConfigException("bench attention: --variants '" + name + "' unknown: expected " + VARIANTS);
                    Int16FlashKernel fk = ExecutionContext.int16Attention();
                    if (fk == null)
                        throw new VdqException.ConfigException("bench attention: --variants " + name + ": the int16 attention kernel "
                                + "cannot run here (library missing or -Dvdq.native=off)");
                    int bits = Integer.parseInt(m.group(1)), vBits = m.group(2) == null ? 0 : bits;
                    yield () -> Int16Attention.attention(fk, bits, vBits, q, 0, dim, k, 0, dim, v, 0, dim, o, 0, dim, n, n, heads, headDim, scale);
                }
            };
        }

        /** --variants: per token count and thread count, the variants and the FP32 GEMM, timed alternately. */
        private void compare(PrintWriter out, int dim) {
            if (gemm.length != 3 || gemm[0] < 1 || gemm[1] < 1 || gemm[2] < 1)
                throw new VdqException.ConfigException("bench attention: --gemm expects M,N,K (positive), got " + Arrays.toString(gemm));
            int gm = gemm[0], gn = gemm[1], gk = gemm[2];
            if (Math.max((long) gm * gk, Math.max((long) gn * gk, (long) gm * gn)) > Integer.MAX_VALUE - 64)
                throw new VdqException.ConfigException("bench attention: --gemm " + gm + "," + gn + "," + gk + " exceeds one Java array");
            for (String vName : variants) variant(vName, new float[0], new float[0], new float[0], new float[0], 1, dim, 1f); // names first
            KernelBackend vb = VectorBackend.INSTANCE;
            SplittableRandom rnd = new SplittableRandom(seed);
            float[] x = random(rnd, gm * gk), w = random(rnd, gn * gk), y = new float[gm * gn];
            PackedWeights pw = vb.pack(w, 0, gn, gk);
            double gemmFlops = 2.0 * gm * gn * gk;
            FlashKernel sel = ExecutionContext.flashAttention();
            out.printf("attention variants, heads=%d head-dim=%d, %d warm-up, %d timed reps (%s); flash = %s; FP32 GEMM %s, %dx%dx%d; "
                            + "integer backend %s; load %s%n", heads, headDim, warmup, reps, cpuNote(), sel == null ? "none" : sel.name(),
                    Kernels.describe(vb), gm, gn, gk, ExecutionContext.intBackend().name(), BenchQuantCommand.loadAverage());
            out.println("inputs: Q, K, V standard normal, K + 4 on every 7th channel (the channel means of post-RoPE keys); "
                    + "errors over 16 sampled (row, head) pairs against softmax(QKᵀ·scale)·V in double");
            out.printf("%-13s %6s %7s %12s %10s %9s %9s %11s %11s%n", "variant", "tokens", "threads", "median GF/s",
                    "GF/CPU-s", "×GEMM cpu", "×GEMM wall", "max abs err", "rel L2 err");
            int saved = Parallel.threads();
            try {
                for (int n : tokens) {
                    float[] q = Tensor.randn(seed + 11, n, dim).data(), k = Tensor.randn(seed + 12, n, dim).data(),
                            v = Tensor.randn(seed + 13, n, dim).data();
                    for (int i = 0; i < k.length; i++) k[i] += (i % dim) % 7 == 0 ? 4f : 0f;
                    float scale = (float) (1.0 / Math.sqrt(headDim));
                    double flops = 4.0 * n * (double) n * headDim * heads;
                    float[][] outs = new float[variants.size()][];
                    Runnable[] calls = new Runnable[variants.size() + 1];
                    calls[0] = () -> vb.gemm(x, 0, gm, pw, null, y, 0);
                    for (int i = 0; i < variants.size(); i++) {
                        outs[i] = new float[n * dim];
                        calls[i + 1] = variant(variants.get(i), q, k, v, outs[i], n, dim, scale);
                    }
                    for (int t : threads) {
                        Parallel.setThreads(t);
                        Timings[] ts = timeInterleaved(calls, warmup, warmupSeconds, reps);
                        double gWall = gemmFlops / median(ts[0].wallNs()), gCpu = perCpu(gemmFlops, ts[0]);
                        out.printf(Locale.ROOT, "%-13s %6s %7d %12.1f %10.1f %9s %9s %11.2e %11s%n", "fp32-gemm", "-", t, gWall, gCpu,
                                "1.00", "1.00", gemmError(rnd, x, w, y, gm, gn, gk), "-");
                        SplittableRandom pick = new SplittableRandom(seed + n);
                        int[] rows = new int[16], hs = new int[16];
                        for (int s = 0; s < 16; s++) { rows[s] = pick.nextInt(n); hs[s] = pick.nextInt(heads); }
                        for (int i = 0; i < variants.size(); i++) {
                            String name = variants.get(i);
                            double wall = flops / median(ts[i + 1].wallNs()), cpu = perCpu(flops, ts[i + 1]);
                            double[] err = attentionErrors(q, k, v, outs[i], n, dim, scale, rows, hs);
                            out.printf(Locale.ROOT, "%-13s %6d %7d %12.1f %10.1f %9.2f %9.2f %11.2e %11.2e%n", name, n, t, wall, cpu,
                                    cpu / gCpu, wall / gWall, err[0], err[1]);
                            out.flush();
                            double bound = name.startsWith("int8") || name.startsWith("q") ? 0.5 : 1e-3;
                            if (!(err[1] < bound))
                                throw new VdqException("bench: " + name + " result is wrong (relative L2 error " + err[1] + " against a double reference)");
                        }
                    }
                }
            } finally {
                Parallel.setThreads(saved);
            }
            out.printf("load at the end: %s%n", BenchQuantCommand.loadAverage());
        }

        /** Max abs and relative L2 error of the sampled (row, head) outputs against a double-precision attention. */
        private double[] attentionErrors(float[] q, float[] k, float[] v, float[] o, int n, int dim, float scale, int[] rows, int[] hs) {
            return BenchCommand.attentionErrors(q, k, v, o, n, dim, headDim, scale, rows, hs);
        }
    }

    /**
     * Max abs and relative L2 error of the outputs at the sampled (row {@code rows[t]}, head {@code hs[t]}) pairs
     * against a double-precision attention ({@code dim} = heads × {@code d}, row-major [n, dim] operands).
     */
    static double[] attentionErrors(float[] q, float[] k, float[] v, float[] o, int n, int dim, int d, float scale, int[] rows, int[] hs) {
        double worst = 0, e2 = 0, r2 = 0;
        double[] s = new double[n];
        for (int t = 0; t < rows.length; t++) {
            int i = rows[t], h = hs[t];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                double dot = 0;
                for (int p = 0; p < d; p++) dot += (double) q[i * dim + h * d + p] * k[j * dim + h * d + p];
                s[j] = dot * scale;
                max = Math.max(max, s[j]);
            }
            double sum = 0;
            for (int j = 0; j < n; j++) { s[j] = Math.exp(s[j] - max); sum += s[j]; }
            for (int p = 0; p < d; p++) {
                double acc = 0;
                for (int j = 0; j < n; j++) acc += s[j] * v[j * dim + h * d + p];
                double ref = acc / sum, got = o[i * dim + h * d + p];
                if (Double.isNaN(got)) return new double[]{Double.NaN, Double.NaN};
                worst = Math.max(worst, Math.abs(got - ref));
                e2 += (got - ref) * (got - ref);
                r2 += ref * ref;
            }
        }
        return new double[]{worst, Math.sqrt(e2 / Math.max(r2, Double.MIN_NORMAL))};
    }

    /** Flops per CPU-second over all reps of t (NaN under 0.2 s of CPU time: the process clock ticks coarsely). */
    static double perCpu(double flops, Timings t) {
        double cpuTotal = Arrays.stream(t.cpuNs()).sum();
        return cpuTotal < 2e8 ? Double.NaN : flops * t.cpuNs().length / cpuTotal;
    }

    static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }

    /** Wall and process-CPU nanoseconds of each timed call, after {@code warmup} untimed calls. */
    record Timings(double[] wallNs, double[] cpuNs) {}

    static Timings time(Runnable call, int warmup, double warmupSeconds, int reps) {
        long until = System.nanoTime() + (long) (warmupSeconds * 1e9);
        for (int i = 0; i < warmup || System.nanoTime() < until; i++) call.run();
        var os = ManagementFactory.getOperatingSystemMXBean();
        var cpu = os instanceof com.sun.management.OperatingSystemMXBean sun ? sun : null;
        double[] ns = new double[reps], cpuNs = new double[reps];
        for (int i = 0; i < reps; i++) {
            long c0 = cpu == null ? 0 : cpu.getProcessCpuTime();
            long t0 = System.nanoTime();
            call.run();
            ns[i] = System.nanoTime() - t0;
            cpuNs[i] = cpu == null ? Double.NaN : cpu.getProcessCpuTime() - c0;
        }
        return new Timings(ns, cpuNs);
    }

    /**
     * {@link #time} for several calls at once: each is warmed up, then the timed reps alternate between them (call
     * 0, call 1, ..., call 0, ...), so a load that changes during the run affects them alike.
     */
    static Timings[] timeInterleaved(Runnable[] calls, int warmup, double warmupSeconds, int reps) {
        for (Runnable c : calls) time(c, warmup, warmupSeconds / calls.length, 0);
        var os = ManagementFactory.getOperatingSystemMXBean();
        var cpu = os instanceof com.sun.management.OperatingSystemMXBean sun ? sun : null;
        double[][] ns = new double[calls.length][reps], cpuNs = new double[calls.length][reps];
        for (int i = 0; i < reps; i++)
            for (int c = 0; c < calls.length; c++) {
                long c0 = cpu == null ? 0 : cpu.getProcessCpuTime();
                long t0 = System.nanoTime();
                calls[c].run();
                ns[c][i] = System.nanoTime() - t0;
                cpuNs[c][i] = cpu == null ? Double.NaN : cpu.getProcessCpuTime() - c0;
            }
        Timings[] r = new Timings[calls.length];
        for (int c = 0; c < calls.length; c++) r[c] = new Timings(ns[c], cpuNs[c]);
        return r;
    }

    /** CPU nanoseconds of the whole process so far (all its threads), or 0 when the JVM cannot tell. */
    static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean sun
                ? sun.getProcessCpuTime() : 0;
    }

    static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
    }

    static final String HEADER = "%-7s %7s %12s %12s %11s %14s %12s%n";

    /**
     * One result line: median and best wall-clock rate, median ms, and the rate per CPU-second of the whole
     * process (on a shared machine the wall rate shows the share we got; flops per CPU-second, times the
     * thread count, estimates the rate on a quiet machine).
     */
    static void report(PrintWriter out, String backend, int threads, double flops, Timings t, double err) {
        double median = median(t.wallNs()), best = Arrays.stream(t.wallNs()).min().orElseThrow();
        // Process CPU time ticks coarsely (often 10 ms), so the CPU rate is taken over all reps together.
        // Under 0.2 s in total the ticks say nothing: shown as NaN.
        double cpuTotal = Arrays.stream(t.cpuNs()).sum();
        double perCpu = cpuTotal < 2e8 ? Double.NaN : flops * t.cpuNs().length / cpuTotal;
        out.printf("%-7s %7d %12.1f %12.1f %11.2f %14.1f %12.2e%n", backend, threads, flops / median, flops / best,
                median / 1e6, perCpu, err);
        out.flush();
        if (!(err < 1e-3))
            throw new VdqException("bench: " + backend + " result is wrong (spot-check error " + err + " against a double reference)");
    }

    /**
     * Max over 64 random entries of |y − ref| / Σ|x·w| with ref computed in double: a rounding-scaled error,
     * about 1e-7 for a correct FP32 kernel.
     */
    static double gemmError(SplittableRandom rnd, float[] x, float[] w, float[] y, int m, int n, int k) {
        double worst = 0;
        for (int s = 0; s < 64; s++) {
            int i = rnd.nextInt(m), j = rnd.nextInt(n);
            double ref = 0, mag = 0;
            for (int p = 0; p < k; p++) { double t = (double) x[i * k + p] * w[j * k + p]; ref += t; mag += Math.abs(t); }
            worst = Math.max(worst, Math.abs(y[i * n + j] - ref) / Math.max(mag, Double.MIN_NORMAL));
            if (Double.isNaN(y[i * n + j])) return Double.NaN;
        }
        return worst;
    }

    /** Max abs error over 8 random (row, head) outputs against a double-precision softmax(Q·Kᵀ·scale)·V. */
    static double attentionError(SplittableRandom rnd, float[] q, float[] k, float[] v, float[] o, int n, int heads, int d, float scale) {
        int[] rows = new int[8], hs = new int[8];
        for (int t = 0; t < 8; t++) { rows[t] = rnd.nextInt(n); hs[t] = rnd.nextInt(heads); }
        return attentionErrors(q, k, v, o, n, heads * d, d, scale, rows, hs)[0];
    }

    /** The vector width in use, for the header line. */
    static String cpuNote() {
        List<String> parts = new ArrayList<>();
        parts.add("vector " + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit");
        parts.add(Runtime.getRuntime().availableProcessors() + " cpus");
        return String.join(", ", parts);
    }
}
