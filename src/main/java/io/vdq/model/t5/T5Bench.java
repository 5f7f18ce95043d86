package io.vdq.model.t5;

import io.vdq.VdqException.ConfigException;
import io.vdq.io.DType;
import io.vdq.kernel.Kernels;
import io.vdq.tensor.Parallel;
import io.vdq.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Times one prompt through a UMT5-XXL-shaped encoder with random BF16 weights (not a test: figures go to
 * docs/TEXT-encoder.md). Writes the checkpoint into DIR with {@link SyntheticT5} when DIR has no config.json.
 * <pre>
 * java … io.vdq.model.t5.T5Bench DIR [--layers 24] [--tokens 512] [--threads 2] [--shard-gb 4] [--seed 1]
 * </pre>
 * Prints the write time (when it wrote), the load and encode wall times, and this process's memory from
 * /proc/self/status over load + encode: the kernel's peak resident set (VmHWM, reset after the write) and the
 * sampled peaks of its anonymous part (RssAnon: heap, stacks, native) and its file-mapped part (RssFile: weight pages).
 */
public final class T5Bench {
    private T5Bench() {}

    public static void main(String[] args) throws IOException {
        if (args.length == 0) throw new ConfigException("usage: T5Bench DIR [--layers N] [--tokens N] [--threads N] [--shard-gb G] [--seed S]");
        Path dir = Path.of(args[0]);
        int layers = 24, tokens = 512, threads = 2;
        double shardGb = 4;
        long seed = 1;
        for (int i = 1; i < args.length; i += 2) {
            if (i + 1 >= args.length) throw new ConfigException("T5Bench: " + args[i] + " needs a value");
            String v = args[i + 1];
            switch (args[i]) {
                case "--layers" -> layers = Integer.parseInt(v);
                case "--tokens" -> tokens = Integer.parseInt(v);
                case "--threads" -> threads = Integer.parseInt(v);
                case "--shard-gb" -> shardGb = Double.parseDouble(v);
                case "--seed" -> seed = Long.parseLong(v);
                default -> throw new ConfigException("T5Bench: unknown option " + args[i]);
            }
        }
        T5Config x = SyntheticT5.umt5Xxl();
        T5Config c = new T5Config(true, x.vocabSize(), x.dModel(), x.dKv(), x.numHeads(), x.dFf(), layers,
                x.relativeAttentionNumBuckets(), x.relativeAttentionMaxDistance(), x.layerNormEpsilon(), x.feedForwardProj());
        Parallel.setThreads(threads);
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) {
            long t0 = System.nanoTime();
            long total = 0, step = 1L << 30;
            for (long[] sh : T5Parameters.allShapes(c).values()) total += 2 * Arrays.stream(sh).reduce(1, Math::multiplyExact);
            long all = total;
            long[] next = {step};
            SyntheticT5.write(dir, c, seed, DType.BF16, (long) (shardGb * (1L << 30)), done -> {
                if (done >= next[0] || done == all) {
                    System.out.printf(Locale.ROOT, "writing %s: %.1f of %.1f GB, %.0f s%n", dir, done / 1e9, all / 1e9,
                            (System.nanoTime() - t0) / 1e9);
                    next[0] = (done / step + 1) * step;
                }
            });
            System.out.printf(Locale.ROOT, "wrote %s (%d layers, BF16) in %.1f s%n", dir, layers, (System.nanoTime() - t0) / 1e9);
        } else if (!T5Config.read(cfg).equals(c)) {
            throw new ConfigException(cfg + ": holds a different config than the one asked for; delete the folder or pick another");
        }
        long bytes = 0;
        try (var s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.toString().endsWith(".safetensors")).toList()) bytes += Files.size(p);
        }
        int[] ids = new int[tokens];
        for (int i = 0; i < tokens; i++) ids[i] = (int) ((i * 2654435761L + 12345) % c.vocabSize());
        resetPeak();
        Memory mem = new Memory();
        long t0 = System.nanoTime();
        try (T5Encoder enc = T5Encoder.load(dir)) {
            long t1 = System.nanoTime();
            Tensor y = enc.encode(ids);
            long t2 = System.nanoTime();
            mem.stop();
            double ss = 0;
            for (float v : y.toArray()) ss += (double) v * v;
            System.out.printf(Locale.ROOT, "umt5 %d layers, d_model %d, d_ff %d, %d heads, vocab %d; weights %.2f GB BF16%n",
                    layers, c.dModel(), c.dFf(), c.numHeads(), c.vocabSize(), bytes / 1e9);
            System.out.printf(Locale.ROOT, "kernels %s, %d threads, %d tokens, block %d rows%n", Kernels.describe(), threads,
                    tokens, StreamingLinear.BLOCK_ROWS);
            System.out.printf(Locale.ROOT, "load %.2f s, encode %.1f s (%.2f s/layer), output rms %.3f%n", (t1 - t0) / 1e9,
                    (t2 - t1) / 1e9, (t2 - t1) / 1e9 / layers, Math.sqrt(ss / y.size()));
            System.out.printf(Locale.ROOT, "memory: VmHWM %.0f MB; peaks sampled every 20 ms: RSS %.0f MB = RssAnon %.0f MB + RssFile %.0f MB (at most)%n",
                    mem.hwm / 1e6, mem.rss / 1e6, mem.anon / 1e6, mem.file / 1e6);
        }
    }

    /** Resets the kernel's VmHWM to the current RSS (Linux ≥ 4.0), so the peak covers the encode, not the write. */
    private static void resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | RuntimeException e) {
            System.out.println("note: could not reset VmHWM (" + e.getMessage() + "); it covers the whole process");
        }
    }

    /** Peaks of VmRSS / RssAnon / RssFile sampled from /proc/self/status, and VmHWM at the end. */
    private static final class Memory {
        volatile long rss, anon, file, hwm;
        private volatile boolean done;
        private final Thread t = Thread.ofPlatform().daemon().start(() -> {
            while (!done) {
                sample();
                try { Thread.sleep(20); } catch (InterruptedException e) { return; }
            }
        });

        void stop() throws IOException {
            done = true;
            t.interrupt();
            sample();
        }

        private void sample() {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    int colon = line.indexOf(':');
                    if (colon < 0) continue;
                    String key = line.substring(0, colon);
                    if (!key.equals("VmRSS") && !key.equals("RssAnon") && !key.equals("RssFile") && !key.equals("VmHWM")) continue;
                    long v = Long.parseLong(line.substring(colon + 1).trim().split("\\s+")[0]) * 1024;   // "kB"
                    switch (key) {
                        case "VmRSS" -> rss = Math.max(rss, v);
                        case "RssAnon" -> anon = Math.max(anon, v);
                        case "RssFile" -> file = Math.max(file, v);
                        default -> hwm = Math.max(hwm, v);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // no /proc: figures stay 0
            }
        }
    }
}
