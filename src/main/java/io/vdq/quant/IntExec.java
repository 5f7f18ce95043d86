package io.vdq.quant;

import io.vdq.kernel.ActQuant;
import io.vdq.kernel.ExecutionContext;
import io.vdq.kernel.ExecutionContext.QuantExec;
import io.vdq.kernel.Int8Attention;
import io.vdq.kernel.IntBackend;
import io.vdq.kernel.IntWeights;
import io.vdq.kernel.Kernels;
import io.vdq.kernel.PackedInt;
import io.vdq.model.AttentionKernel;
import io.vdq.model.Linear;
import io.vdq.model.LinearRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntUnaryOperator;

/**
 * How quantized layers execute: on the integer kernels ({@link QuantExec#INT}, the default: int8/int4 codes, int32
 * sums, the native AVX-512 VNNI or AVX2 kernels when the library loads, else the bit-identical Java integer reference)
 * or as the fake-quant float reference ({@link QuantExec#FAKEQUANT}: quantize-dequantize, then a float GEMM with the
 * dequantized weights). Both choices are the {@link ExecutionContext}'s ({@code -Dvdq.quant.exec=int|fakequant},
 * {@code -Dvdq.native}, or its setters), read on every forward call. A layer whose configuration the kernels cannot
 * express runs fake-quant whatever the mode and says why ({@link Executable#execution()}).
 *
 * <p>Also the mapping of a layer's integer codes to the kernels' {@link IntWeights} (signed codes, one per byte,
 * |w| ≤ 127 or in [−8, 7], integer zero points in the signed domain) and one lazily packed copy per backend.
 */
public final class IntExec {
    private IntExec() {}

    /** True when activations of {@code bits} run on the integer kernels now (mode INT, 2..8 bits). */
    public static boolean integerBits(int bits) { return ExecutionContext.quantExec() == QuantExec.INT && bits >= 2 && bits <= 8; }

    /** A quantized layer that can say how it executes. */
    public interface Executable {
        /**
         * One short phrase: {@code int:<backend>} when its quantized calls run on the integer kernels now,
         * {@code fakequant} when the mode says so, or {@code fakequant (<reason>)} when the kernels cannot run it.
         */
        String execution();

        /** Bytes of this layer's weights packed for the current integer backend (0 when it has none). */
        default long kernelWeightBytes() { return 0; }
    }

    /**
     * One line saying how each kind of quantized layer of {@code model} executes, e.g.
     * {@code "quantized layers: 30 ArqLinear on int:native-avx2, 2 QuantizedLinear on fakequant (static activation scale)"};
     * "no quantized layers" when there are none.
     */
    public static String summary(LinearRegistry model) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (Linear l : model.linears().values())
            if (l instanceof Executable e) counts.merge(l.getClass().getSimpleName() + " on " + e.execution(), 1, Integer::sum);
        if (counts.isEmpty()) return "no quantized layers";
        StringBuilder sb = new StringBuilder("quantized layers:");
        String sep = " ";
        for (Map.Entry<String, Integer> c : counts.entrySet()) { sb.append(sep).append(c.getValue()).append(' ').append(c.getKey()); sep = ", "; }
        return sb.toString();
    }

    /** The phrase of {@link Executable#execution()} for a layer whose kernel weights are {@code plan}. */
    public static String describe(Plan plan) {
        if (plan.weights() == null) return "fakequant (" + plan.reason() + ")";
        return ExecutionContext.quantExec() == QuantExec.FAKEQUANT ? "fakequant" : "int:" + ExecutionContext.intBackend().name();
    }

    /**
     * Kernel weights, or null and the reason the kernels cannot express the layer. {@code low} is non-null for
     * 8-bit codes that the 8-bit kernel cannot hold (|w| ≤ 127 fails: symmetric codes with −128, asymmetric codes
     * spanning 0..255): then the unsigned code u = 16·h + l runs as two 4-bit GEMMs on the nibble planes,
     * {@code weights} = h − 8 with scale 16·Δ and zero 0 (plus the bias), {@code low} = l − 8 with scale Δ and zero
     * z − 136, since u − z = 16·(h − 8) + (l − 8) − (z − 136); the two float outputs are added.
     */
    public record Plan(IntWeights weights, IntWeights low, String reason) {
        public static Plan no(String why) { return new Plan(null, null, why); }

        /** "W8 as two W4 nibble planes" or the kernel bits. */
        public String kernel() {
            return weights == null ? "none" : low != null ? "W8 as 2×W4 nibble planes" : "W" + weights.bits();
        }
    }

    /**
     * Maps integer weight codes to the kernels' layout.
     *
     * @param n, k        out × in
     * @param bits        weight bits (2..8): ≤ 4 use the 4-bit kernel, 5..8 the 8-bit one
     * @param asymmetric  codes are unsigned in [0, 2^bits − 1] with integer zero points (else signed, zero 0)
     * @param code        code of element o·k + j
     * @param srcGroup    columns per source scale group (k: per channel); scales / zeros are n × ceil(k/srcGroup)
     * @param scale       source scales
     * @param zero        source zero point of group index i (asymmetric only; may be null when symmetric)
     * @param kernelGroup kernel group size, 0 = one group per row; must lie inside source groups
     *                    (srcGroup % kernelGroup == 0), a multiple of 4
     */
    public static Plan plan(int n, int k, int bits, boolean asymmetric, IntUnaryOperator code, int srcGroup, float[] scale,
                            IntUnaryOperator zero, int kernelGroup, float[] bias) {
        if (bits < 2 || bits > 8) return Plan.no(bits + "-bit weights");
        if (kernelGroup != 0 && (kernelGroup % 4 != 0 || srcGroup % kernelGroup != 0))
            return Plan.no("weight group size " + (kernelGroup != 0 ? kernelGroup : srcGroup) + " is not a multiple of 4");
        int kbits = bits <= 4 ? 4 : 8;
        // unsigned view: u = code + uoff in [0, 2^bits − 1], unsigned zero point zu = zero + uoff (symmetric: zero 0)
        int uoff = asymmetric ? 0 : 1 << (bits - 1);
        int mn = Integer.MAX_VALUE, mx = Integer.MIN_VALUE;
        for (int i = 0; i < n * k; i++) { int u = code.applyAsInt(i) + uoff; mn = Math.min(mn, u); mx = Math.max(mx, u); }
        if (mn < 0 || mx >= 1 << bits) return Plan.no("weight codes outside the " + bits + "-bit range");
        // signed kernel code v = u − off; 4-bit kernel: off = 8; 8-bit kernel: |v| ≤ 127 needs off = 2^(b−1) unless a code is 0
        int off = kbits == 4 ? 8 : mn > 0 || bits < 8 ? 1 << (bits - 1) : mx < 255 ? 127 : -1;
        int srcGroups = (k + srcGroup - 1) / srcGroup;
        int kg = kernelGroup == 0 || kernelGroup >= k ? 0 : kernelGroup;
        int groups = IntWeights.groups(k, kg);
        float[] s = new float[n * groups];
        int[] zu = new int[n * groups];
        for (int o = 0; o < n; o++)
            for (int g = 0; g < groups; g++) {
                int src = o * srcGroups + (kg == 0 ? 0 : g * kg / srcGroup);
                s[o * groups + g] = scale[src];
                zu[o * groups + g] = (asymmetric ? zero.applyAsInt(src) : 0) + uoff;
            }
        if (off >= 0) {
            byte[] q = new byte[n * k];
            for (int i = 0; i < q.length; i++) q[i] = (byte) (code.applyAsInt(i) + uoff - off);
            int[] z = new int[zu.length];
            boolean anyZero = false;
            for (int i = 0; i < z.length; i++) { z[i] = zu[i] - off; anyZero |= z[i] != 0; }
            return new Plan(new IntWeights(n, k, kbits, kg, q, s, anyZero ? z : null, bias), null, null);
        }
        byte[] qh = new byte[n * k], ql = new byte[n * k];
        for (int i = 0; i < qh.length; i++) {
            int u = code.applyAsInt(i) + uoff;
            qh[i] = (byte) ((u >> 4) - 8);
            ql[i] = (byte) ((u & 15) - 8);
        }
        float[] sh = new float[s.length];
        int[] zl = new int[zu.length];
        for (int i = 0; i < s.length; i++) { sh[i] = 16f * s[i]; zl[i] = zu[i] - 136; }
        return new Plan(new IntWeights(n, k, 4, kg, qh, sh, null, bias), new IntWeights(n, k, 4, kg, ql, s, zl, null), null);
    }

    /**
     * Self-attention with int8 Q·Kᵀ, K smoothed by its channel means ({@link io.vdq.kernel.Int8Attention}) on the
     * current integer backend, softmax in float32, P·V in float32 or, with {@code intPV}, int8 (per-row P, per-channel
     * V). It ignores the int/fakequant mode (there is no fake-quant twin); the Java and native integer backends give
     * identical results.
     */
    public static AttentionKernel int8Attention(boolean intPV) {
        return (q, qOff, qs, k, kOff, ks, v, vOff, vs, out, oOff, os, nq, nk, heads, hd, scale) ->
                Int8Attention.attention(ExecutionContext.intBackend(), Kernels.get(), q, qOff, qs, k, kOff, ks,
                        v, vOff, vs, out, oOff, os, nq, nk, heads, hd, scale, true, intPV);
    }

    /** Bytes of quantized activations per chunk of a long call (bounds the int8 copy of a video-length call). */
    static final int CHUNK_BYTES = 1 << 22;

    /**
     * {@code y = Q_a(x)·Ŵᵀ + b} on the integer kernels: per-token symmetric quantization of x (rows × k at xOff)
     * to {@code bits}, int32 GEMM with the packed weights, float epilogue; in chunks of rows.
     */
    public static void linear(Packed w, float[] x, int xOff, int rows, int bits, float[] y, int yOff) {
        IntBackend b = ExecutionContext.intBackend();
        int k = w.k(), kp = ActQuant.paddedK(k);
        int chunk = Math.max(1, Math.min(rows, CHUNK_BYTES / kp));
        ActQuant a = null;
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            int m = Math.min(chunk, rows - r0);
            if (a == null || a.m != m) a = ActQuant.forWeights(m, w.plan().weights(), bits);
            b.quantize(x, xOff + r0 * k, a);
            w.gemm(b, a, null, y, yOff + r0 * w.n());
        }
    }

    /** A {@link Plan}'s weights prepacked once per integer backend (repacked only if the backend changes). */
    public static final class Packed {
        private record P(IntBackend backend, PackedInt weights, PackedInt low) {}
        private final Plan plan;
        private volatile P p;

        public Packed(Plan plan) {
            if (plan.weights() == null) throw new IllegalArgumentException("no kernel weights: " + plan.reason());
            this.plan = plan;
        }

        public Plan plan() { return plan; }
        public int n() { return plan.weights().n(); }
        public int k() { return plan.weights().k(); }

        /** Bytes of the packing for backend b (packs if needed). */
        public long bytes(IntBackend b) {
            P cur = get(b);
            return b.packedBytes(cur.weights()) + (cur.low() == null ? 0 : b.packedBytes(cur.low()));
        }

        private P get(IntBackend b) {
            P cur = p;
            if (cur == null || cur.backend() != b) {
                synchronized (this) {
                    cur = p;
                    if (cur == null || cur.backend() != b)
                        p = cur = new P(b, b.pack(plan.weights()), plan.low() == null ? null : b.pack(plan.low()));
                }
            }
            return cur;
        }

        /**
         * {@code y[a.m × n] = } the GEMM of quantized activations {@code a} with these weights (group scales times
         * {@code groupScale[g]} when not null); nibble-plane weights run two 4-bit GEMMs and add their outputs.
         */
        public void gemm(IntBackend b, ActQuant a, float[] groupScale, float[] y, int yOff) {
            P cur = get(b);
            b.gemm(a, cur.weights(), groupScale, y, yOff);
            if (cur.low() == null) return;
            int len = a.m * n();
            float[] lo = new float[len];
            b.gemm(a, cur.low(), groupScale, lo, 0);
            for (int i = 0; i < len; i++) y[yOff + i] += lo[i];
        }
    }
}
