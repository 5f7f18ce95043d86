package io.vdq.tensor;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The one shared worker pool, sized to the cores (override with {@code -Dvdq.threads=N}); no thread is
 * created per call. Work is split into contiguous, deterministic ranges so results never depend on
 * scheduling. Nested calls from inside a worker run inline on that worker.
 */
public final class Parallel {
    private static volatile int threads = Integer.getInteger("vdq.threads", Runtime.getRuntime().availableProcessors());
    private static ExecutorService pool;
    private static final ThreadLocal<Boolean> IN_WORKER = ThreadLocal.withInitial(() -> false);

    private Parallel() {}

    /** A body over a half-open range of indices. */
    @FunctionalInterface
    public interface RangeBody { void run(int from, int to); }

    public static int threads() { return threads; }

    /** Sets the number of threads used by later calls (1 = run on the caller). */
    public static synchronized void setThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("threads must be >= 1, got " + n);
        threads = n;
    }

    private static synchronized ExecutorService pool() {
        if (pool == null) {
            AtomicInteger id = new AtomicInteger();
            ThreadFactory tf = r -> {
                Thread t = new Thread(() -> { IN_WORKER.set(true); r.run(); }, "vdq-worker-" + id.incrementAndGet());
                t.setDaemon(true);
                return t;
            };
            pool = Executors.newFixedThreadPool(Math.max(1, Runtime.getRuntime().availableProcessors() * 2), tf);
        }
        return pool;
    }

    /** Runs {@code body} over {@code [0, n)} split into at most threads() contiguous chunks. */
    public static void range(int n, RangeBody body) { range(n, 1, body); }

    /**
     * Runs {@code body} over {@code [0, n)} split into at most threads() contiguous chunks whose starts are
     * multiples of {@code align} (except that the last chunk ends at n).
     */
    public static void range(int n, int align, RangeBody body) {
        int t = threads;
        if (n <= 0) return;
        int units = (n + align - 1) / align;
        int chunks = Math.min(t, units);
        if (chunks <= 1 || IN_WORKER.get()) { body.run(0, n); return; }
        Future<?>[] fs = new Future<?>[chunks - 1];
        int[] bounds = new int[chunks + 1];
        for (int c = 0; c <= chunks; c++) bounds[c] = Math.min(n, (int) ((long) units * c / chunks) * align);
        bounds[chunks] = n;
        ExecutorService p = pool();
        for (int c = 1; c < chunks; c++) {
            int from = bounds[c], to = bounds[c + 1];
            fs[c - 1] = p.submit(() -> body.run(from, to));
        }
        Throwable err = null;
        IN_WORKER.set(true);
        try { body.run(bounds[0], bounds[1]); } catch (Throwable e) { err = e; } finally { IN_WORKER.set(false); }
        for (Future<?> f : fs) {
            try { f.get(); }
            catch (ExecutionException e) { if (err == null) err = e.getCause(); }
            catch (InterruptedException e) { Thread.currentThread().interrupt(); if (err == null) err = e; }
        }
        if (err instanceof RuntimeException re) throw re;
        if (err instanceof Error er) throw er;
        if (err != null) throw new RuntimeException(err);
    }

    /** Runs {@code body(i)} for each i in [0, n), contiguous chunks per thread. */
    public static void forEach(int n, IntConsumer body) {
        range(n, (from, to) -> { for (int i = from; i < to; i++) body.accept(i); });
    }

    /**
     * Runs {@code body(i)} for each i in [0, n) with dynamic assignment (for uneven tasks such as
     * attention query blocks); each i must write only its own outputs, so results stay deterministic.
     */
    public static void forEachDynamic(int n, IntConsumer body) {
        int t = Math.min(threads, n);
        if (t <= 1 || IN_WORKER.get()) { for (int i = 0; i < n; i++) body.accept(i); return; }
        AtomicInteger next = new AtomicInteger();
        range(t, (from, to) -> { for (int i; (i = next.getAndIncrement()) < n; ) body.accept(i); });
    }
}
