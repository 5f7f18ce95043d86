package io.vdq.quant.dvd;

import io.vdq.kernel.ActQuant;
import io.vdq.kernel.ExecutionContext;
import io.vdq.kernel.IntBackend;
import io.vdq.kernel.RotQuant;
import io.vdq.quant.Hadamard;
import io.vdq.quant.IntExec;
import io.vdq.tensor.Parallel;
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
 *
 * <p><b>Per-channel Λ</b> ({@link Arq.Scaling#CHANNEL}) changes every call and multiplies each K column, so it
 * cannot sit in the prepacked weights nor in a group epilogue. The layer's dequantized activation
 * x̂_tj = a_t·q_tj·s_j (ARQ's codes q, unchanged) is instead written per token as a 15-bit fixed-point number
 * c_t·(254·h_tj + l_tj) with two int8 planes h, l ∈ [−127, 127] (c_t = a_t·max_j |q_tj|·s_j / 32384), and the
 * layer runs two W·A8 GEMMs on the unchanged BGR weights, y = 254·c_t·(h·Ŵᵀ) + c_t·(l·Ŵᵀ) + b. The fixed point
 * loses at most c_t/2 per element, 1/64768 of the token's largest |x̂|: the output agrees with the fake-quant
 * path to about 1e-5 of its magnitude (float32 rounding is ~1e-7), at twice the GEMM work of block Λ.
 *
 * <p>Not expressible (the layer stays on fake-quant): a per-tensor activation scale, real-valued zero points,
 * groups that are not a multiple of 4. BGR's 8-bit codes usually span 0..255 and then run as two 4-bit nibble
 * planes ({@link IntExec.Plan}).
 */
final class ArqIntExec {
    /** Rows per chunk: the int8 copy of a chunk is at most this many bytes (per-channel Λ: also its float output, at most 4× this). */
    static final int CHUNK_BYTES = 1 << 22;
    /** A cap on the rows per chunk (tests set it low to run several chunks on small inputs). */
    static volatile int maxChunkRows = Integer.MAX_VALUE;

    private final Arq arq;
    private final RotQuant rq;
    private final IntExec.Packed weights;
    private final int kernelGroup; // 0 = one group per row
    private final int out;
    private final boolean channel; // per-channel Λ: two activation planes, the bias added here (the kernel weights have none)
    private final float[] bias;    // the layer's bias (may be null)

    /** Largest |254·h + l| of the per-channel-Λ planes (h = rint(P / 254) stays within ±127). */
    static final int PLANE_MAX = 254 * 127 + 126;
    static final int PLANE_BASE = 254;

    private ArqIntExec(Arq arq, RotQuant rq, IntExec.Packed weights, int kernelGroup, int out, float[] bias) {
        this.arq = arq;
        this.rq = rq;
        this.weights = weights;
        this.kernelGroup = kernelGroup;
        this.out = out;
        this.channel = arq.options().scaling() == Arq.Scaling.CHANNEL;
        this.bias = bias;
    }

    /** The kernel weights for this layer, or why ARQ's integer path cannot run it. */
    static IntExec.Plan plan(Arq arq, Bgr.Result w, float[] bias) {
        Arq.Options o = arq.options();
        if (o.granularity() == Arq.Granularity.PER_TENSOR) return IntExec.Plan.no("per-tensor activation scale");
        int k = w.cols();
        for (float z : w.zeros()) if (z != Math.rint(z)) return IntExec.Plan.no("real-valued zero points");
        boolean channel = o.scaling() == Arq.Scaling.CHANNEL; // Λ goes into the activation planes, not the groups
        int g = channel ? w.groupSize() : gcd(arq.scaleBlock(), w.groupSize());
        int kernelGroup = g >= k ? 0 : g;
        byte[] codes = w.codes();
        float[] zeros = w.zeros();
        return IntExec.plan(w.rows(), k, w.bits(), true, i -> codes[i] & 0xFF, w.groupSize(), w.scales(),
                i -> (int) zeros[i], kernelGroup, channel ? null : bias);
    }

    /** The executor of a layer whose {@link #plan} succeeded. */
    static ArqIntExec create(Arq arq, IntExec.Plan plan, float[] bias) {
        Hadamard h = arq.rotation();
        int k = arq.k();
        RotQuant rq = h == null ? new RotQuant(k, null, 1, 1f, arq.scaleBlock())
                : new RotQuant(k, h.signs(), h.block(), h.norm(), arq.scaleBlock());
        return new ArqIntExec(arq, rq, new IntExec.Packed(plan), plan.weights().groupSize(), plan.weights().n(), bias);
    }

    /** Bytes of the weights packed for the current integer backend. */
    long weightBytes() { return weights.bytes(ExecutionContext.intBackend()); }

    /** y[rows × out] from x[rows × K] with activations of {@code bits} (2..8). */
    void forward(float[] x, int xOff, int rows, int bits, float[] y, int yOff) { forward(x, xOff, rows, bits, y, yOff, null, null); }

    /**
     * As {@link #forward(float[], int, int, int, float[], int)} for the activations x − 1·μ ({@code mu} null: none),
     * with {@code shiftedBias} (bias + μ·Ŵᵀ, from {@link ArqLinear}) in place of the layer's bias when μ is set.
     * The centred rows are made one chunk at a time, in both passes: no copy of the whole call.
     */
    void forward(float[] x, int xOff, int rows, int bits, float[] y, int yOff, float[] mu, float[] shiftedBias) {
        IntBackend b = ExecutionContext.intBackend();
        int k = rq.k(), kp = ActQuant.paddedK(k);
        float eps = (float) arq.options().eps();
        int chunk = Math.max(1, Math.min(rows, CHUNK_BYTES / kp));
        if (channel) chunk = Math.max(1, Math.min(chunk, CHUNK_BYTES / out)); // the second plane's output: ≤ 16 MB
        chunk = Math.min(chunk, maxChunkRows);
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
                centre(x, xOff + r0 * k, m, mu, buf);
                float[] c = b.rotBlockMax(buf, 0, m, rq);
                for (int g = 0; g < s.length; g++) s[g] = Math.max(s[g], c[g]);
            }
            for (int g = 0; g < s.length; g++) s[g] = Math.max(s[g], eps);
        }
        // one chunk: buf still holds the centred rows from the Λ pass
        boolean centredOnce = mu != null && rows <= chunk && arq.options().scaling() != Arq.Scaling.OFF;
        float[] inv = new float[s.length];
        for (int g = 0; g < s.length; g++) inv[g] = 1f / s[g];
        float[] groupScale = null;
        if (!channel) {
            int groups = weights.plan().weights().groups();
            groupScale = new float[groups];
            for (int g = 0; g < groups; g++) groupScale[g] = s[kernelGroup == 0 ? 0 : g * kernelGroup / rq.sblock()];
        }
        // what the kernel's epilogue does not add: bias + μ·Ŵᵀ − kernel bias (centring), or the bias (per-channel Λ)
        float[] kernelBias = weights.plan().weights().bias(), extra = null;
        if (mu != null || (channel && bias != null)) {
            extra = new float[out];
            for (int o = 0; o < out; o++)
                extra[o] = (mu != null ? shiftedBias[o] : bias[o]) - (kernelBias == null ? 0f : kernelBias[o]);
        }
        ActQuant a = null, hi = null, lo = null;
        float[] low = null;
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            int m = Math.min(chunk, rows - r0);
            if (a == null || a.m != m) {
                a = ActQuant.forWeights(m, weights.plan().weights(), bits);
                if (channel) {
                    hi = ActQuant.forWeights(m, weights.plan().weights(), 8);
                    lo = ActQuant.forWeights(m, weights.plan().weights(), 8);
                    low = new float[m * out];
                }
            }
            if (mu == null) b.rotQuantize(x, xOff + r0 * k, rq, inv, eps, a);
            else {
                if (!centredOnce) centre(x, xOff + r0 * k, m, mu, buf);
                b.rotQuantize(buf, 0, rq, inv, eps, a);
            }
            int yo = yOff + r0 * out;
            float[] lw = null;
            if (!channel) weights.gemm(b, a, groupScale, y, yo);
            else {
                channelPlanes(a, s, hi, lo);
                weights.gemm(b, hi, null, y, yo);
                weights.gemm(b, lo, null, low, 0);
                lw = low;
            }
            if (lw != null || extra != null) { // y += low plane (+ extra), one pass
                float[] l = lw, e = extra;
                Parallel.range(m, (from, to) -> {
                    for (int t = from; t < to; t++)
                        for (int o = 0, i = t * out; o < out; o++, i++) {
                            float v = y[yo + i];
                            if (l != null) v += l[i];
                            if (e != null) v += e[o];
                            y[yo + i] = v;
                        }
                });
            }
        }
    }

    /** buf[0 .. m·k) = the m rows at x[off..] minus μ (the float subtraction of {@link Arq#subtractShift}), rows in parallel. */
    private void centre(float[] x, int off, int m, float[] mu, float[] buf) {
        int k = mu.length;
        Parallel.range(m, (from, to) -> {
            for (int t = from; t < to; t++)
                for (int j = 0, i = t * k; j < k; j++, i++) buf[i] = x[off + i] - mu[j];
        });
    }

    /**
     * The per-channel-Λ activation of quantized rows {@code a} (codes q, token scales a_t) and channel scales s,
     * x̂_tj = a_t·q_tj·s_j, as two int8 planes: per row P_tj = rint(q_tj·s_j·32384 / max_j |q_tj|·s_j),
     * h = rint(P / 254), l = P − 254·h (both in [−127, 127]); scales 254·c_t and c_t with
     * c_t = a_t·max_j |q_tj|·s_j / 32384, and the planes' group sums. A row of zero codes gets zero planes.
     */
    static void channelPlanes(ActQuant a, float[] s, ActQuant hi, ActQuant lo) {
        int k = a.k, kp = a.kp, groups = a.groups, gl = a.groupSize == 0 ? kp : a.groupSize;
        Parallel.range(a.m, (from, to) -> {
            for (int t = from; t < to; t++) {
                int r = t * kp;
                float mx = 0f;
                for (int j = 0; j < k; j++) mx = Math.max(mx, Math.abs(a.q[r + j]) * s[j]);
                double f = mx > 0f ? PLANE_MAX / (double) mx : 0.0, c = (double) a.scale[t] * mx / PLANE_MAX;
                hi.scale[t] = (float) (PLANE_BASE * c);
                lo.scale[t] = (float) c;
                for (int j = 0; j < k; j++) {
                    double p = Math.rint(a.q[r + j] * (double) s[j] * f);
                    p = Math.max(-PLANE_MAX, Math.min(PLANE_MAX, p));
                    int h = (int) Math.rint(p / PLANE_BASE);
                    hi.q[r + j] = (byte) h;
                    lo.q[r + j] = (byte) (int) (p - PLANE_BASE * h);
                }
                for (int g = 0; g < groups; g++) {
                    int sh = 0, sl = 0;
                    for (int j = g * gl, end = Math.min(kp, g * gl + gl); j < end; j++) { sh += hi.q[r + j]; sl += lo.q[r + j]; }
                    hi.xsum[t * groups + g] = sh;
                    lo.xsum[t * groups + g] = sl;
                }
            }
        });
    }

    private static int gcd(int a, int b) { return b == 0 ? a : gcd(b, a % b); }
}
