package io.vdq.model.vae;

import io.vdq.io.DType;
import io.vdq.kernel.Kernels;
import io.vdq.tensor.Parallel;
import io.vdq.tensor.Tensor;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Times one decode of a Wan2.1-shaped random VAE (base 96, z 16, dim_mult [1,2,4,4], 2 res blocks, BF16 weights)
 * and prints wall and CPU seconds, the multiply-adds done, and peak RSS (VmHWM). Arguments, all optional:
 * {@code latentFrames latentH latentW threads tile stride dir} (defaults 5 30 52 2 256 192: 17 frames of 240×416 in
 * diffusers' default tiles; tile 0 decodes untiled). The weights are written to {@code dir} (default
 * {@code /tmp/vdq-vae-bench-wan21}) by a child JVM when missing, so that writing does not count in the peak.
 * With {@code -Dvae.countOnly=true} nothing is computed: only the multiply-adds of the decode are counted (for
 * extrapolating from a smaller measured case).
 */
public final class VaeBench {
    private VaeBench() {}

    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length == 2 && args[0].equals("--write")) {
            SyntheticVae.write(Path.of(args[1]), WanVaeConfig.wan21(), 1, DType.BF16);
            return;
        }
        int f = arg(args, 0, 5), h = arg(args, 1, 30), w = arg(args, 2, 52), threads = arg(args, 3, 2);
        int tile = arg(args, 4, WanVae.DEFAULT_TILE), stride = arg(args, 5, WanVae.DEFAULT_STRIDE);
        Path dir = Path.of(args.length > 6 ? args[6] : "/tmp/vdq-vae-bench-wan21");
        boolean countOnly = Boolean.getBoolean("vae.countOnly");
        if (!Files.isRegularFile(dir.resolve("config.json"))) writeInChild(dir);
        Parallel.setThreads(threads);
        WanVaeConfig c = WanVaeConfig.wan21();
        long t1 = System.nanoTime();
        try (WanVae base = WanVae.load(dir)) {
            long t2 = System.nanoTime();
            System.out.printf("Wan2.1-shaped VAE (%s): %,d parameters; load %.1f s; RSS after load %s, peak %s%n",
                    dir, WanVaeLayout.parameters(c), (t2 - t1) / 1e9, status("VmRSS"), status("VmHWM"));
            WanVae vae = tile > 0 ? base.tiled(tile, tile, stride, stride) : base;
            Tensor z = Tensor.randn(7, c.zDim(), f, h, w);
            Conv.countOnly = countOnly;
            long macs0 = Conv.MACS.sum();
            long cpu0 = cpuNanos(), t3 = System.nanoTime();
            Tensor out = vae.decodeNormalized(z);
            long t4 = System.nanoTime(), cpu1 = cpuNanos();
            double macs = Conv.MACS.sum() - macs0, wall = (t4 - t3) / 1e9, cpu = (cpu1 - cpu0) / 1e9;
            System.out.printf("decode latents [16, %d, %d, %d] -> video %s, %s, %d threads, %s:%n", f, h, w, out.shape(),
                    tile > 0 ? "tiles " + tile + " stride " + stride : "untiled", threads, Kernels.describe());
            if (countOnly) System.out.printf("  count only: %.3f T multiply-adds (%.2f TFLOP); %.1f s; peak RSS %s "
                    + "(every activation is still allocated); max heap %d MB%n", macs / 1e12, 2 * macs / 1e12, wall,
                    status("VmHWM"), Runtime.getRuntime().maxMemory() >> 20);
            else System.out.printf("  %.1f s wall, %.1f s process CPU; %.3f T multiply-adds = %.1f GFLOP/s per wall second, "
                            + "%.1f per CPU second; peak RSS %s; max heap %d MB; load average %s%n",
                    wall, cpu, macs / 1e12, 2 * macs / wall / 1e9, 2 * macs / cpu / 1e9, status("VmHWM"),
                    Runtime.getRuntime().maxMemory() >> 20, loadAverage());
        }
    }

    private static void writeInChild(Path dir) throws IOException, InterruptedException {
        System.out.println("writing a random Wan2.1-shaped VAE (BF16) to " + dir + " in a child JVM");
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), VaeBench.class.getName(), "--write", dir.toString()));
        int rc = new ProcessBuilder(cmd).inheritIO().start().waitFor();
        if (rc != 0) throw new IllegalStateException("writing the benchmark VAE failed (exit " + rc + ")");
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "n/a";
        }
    }

    private static int arg(String[] a, int i, int d) { return a.length > i ? Integer.parseInt(a[i]) : d; }

    /** A line of /proc/self/status (e.g. VmHWM, the peak resident set), or "n/a" off Linux. */
    static String status(String key) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status")))
                if (l.startsWith(key + ":")) return l.substring(key.length() + 1).trim();
        } catch (IOException e) {
            return "n/a";
        }
        return "n/a";
    }
}
