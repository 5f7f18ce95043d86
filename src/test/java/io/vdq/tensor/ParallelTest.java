package io.vdq.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {
    @Test
    void rangeCoversEveryIndexExactlyOnceWithAlignedChunks() {
        for (int n : new int[]{0, 1, 7, 64, 1001}) {
            AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
            Parallel.range(n, 8, (from, to) -> {
                assertEquals(0, from % 8, "chunk start aligned");
                for (int i = from; i < to; i++) hits.incrementAndGet(i);
            });
            for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "index " + i + " of " + n);
        }
    }

    @Test
    void nestedCallsRunInlineAndComplete() {
        AtomicIntegerArray hits = new AtomicIntegerArray(100);
        Parallel.range(10, (a, b) -> {
            for (int i = a; i < b; i++) {
                int row = i;
                Parallel.range(10, (c, d) -> { for (int j = c; j < d; j++) hits.incrementAndGet(row * 10 + j); });
            }
        });
        for (int i = 0; i < 100; i++) assertEquals(1, hits.get(i));
    }

    @Test
    void exceptionsInWorkersReachTheCaller() {
        RuntimeException e = assertThrows(IllegalStateException.class,
                () -> Parallel.range(100, (a, b) -> { if (b == 100) throw new IllegalStateException("boom"); }));
        assertEquals("boom", e.getMessage());
    }
}
