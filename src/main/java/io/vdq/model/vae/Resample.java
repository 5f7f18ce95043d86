package io.vdq.model.vae;

import io.vdq.model.vae.Layers.FrameCache;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * diffusers' {@code WanResample}. Up: nearest 2× then a 3×3 conv that halves the channels; {@code upsample3d}
 * first runs {@code time_conv} (causal, kernel 3×1×1, 2C outputs read as two frames: channels [0, C) then
 * [C, 2C)), doubling the frames of every chunk but the first, which skips it. Down: zero pad right/bottom by
 * one, a stride-2 3×3 conv; {@code downsample3d} then runs {@code time_conv} (kernel 3×1×1, stride 2 in time,
 * no padding) over the last frame of the previous chunk followed by this chunk, except on the first chunk,
 * which passes through.
 */
final class Resample {
    enum Mode { UP2D, UP3D, DOWN2D, DOWN3D }

    final Mode mode;
    final int c;
    final Conv conv, timeConv;

    Resample(Params p, String name, int c, Mode mode) {
        this.mode = mode;
        this.c = c;
        String r = name + ".resample.1";
        switch (mode) {
            case UP2D, UP3D -> {
                conv = new Conv(r, p.take(r + ".weight", c / 2, c, 3, 3), p.take(r + ".bias", c / 2),
                        c / 2, c, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1);
                timeConv = mode == Mode.UP3D ? Conv.causal3d(p, name + ".time_conv", 2 * c, c, 3, 1) : null;
            }
            default -> {
                conv = new Conv(r, p.take(r + ".weight", c, c, 3, 3), p.take(r + ".bias", c),
                        c, c, 1, 3, 3, 1, 2, 2, 0, 1, 0, 1);
                String tn = name + ".time_conv";
                timeConv = mode == Mode.DOWN3D
                        ? new Conv(tn, p.take(tn + ".weight", c, c, 3, 1, 1), p.take(tn + ".bias", c),
                                   c, c, 3, 1, 1, 2, 1, 1, 0, 0, 0, 0)
                        : null;
            }
        }
    }

    int outChannels() { return conv.cout; }
    boolean up() { return mode == Mode.UP2D || mode == Mode.UP3D; }

    List<float[]> forward(List<float[]> x, FrameCache cache, int h, int w) {
        if (up()) {
            if (mode == Mode.UP3D) {
                if (!cache.has(this)) cache.put(this, List.of());      // first chunk: no time_conv
                else {
                    List<float[]> y = Layers.causal(timeConv, x, cache, h, w);
                    int n = c * h * w;
                    List<float[]> split = new ArrayList<>(2 * y.size());
                    for (float[] f : y) {
                        split.add(Arrays.copyOfRange(f, 0, n));
                        split.add(Arrays.copyOfRange(f, n, 2 * n));
                    }
                    x = split;
                }
            }
            return conv.apply(Layers.upsample2x(x, c, h, w), 2 * h, 2 * w);
        }
        List<float[]> y = conv.apply(x, h, w);
        if (mode == Mode.DOWN2D) return y;
        List<float[]> prev = cache.get(this);
        cache.put(this, List.of(y.getLast()));
        if (prev == null) return y;                                 // first chunk passes through
        List<float[]> in = new ArrayList<>(prev);
        in.addAll(y);
        return timeConv.apply(in, conv.outH(h), conv.outW(w));
    }
}
