package io.vdq.spark;

import io.vdq.pipeline.SweepCells;
import java.io.Serializable;

/**
 * What one Spark task sends back to the driver: the finished cell (ids and metrics, a few hundred bytes) and where it
 * ran: the executor's process id and host, its kernels (float backend; whether libvdqnative.so loaded there), the
 * task's attempt number, and how many seeds' full-precision videos that executor JVM had made so far.
 */
public record CellRow(SweepCells.Cell cell, long pid, String host, String kernels, boolean nativeLoaded, int attempt, int fullPrecisionRuns)
        implements Serializable {}
