package io.vdq.model.vae;

import io.vdq.kernel.KernelBackend;
import io.vdq.kernel.Kernels;
import io.vdq.tensor.Parallel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntConsumer;

/**
 * One convolution over a list of frames, each frame {@code [cin][h][w]} row-major; a {@code null} frame is all
 * zeros (how the causal time padding and the first chunk's missing past are expressed). Time has no padding
 * here: the caller passes exactly the frames the kernel slides over (past cache + chunk). Space has zero padding
 * {@code top/bottom/left/right}. Weight layout is PyTorch's {@code [cout][cin][kt][kh][kw]} (a Conv2d is kt = 1).
 *
 * <p>Computed as im2col + the backend's sgemm, one task per (output frame, block of output pixels): the task
 * gathers its {@code K × P} column block (K = cin·kt·kh·kw) into a per-thread scratch and multiplies
 * {@code W[cout × K]} by it straight into the output frame. Each output element is one sgemm dot product in a
 * fixed order, so results do not depend on the thread count or the block size.
 */
final class Conv {
    /** Column-block budget in floats (8 MB per thread). */
    private static final int COL_BUDGET = 1 << 21;
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);
    /** Multiply-adds done by convolutions and attention since start-up ({@link VaeBench} reports rates with it). */
    static final LongAdder MACS = new LongAdder();
    /** When set, convolutions and attention only count their multiply-adds and return zeros (cost estimates). */
    static volatile boolean countOnly;

    final String name;
    final int cout, cin, kt, kh, kw, st, sh, sw, padTop, padBottom, padLeft, padRight;
    private final float[] weight; // cout × K
    private final float[] b;
    private final int k;

    Conv(String name, float[] w, float[] b, int cout, int cin, int kt, int kh, int kw, int st, int sh, int sw,
         int padTop, int padBottom, int padLeft, int padRight) {
        this.name = name;
        this.weight = w;
        this.b = b;
        this.cout = cout; this.cin = cin; this.kt = kt; this.kh = kh; this.kw = kw;
        this.st = st; this.sh = sh; this.sw = sw;
        this.padTop = padTop; this.padBottom = padBottom; this.padLeft = padLeft; this.padRight = padRight;
        this.k = cin * kt * kh * kw;
    }

    /** A 3-D conv of diffusers' {@code WanCausalConv3d} with kernel (kt, ks, ks), symmetric spatial padding ks/2. */
    static Conv causal3d(Params p, String name, int cout, int cin, int kt, int ks) {
        float[] w = p.take(name + ".weight", cout, cin, kt, ks, ks);
        float[] b = p.take(name + ".bias", cout);
        int pad = ks / 2;
        return new Conv(name, w, b, cout, cin, kt, ks, ks, 1, 1, 1, pad, pad, pad, pad);
    }

    int outH(int h) { return (h + padTop + padBottom - kh) / sh + 1; }
    int outW(int w) { return (w + padLeft + padRight - kw) / sw + 1; }

    /** Output frames ({@code (frames.size() − kt) / st + 1} of them, none if fewer than kt inputs), each cout × outH × outW. */
    List<float[]> apply(List<float[]> frames, int h, int w) {
        int nt = frames.size() < kt ? 0 : (frames.size() - kt) / st + 1;
        int oh = outH(h), ow = outW(w), hw = oh * ow;
        List<float[]> out = new ArrayList<>(nt);
        for (int t = 0; t < nt; t++) out.add(new float[cout * hw]);
        if (nt == 0) return out;
        MACS.add((long) nt * hw * cout * k);
        if (countOnly) return out;
        boolean pointwise = k == cin && sh == 1 && sw == 1 && padTop + padBottom + padLeft + padRight == 0;
        int p = Math.max(64, Math.min(hw, COL_BUDGET / k));
        int blocks = (hw + p - 1) / p;
        int tasks = nt * blocks;
        KernelBackend be = Kernels.get();
        IntConsumer task = i -> {
            int t = i / blocks, p0 = (i % blocks) * p, n = Math.min(hw, p0 + p) - p0;
            float[] y = out.get(t);
            if (pointwise) {
                float[] x = frames.get(t * st);
                if (x == null) for (int c = 0; c < cout; c++) Arrays.fill(y, c * hw + p0, c * hw + p0 + n, 0f);
                else be.sgemm(false, false, cout, n, k, weight, 0, k, x, p0, hw, 0f, y, p0, hw);
            } else {
                float[] col = scratch(k * n);
                im2col(frames, t * st, h, w, ow, p0, n, col);
                be.sgemm(false, false, cout, n, k, weight, 0, k, col, 0, n, 0f, y, p0, hw);
            }
            for (int c = 0; c < cout; c++) {
                float bc = b[c];
                int o = c * hw + p0;
                for (int q = 0; q < n; q++) y[o + q] += bc;
            }
        };
        // Few tasks: run them one by one and let sgemm spread each over the threads (same bits either way).
        if (tasks >= 2 * Parallel.threads()) Parallel.forEachDynamic(tasks, task);
        else for (int i = 0; i < tasks; i++) task.accept(i);
        return out;
    }

    private static float[] scratch(int n) {
        float[] s = SCRATCH.get();
        if (s.length < n) { s = new float[n]; SCRATCH.set(s); }
        return s;
    }

    /** Rows (ci, dt, dy, dx) × output pixels [p0, p0 + n) of frame window starting at input frame t0. */
    private void im2col(List<float[]> frames, int t0, int h, int w, int ow, int p0, int n, float[] col) {
        int hw = h * w;
        int row = 0;
        for (int ci = 0; ci < cin; ci++) {
            for (int dt = 0; dt < kt; dt++) {
                float[] src = frames.get(t0 + dt);
                int base = ci * hw;
                for (int dy = 0; dy < kh; dy++) {
                    for (int dx = 0; dx < kw; dx++, row++) {
                        int o = row * n;
                        if (src == null) { Arrays.fill(col, o, o + n, 0f); continue; }
                        int p = p0, end = p0 + n;
                        while (p < end) {
                            int oy = p / ow, ox0 = p % ow;
                            int ox1 = Math.min(ow, ox0 + (end - p));
                            int iy = oy * sh + dy - padTop;
                            int dst = o + (p - p0);
                            if (iy < 0 || iy >= h) {
                                Arrays.fill(col, dst, dst + (ox1 - ox0), 0f);
                            } else {
                                int srow = base + iy * w;
                                if (sw == 1) {
                                    int ix0 = ox0 + dx - padLeft;          // input column of ox0
                                    int lo = Math.max(ox0, padLeft - dx);   // first ox with ix >= 0
                                    int hi = Math.min(ox1, w + padLeft - dx); // first ox with ix >= w
                                    if (hi <= lo) Arrays.fill(col, dst, dst + (ox1 - ox0), 0f);
                                    else {
                                        Arrays.fill(col, dst, dst + (lo - ox0), 0f);
                                        System.arraycopy(src, srow + ix0 + (lo - ox0), col, dst + (lo - ox0), hi - lo);
                                        Arrays.fill(col, dst + (hi - ox0), dst + (ox1 - ox0), 0f);
                                    }
                                } else {
                                    for (int ox = ox0; ox < ox1; ox++) {
                                        int ix = ox * sw + dx - padLeft;
                                        col[dst + ox - ox0] = ix < 0 || ix >= w ? 0f : src[srow + ix];
                                    }
                                }
                            }
                            p += ox1 - ox0;
                        }
                    }
                }
            }
        }
    }
}
