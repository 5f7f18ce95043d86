package io.vdq.quant.dvd;

import io.vdq.kernel.ActQuant;
import io.vdq.kernel.IntBackend;
import io.vdq.kernel.RotQuant;
import io.vdq.kernel.nat.IntKernels;
import io.vdq.quant.Hadamard;
import io.vdq.quant.IntExec;
import java.util.Arrays;

/**
 * ARQ on the integer kernels (§3.5 of DVD-Quant): one Λ pass over the call (rotate each row and take the per-block
 * maximum, {@link IntBackend#rotBlockMax}), then per chunk of rows the fused rotate + Λ⁻¹ + per-token quantizer
 * ({@link IntBackend#rotQuantize}, one pass per row) and the int32 GEMM whose epilogue multiplies each group partial
 * sum by Δ_o·s_g ({@link IntBackend#gemm(ActQuant, io.vdq.kernel.PackedInt, float[], float[], int)}): Λ is applied to the block
 * partial sums, never to the stored weights. The activation codes are exactly ARQ's ({@link Arq#quantize}), so the
 * result equals the fake-quant path up to float rounding of the GEMM.
 *
 * <p>Kernel groups are gcd(Λ block, BGR group) channels wide, so Λ and the weight scale are constant on each.
 * Not expressible (the layer stays on fake-quant): per-channel Λ (a scale per k inside the sum), a per-tensor
 * activation scale, real-valued zero points, groups that are not a multiple of 4. BGR's 8-bit codes usually span
 * 0..255 and then run as two 4-bit nibble planes ({@link IntExec.Plan}).
 */
final class ArqIntExec {
    /** Rows per chunk: the int8 copy of a chunk is at most this many bytes. */
    static final int CHUNK_BYTES = 1 << 22;

    private final Arq arq;
    private final RotQuant rq;
    private final IntExec.Packed weights;
    private final int kernelGroup; // 0 = one group per row
    private final int out;

    private ArqIntExec(Arq arq, RotQuant rq, IntExec.Packed weights, int kernelGroup, int out) {
        this.arq = arq;
        this.rq = rq;
        this.weights = weights;
        this.kernelGroup = kernelGroup;
        this.out = out;
    }

    /** The kernel weights for this layer, or why ARQ's integer path cannot run it. */
    static IntExec.Plan plan(Arq arq, Bgr.Result w, float[] bias) {
        Arq.Options o = arq.options();
        if (o.scaling() == Arq.Scaling.CHANNEL) return IntExec.Plan.no("per-channel Λ");
        if (o.granularity() == Arq.Granularity.PER_TENSOR) return IntExec.Plan.no("per-tensor activation scale");
        int k = w.cols();
        for (float z : w.zeros()) if (z != Math.rint(z)) return IntExec.Plan.no("real-valued zero points");
        int g = gcd(arq.scaleBlock(), w.groupSize());
        int kernelGroup = g >= k ? 0 : g;
        byte[] codes = w.codes();
        float[] zeros = w.zeros();
        return IntExec.plan(w.rows(), k, w.bits(), true, i -> codes[i] & 0xFF, w.groupSize(), w.scales(),
                i -> (int) zeros[i], kernelGroup, bias);
    }

    /** The executor of a layer whose {@link #plan} succeeded. */
    static ArqIntExec create(Arq arq, IntExec.Plan plan) {
        Hadamard h = arq.rotation();
        int k = arq.k();
        RotQuant rq = h == null ? new RotQuant(k, null, 1, 1f, arq.scaleBlock())
                : new RotQuant(k, h.signs(), h.block(), h.norm(), arq.scaleBlock());
        return new ArqIntExec(arq, rq, new IntExec.Packed(plan), plan.weights().groupSize(), plan.weights().n());
    }

    /** Bytes of the weights packed for the current integer backend. */
    long weightBytes() { return weights.bytes(IntKernels.get()); }

    /** y[rows × out] from x[rows × K] with activations of {@code bits} (2..8). */
    void forward(float[] x, int xOff, int rows, int bits, float[] y, int yOff) { forward(x, xOff, rows, bits, y, yOff, null, null); }

    /**
     * As {@link #forward(float[], int, int, int, float[], int)} for the activations x − 1·μ ({@code mu} null: none),
     * with {@code shiftedBias} (bias + μ·Ŵᵀ, from {@link ArqLinear}) in place of the layer's bias when μ is set.
     * The centred rows are made one chunk at a time, in both passes: no copy of the whole call.
     */
    void forward(float[] x, int xOff, int rows, int bits, float[] y, int yOff, float[] mu, float[] shiftedBias) {
        IntBackend b = IntKernels.get();
        int k = rq.k(), kp = ActQuant.paddedK(k);
        float eps = (float) arq.options().eps();
        int chunk = Math.max(1, Math.min(rows, CHUNK_BYTES / kp));
        float[] buf = mu == null ? null : new float[Math.min(rows, chunk) * k];
        float[] s;
        if (arq.options().scaling() == Arq.Scaling.OFF) {
            s = new float[rq.blocks()];
            Arrays.fill(s, 1f);
        } else if (mu == null) {
            s = b.rotBlockMax(x, xOff, rows, rq);
            for (int g = 0; g < s.length; g++) s[g] = Math.max(s[g], eps);
        } else {
            s = new float[rq.blocks()];
            for (int r0 = 0; r0 < rows; r0 += chunk) {
                int m = Math.min(chunk, rows - r0);
                System.arraycopy(x, xOff + r0 * k, buf, 0, m * k);
                Arq.subtractShift(buf, 0, m, mu);
                float[] c = b.rotBlockMax(buf, 0, m, rq);
                for (int g = 0; g < s.length; g++) s[g] = Math.max(s[g], c[g]);
            }
            for (int g = 0; g < s.length; g++) s[g] = Math.max(s[g], eps);
        }
        float[] inv = new float[s.length];
        for (int g = 0; g < s.length; g++) inv[g] = 1f / s[g];
        int groups = weights.plan().weights().groups();
        float[] groupScale = new float[groups];
        for (int g = 0; g < groups; g++) groupScale[g] = s[kernelGroup == 0 ? 0 : g * kernelGroup / rq.sblock()];
        ActQuant a = null;
        float[] bias = weights.plan().weights().bias();
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            int m = Math.min(chunk, rows - r0);
            if (a == null || a.m != m) a = ActQuant.forWeights(m, weights.plan().weights(), bits);
            if (mu == null) b.rotQuantize(x, xOff + r0 * k, rq, inv, eps, a);
            else {
                System.arraycopy(x, xOff + r0 * k, buf, 0, m * k);
                Arq.subtractShift(buf, 0, m, mu);
                b.rotQuantize(buf, 0, rq, inv, eps, a);
            }
            int yo = yOff + r0 * out;
            weights.gemm(b, a, groupScale, y, yo);
            if (mu != null) // the kernel added the layer's bias; replace it by bias + μ·Ŵᵀ
                for (int t = 0; t < m; t++)
                    for (int o = 0; o < out; o++) y[yo + t * out + o] += shiftedBias[o] - (bias == null ? 0f : bias[o]);
        }
    }

    private static int gcd(int a, int b) { return b == 0 ? a : gcd(b, a % b); }
}
