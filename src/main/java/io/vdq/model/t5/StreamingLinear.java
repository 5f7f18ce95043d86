package io.vdq.model.t5;

import io.vdq.VdqException.CheckpointException;
import io.vdq.io.DType;
import io.vdq.kernel.KernelBackend;
import io.vdq.kernel.Kernels;
import io.vdq.tensor.Parallel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * {@code Y = X·Wᵀ} (no bias) for a weight W (n×k, out×in) left in its stored dtype (BF16, F16 or F32) in a
 * memory-mapped segment. Each call walks W in blocks of output rows ({@link #BLOCK_ROWS} by default): a block is decoded to
 * float32 into a per-thread buffer and multiplied with the float kernels' sgemm straight into its columns of Y.
 * Blocks are shared out to the worker threads dynamically; each output element is computed by one block on one
 * thread in a fixed order, so results do not depend on the thread count. Working memory per thread: one decoded
 * block (BLOCK_ROWS·k floats), its raw bytes, and the kernel's packed copy of the block.
 */
final class StreamingLinear {
    /** Output rows per block by default: 128 rows of a 10240-wide BF16 weight are 2.6 MB raw, 5.2 MB decoded. */
    static final int BLOCK_ROWS = Math.max(1, Integer.getInteger("vdq.t5.blockRows", 128));
    /** The block size in use (tests lower it to cover partial blocks). */
    private static volatile int blockRows = BLOCK_ROWS;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        float[] floats = new float[0];
        short[] halves = new short[0];
    }

    /** The file and tensor, for messages. */
    final String where;
    private final MemorySegment weight;
    private final DType dtype;
    final int n, k;

    /** {@code where} names the file and tensor in messages ("FILE: tensor 'NAME'"). */
    StreamingLinear(String where, MemorySegment weight, DType dtype, int n, int k) {
        if (dtype != DType.BF16 && dtype != DType.F16 && dtype != DType.F32)
            throw new CheckpointException(where + " is " + dtype + "; expected BF16, F16 or F32");
        if (weight.byteSize() != (long) n * k * dtype.bytes)
            throw new CheckpointException(where + " has " + weight.byteSize() + " bytes, expected " + (long) n * k * dtype.bytes);
        this.where = where;
        this.weight = weight;
        this.dtype = dtype;
        this.n = n;
        this.k = k;
    }

    /** {@code y[m×n] = x[m×k] · Wᵀ}; x and y are row-major with strides k and n. */
    void apply(float[] x, int m, float[] y) {
        KernelBackend b = Kernels.get();
        int br = blockRows, blocks = (n + br - 1) / br;
        Parallel.forEachDynamic(blocks, blk -> {
            int r0 = blk * br, rows = Math.min(br, n - r0);
            float[] w = decode(r0, rows);
            b.sgemm(false, true, m, rows, k, x, 0, k, w, 0, k, 0f, y, r0, n);
        });
    }

    /** Sets the rows per block (≥ 1) for later calls; tests use it to cover blocks that do not divide n. */
    static void setBlockRows(int rows) {
        if (rows < 1) throw new IllegalArgumentException("block rows must be >= 1, got " + rows);
        blockRows = rows;
    }

    /** Rows [r0, r0+rows) of W as float32, in this thread's scratch buffer. */
    private float[] decode(int r0, int rows) {
        Scratch s = SCRATCH.get();
        int count = rows * k;
        if (s.floats.length < count) s.floats = new float[count];
        float[] out = s.floats;
        long at = (long) r0 * k * dtype.bytes;
        if (dtype == DType.F32) {
            MemorySegment.copy(weight, F32, at, out, 0, count);
            return out;
        }
        if (s.halves.length < count) s.halves = new short[count];
        short[] h = s.halves;
        MemorySegment.copy(weight, I16, at, h, 0, count);
        if (dtype == DType.BF16) for (int i = 0; i < count; i++) out[i] = Float.intBitsToFloat(h[i] << 16);
        else for (int i = 0; i < count; i++) out[i] = Float.float16ToFloat(h[i]);
        return out;
    }

    /** Lets the OS drop this weight's pages from the process (they stay in the page cache); no-op for heap segments. */
    void release() {
        if (weight.isMapped()) weight.unload();
    }
}
