package io.vdq.scale;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Samples this process's resident memory from {@code /proc/self/status} (Linux) every {@code periodMs} on a daemon
 * thread and keeps the peaks: VmRSS (all resident pages), RssAnon (heap, stacks, native allocations) and RssFile
 * (resident pages of mapped files, e.g. a checkpoint being read). The kernel's own peak VmHWM is read at
 * {@link #close}. Peaks between two samples can be missed; {@code /usr/bin/time -v} gives the exact VmRSS peak.
 * Where {@code /proc} is absent every value stays 0.
 */
public final class MemoryProbe implements AutoCloseable {
    private static final Path STATUS = Path.of("/proc/self/status");
    private final Thread thread;
    private volatile boolean stop;
    private volatile long peakRss, peakAnon, peakFile, hwm;

    public MemoryProbe(long periodMs) {
        thread = Thread.ofPlatform().daemon().name("vdq-memory-probe").start(() -> {
            while (!stop) {
                sample();
                try { Thread.sleep(periodMs); } catch (InterruptedException e) { return; }
            }
        });
    }

    private void sample() {
        long[] v = read();
        peakRss = Math.max(peakRss, v[0]);
        peakAnon = Math.max(peakAnon, v[1]);
        peakFile = Math.max(peakFile, v[2]);
        hwm = Math.max(hwm, v[3]);
    }

    /** {VmRSS, RssAnon, RssFile, VmHWM} in bytes (0 when unknown). */
    static long[] read() {
        long[] v = new long[4];
        try {
            for (String line : Files.readAllLines(STATUS)) {
                int i = line.startsWith("VmRSS:") ? 0 : line.startsWith("RssAnon:") ? 1 : line.startsWith("RssFile:") ? 2
                        : line.startsWith("VmHWM:") ? 3 : -1;
                if (i < 0) continue;
                String[] p = line.substring(line.indexOf(':') + 1).trim().split("\\s+");
                v[i] = Long.parseLong(p[0]) * 1024; // "kB"
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: leave zeros
        }
        return v;
    }

    public long peakRss() { return peakRss; }
    public long peakAnon() { return peakAnon; }
    public long peakFile() { return peakFile; }
    /** The kernel's peak VmRSS (exact), as of the last sample or {@link #close}. */
    public long hwm() { return hwm; }

    @Override public void close() {
        stop = true;
        thread.interrupt();
        try { thread.join(1000); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        sample();
    }
}
