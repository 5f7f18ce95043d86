package io.vdq.spark;

import io.vdq.kernel.ExecutionContext;
import io.vdq.kernel.Kernels;
import io.vdq.kernel.nat.NativeLibrary;
import io.vdq.pipeline.Sweep;
import io.vdq.pipeline.SweepCells;
import java.io.Serializable;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.apache.spark.TaskContext;
import scala.collection.Iterator;
import scala.runtime.AbstractFunction2;

/**
 * The body of one Spark task: its partition holds one cell, which runs through {@link Sweep#runCell} on this
 * executor's cached sweep and full-precision videos ({@link ExecutorState}). Only the spec (plain values) travels with
 * the task; the model is loaded and quantized here, once for the cell, and reused across its evaluation prompts.
 */
class CellTask extends AbstractFunction2<TaskContext, Iterator<Sweep.CellKey>, CellRow> implements Serializable {
    private static final long serialVersionUID = 1L;
    private final Sweep.Spec spec;

    CellTask(Sweep.Spec spec) { this.spec = spec; }

    /** Runs before the cell (tests make chosen attempts fail here). */
    protected void beforeCell(Sweep.CellKey k, TaskContext ctx) {}

    @Override
    public CellRow apply(TaskContext ctx, Iterator<Sweep.CellKey> it) {
        Sweep.CellKey k = it.next();
        if (it.hasNext()) throw new IllegalStateException("vdq-spark: a partition holds more than one cell");
        beforeCell(k, ctx);
        Sweep sweep = ExecutorState.sweep(spec);
        SweepCells.Cell cell = sweep.runCell(k, ExecutorState.fullPrecision(sweep, k.seed()));
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "unknown";
        }
        return new CellRow(cell, ProcessHandle.current().pid(), host, Kernels.describe() + "; int " + ExecutionContext.describe(ExecutionContext.intBackend()),
                NativeLibrary.available(), ctx.attemptNumber(), ExecutorState.fullPrecisionRuns());
    }
}
