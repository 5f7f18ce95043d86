package io.vdq.model.vae;

import io.vdq.kernel.KernelBackend;
import io.vdq.kernel.Kernels;
import io.vdq.kernel.PackedWeights;
import io.vdq.tensor.Parallel;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The VAE's building blocks over chunks of frames ({@code List<float[]>}, each frame {@code [c][h][w]}), with the
 * frame cache that lets a video be processed chunk by chunk exactly as in one pass: each causal conv keeps the
 * last {@link #CACHE_T} frames of its input (null = the zero padding of the very first frames).
 */
final class Layers {
    static final int CACHE_T = 2;

    private Layers() {}

    /** Per-call state: each causal conv's and each resampler's memory of the previous chunks. */
    static final class FrameCache {
        private final Map<Object, List<float[]>> m = new IdentityHashMap<>();

        List<float[]> get(Object key) { return m.get(key); }
        boolean has(Object key) { return m.containsKey(key); }
        void put(Object key, List<float[]> v) { m.put(key, v); }
    }

    /**
     * A causal conv with kernel 3 in time (padding 2 on the past side): it sees the cached last two input frames
     * (two zero frames before the first chunk) followed by the chunk, and then caches the last two of those.
     */
    static List<float[]> causal(Conv conv, List<float[]> x, FrameCache cache, int h, int w) {
        List<float[]> prev = cache.get(conv);
        List<float[]> in = new ArrayList<>(CACHE_T + x.size());
        if (prev == null) { in.add(null); in.add(null); } else in.addAll(prev);
        in.addAll(x);
        cache.put(conv, new ArrayList<>(in.subList(in.size() - CACHE_T, in.size())));
        return conv.apply(in, h, w);
    }

    /**
     * diffusers' {@code WanRMS_norm}: per pixel, x / max(‖x‖₂ over channels, 1e-12) · √C · γ_c (+ β_c), then SiLU
     * when {@code silu}. A new frame; the input is left alone (the cache may hold it).
     */
    static float[] rmsNorm(float[] x, int c, int hw, float[] gamma, float[] beta, boolean silu) {
        float[] y = new float[c * hw];
        if (Conv.countOnly) return y;
        float scale = (float) Math.sqrt(c);
        int grain = 256;
        Parallel.range((hw + grain - 1) / grain, (b0, b1) -> {
            int p0 = b0 * grain, p1 = Math.min(hw, b1 * grain), n = p1 - p0;
            float[] inv = new float[n];
            for (int ch = 0; ch < c; ch++) {
                int o = ch * hw + p0;
                for (int q = 0; q < n; q++) { float v = x[o + q]; inv[q] += v * v; }
            }
            for (int q = 0; q < n; q++) inv[q] = scale / (float) Math.max(Math.sqrt(inv[q]), 1e-12);
            for (int ch = 0; ch < c; ch++) {
                int o = ch * hw + p0;
                float g = gamma[ch], bb = beta == null ? 0f : beta[ch];
                for (int q = 0; q < n; q++) y[o + q] = x[o + q] * inv[q] * g + bb;
            }
        });
        if (silu) Kernels.get().silu(y, 0, y.length); // element-wise, so the same bits for any split
        return y;
    }

    static List<float[]> rmsNormAll(List<float[]> xs, int c, int hw, float[] gamma, boolean silu) {
        List<float[]> out = new ArrayList<>(xs.size());
        for (float[] x : xs) out.add(rmsNorm(x, c, hw, gamma, null, silu));
        return out;
    }

    /** {@code WanResidualBlock}: norm1·SiLU → conv1 → norm2·SiLU → conv2, plus the input (1×1×1 conv when channels change). */
    static final class ResBlock {
        final int in, out;
        final float[] gamma1, gamma2;
        final Conv conv1, conv2, shortcut;

        ResBlock(Params p, String name, int in, int out) {
            this.in = in;
            this.out = out;
            gamma1 = p.take(name + ".norm1.gamma", in, 1, 1, 1);
            conv1 = Conv.causal3d(p, name + ".conv1", out, in, 3, 3);
            gamma2 = p.take(name + ".norm2.gamma", out, 1, 1, 1);
            conv2 = Conv.causal3d(p, name + ".conv2", out, out, 3, 3);
            shortcut = in != out ? Conv.causal3d(p, name + ".conv_shortcut", out, in, 1, 1) : null;
        }

        List<float[]> forward(List<float[]> x, FrameCache cache, int h, int w) {
            int hw = h * w;
            List<float[]> y = causal(conv1, rmsNormAll(x, in, hw, gamma1, true), cache, h, w);
            y = causal(conv2, rmsNormAll(y, out, hw, gamma2, true), cache, h, w);
            List<float[]> s = shortcut == null ? x : shortcut.apply(x, h, w);
            for (int t = 0; t < y.size(); t++) {
                float[] a = y.get(t), r = s.get(t);
                for (int i = 0; i < a.length; i++) a[i] += r[i];
            }
            return y;
        }
    }

    /** {@code WanAttentionBlock}: per frame, RMS norm, one-head self-attention over the h·w positions, projection, residual. */
    static final class Attention {
        final int c;
        final float[] gamma, qkvBias, projBias;
        final PackedWeights qkv, proj;

        Attention(Params p, String name, int c) {
            this.c = c;
            gamma = p.take(name + ".norm.gamma", c, 1, 1);
            float[] wq = p.take(name + ".to_qkv.weight", 3 * c, c, 1, 1);
            qkvBias = p.take(name + ".to_qkv.bias", 3 * c);
            float[] wp = p.take(name + ".proj.weight", c, c, 1, 1);
            projBias = p.take(name + ".proj.bias", c);
            KernelBackend be = Kernels.get();
            qkv = wq == null ? null : be.pack(wq, 0, 3 * c, c);
            proj = wp == null ? null : be.pack(wp, 0, c, c);
        }

        List<float[]> forward(List<float[]> x, int h, int w) {
            List<float[]> out = new ArrayList<>(x.size());
            for (float[] f : x) out.add(frame(f, h * w));
            return out;
        }

        private float[] frame(float[] x, int hw) {
            Conv.MACS.add(4L * hw * c * c + 2L * hw * hw * c);
            if (Conv.countOnly) return x.clone();
            KernelBackend be = Kernels.get();
            float[] n = rmsNorm(x, c, hw, gamma, null, false);
            float[] tok = new float[hw * c];                      // token-major [hw][c]
            Parallel.range(hw, (p0, p1) -> {
                for (int ch = 0; ch < c; ch++)
                    for (int q = p0; q < p1; q++) tok[q * c + ch] = n[ch * hw + q];
            });
            float[] qkvT = new float[hw * 3 * c];
            be.gemm(tok, 0, hw, qkv, qkvBias, qkvT, 0);
            float[] att = new float[hw * c];
            be.attention(qkvT, 0, 3 * c, qkvT, c, 3 * c, qkvT, 2 * c, 3 * c, att, 0, c, hw, hw, 1, c,
                    (float) (1.0 / Math.sqrt(c)));
            float[] pr = tok; // reuse
            be.gemm(att, 0, hw, proj, projBias, pr, 0);
            float[] y = new float[c * hw];
            Parallel.range(c, (c0, c1) -> {
                for (int ch = c0; ch < c1; ch++)
                    for (int q = 0; q < hw; q++) y[ch * hw + q] = x[ch * hw + q] + pr[q * c + ch];
            });
            return y;
        }
    }

    /** Nearest 2× upsampling of each frame ({@code nearest-exact} at an exact factor 2 picks pixel ⌊y/2⌋, ⌊x/2⌋). */
    static List<float[]> upsample2x(List<float[]> x, int c, int h, int w) {
        List<float[]> out = new ArrayList<>(x.size());
        int w2 = 2 * w, hw4 = 4 * h * w;
        for (float[] f : x) {
            float[] y = new float[c * hw4];
            if (Conv.countOnly) { out.add(y); continue; }
            Parallel.range(c * h, (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    int ch = r / h, iy = r % h;
                    int src = ch * h * w + iy * w, dst = ch * hw4 + 2 * iy * w2;
                    for (int ix = 0; ix < w; ix++) {
                        float v = f[src + ix];
                        y[dst + 2 * ix] = v;
                        y[dst + 2 * ix + 1] = v;
                    }
                    System.arraycopy(y, dst, y, dst + w2, w2);
                }
            });
            out.add(y);
        }
        return out;
    }
}
