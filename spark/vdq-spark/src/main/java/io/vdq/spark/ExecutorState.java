package io.vdq.spark;

import io.vdq.pipeline.Sweep;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Per-JVM state of an executor, shared by every task that JVM runs (across partitions and jobs): the sweep built from
 * its spec (model config and recipes read once) and the full-precision videos of the most recent seeds, made once
 * per (sweep settings, seed) even when two tasks of the same seed start together. A static holder, not a field of
 * the task: Spark deserializes the task afresh for every partition.
 */
final class ExecutorState {
    private ExecutorState() {}

    /** Seeds whose full-precision videos stay cached (a sweep's cells run seed by seed, so two cover the overlap). */
    static final int SEEDS_KEPT = 2;

    private static final Map<Sweep.Spec, Sweep> SWEEPS = new ConcurrentHashMap<>();
    private static final Map<String, CompletableFuture<Sweep.FullPrecision>> FP = new LinkedHashMap<>();
    private static final AtomicInteger FP_RUNS = new AtomicInteger();

    static Sweep sweep(Sweep.Spec spec) { return SWEEPS.computeIfAbsent(spec, Sweep::new); }

    /** Seed {@code s}'s full-precision videos for this sweep's settings: made here once, or waited for. */
    static Sweep.FullPrecision fullPrecision(Sweep sweep, int s) {
        String key = sweep.fingerprint() + "\nseed=" + s;
        CompletableFuture<Sweep.FullPrecision> f, mine = null;
        synchronized (FP) {
            f = FP.get(key);
            if (f == null) {
                f = mine = new CompletableFuture<>();
                FP.put(key, f);
                for (Iterator<String> it = FP.keySet().iterator(); FP.size() > SEEDS_KEPT && it.hasNext(); ) {
                    it.next();
                    it.remove();
                }
            }
        }
        if (mine != null) {
            try {
                FP_RUNS.incrementAndGet();
                mine.complete(sweep.fullPrecision(s, null, System.nanoTime()));
            } catch (RuntimeException | Error e) {
                synchronized (FP) { FP.remove(key, mine); } // the next try makes them afresh
                mine.completeExceptionally(e);
                throw e;
            }
        }
        return f.join();
    }

    /** How many times this JVM has made a seed's full-precision videos. */
    static int fullPrecisionRuns() { return FP_RUNS.get(); }
}
