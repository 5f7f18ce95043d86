package io.vdq.io.video;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A palette of at most 256 colours for one GIF frame. A frame with at most 256 distinct colours gets exactly
 * those (lossless); otherwise median cut over a 5-bit-per-channel histogram splits the colours into 256 boxes
 * whose mean colours form the palette, and each pixel takes its box's colour or, with dithering, Floyd–Steinberg
 * error diffusion (left to right, top to bottom) over the nearest palette colours. Deterministic.
 */
final class Palette {
    final int[] colors;     // 0xRRGGBB, length <= 256
    final byte[] indices;   // per pixel

    private Palette(int[] colors, byte[] indices) {
        this.colors = colors;
        this.indices = indices;
    }

    static Palette of(int[] px) { return of(px, 1, false); }

    /** The palette of an image {@code width} pixels wide; {@code dither} applies only when colours must be merged. */
    static Palette of(int[] px, int width, boolean dither) {
        Palette exact = exact(px);
        if (exact != null) return exact;
        Palette cut = medianCut(px);
        return dither ? new Palette(cut.colors, diffuse(px, width, cut.colors)) : cut;
    }

    /** Floyd–Steinberg: each pixel plus the error carried to it takes the nearest colour; its error moves on (7, 3, 5, 1)/16. */
    private static byte[] diffuse(int[] px, int width, int[] colors) {
        int height = px.length / width;
        short[] nearestOfBin = new short[1 << 15];
        Arrays.fill(nearestOfBin, (short) -1);
        float[] cur = new float[(width + 2) * 3], next = new float[(width + 2) * 3];
        byte[] idx = new byte[px.length];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int c = px[y * width + x], e = (x + 1) * 3;
                int r = clamp((c >>> 16 & 0xFF) + cur[e]), g = clamp((c >>> 8 & 0xFF) + cur[e + 1]), b = clamp((c & 0xFF) + cur[e + 2]);
                int bin = (r >>> 3) << 10 | (g >>> 3) << 5 | (b >>> 3);
                if (nearestOfBin[bin] < 0) nearestOfBin[bin] = (short) nearest(colors, (r >>> 3 << 3) + 4, (g >>> 3 << 3) + 4, (b >>> 3 << 3) + 4);
                int k = nearestOfBin[bin], p = colors[k];
                idx[y * width + x] = (byte) k;
                float[] d = {r - (p >>> 16 & 0xFF), g - (p >>> 8 & 0xFF), b - (p & 0xFF)};
                for (int ch = 0; ch < 3; ch++) {
                    cur[e + 3 + ch] += d[ch] * 7 / 16f;
                    next[e - 3 + ch] += d[ch] * 3 / 16f;
                    next[e + ch] += d[ch] * 5 / 16f;
                    next[e + 3 + ch] += d[ch] / 16f;
                }
            }
            float[] t = cur; cur = next; next = t;
            Arrays.fill(next, 0f);
        }
        return idx;
    }

    private static int clamp(float v) { return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v); }

    private static int nearest(int[] colors, int r, int g, int b) {
        int best = 0, bestD = Integer.MAX_VALUE;
        for (int i = 0; i < colors.length; i++) {
            int p = colors[i], dr = (p >>> 16 & 0xFF) - r, dg = (p >>> 8 & 0xFF) - g, db = (p & 0xFF) - b;
            int dist = dr * dr + dg * dg + db * db;
            if (dist < bestD) { bestD = dist; best = i; }
        }
        return best;
    }

    /** The distinct colours sorted, or null when there are more than 256. */
    private static Palette exact(int[] px) {
        int[] distinct = new int[257];
        int n = 0;
        int[] sorted = px.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            if (i > 0 && sorted[i] == sorted[i - 1]) continue;
            if (n == 256) return null;
            distinct[n++] = sorted[i];
        }
        int[] colors = Arrays.copyOf(distinct, n);
        byte[] idx = new byte[px.length];
        for (int i = 0; i < px.length; i++) idx[i] = (byte) Arrays.binarySearch(colors, px[i]);
        return new Palette(colors, idx);
    }

    /** A box of histogram bins (5 bits per channel, bin = r<<10 | g<<5 | b). */
    private record Box(int[] bins, long count) {}

    private static Palette medianCut(int[] px) {
        long[] count = new long[1 << 15], sr = new long[1 << 15], sg = new long[1 << 15], sb = new long[1 << 15];
        for (int c : px) {
            int r = c >>> 16 & 0xFF, g = c >>> 8 & 0xFF, b = c & 0xFF;
            int bin = (r >>> 3) << 10 | (g >>> 3) << 5 | (b >>> 3);
            count[bin]++; sr[bin] += r; sg[bin] += g; sb[bin] += b;
        }
        int used = 0;
        for (long c : count) if (c > 0) used++;
        int[] all = new int[used];
        for (int bin = 0, k = 0; bin < count.length; bin++) if (count[bin] > 0) all[k++] = bin;
        List<Box> boxes = new ArrayList<>();
        boxes.add(new Box(all, px.length));
        while (boxes.size() < 256) {
            // Split the box with the most pixels among those spanning more than one bin.
            int best = -1;
            for (int i = 0; i < boxes.size(); i++)
                if (boxes.get(i).bins.length > 1 && (best < 0 || boxes.get(i).count > boxes.get(best).count)) best = i;
            if (best < 0) break;
            Box b = boxes.remove(best);
            int shift = widestChannelShift(b.bins);
            int[] bins = b.bins.clone();
            sortBy(bins, shift);
            long half = b.count / 2, acc = 0;
            int cut = 1;
            for (int i = 0; i < bins.length - 1; i++) {
                acc += count[bins[i]];
                cut = i + 1;
                if (acc >= half) break;
            }
            int[] lo = Arrays.copyOfRange(bins, 0, cut), hi = Arrays.copyOfRange(bins, cut, bins.length);
            boxes.add(best, new Box(hi, sum(count, hi)));
            boxes.add(best, new Box(lo, sum(count, lo)));
        }
        int[] colors = new int[boxes.size()];
        for (int i = 0; i < colors.length; i++) {
            long n = 0, r = 0, g = 0, bl = 0;
            for (int bin : boxes.get(i).bins) { n += count[bin]; r += sr[bin]; g += sg[bin]; bl += sb[bin]; }
            colors[i] = (int) Math.rint((double) r / n) << 16 | (int) Math.rint((double) g / n) << 8 | (int) Math.rint((double) bl / n);
        }
        // Each histogram bin lies in exactly one box: a pixel takes its box's colour (O(1) per pixel).
        byte[] boxOfBin = new byte[1 << 15];
        for (int i = 0; i < boxes.size(); i++) for (int bin : boxes.get(i).bins) boxOfBin[bin] = (byte) i;
        byte[] idx = new byte[px.length];
        for (int i = 0; i < px.length; i++) {
            int c = px[i];
            idx[i] = boxOfBin[(c >>> 19 & 31) << 10 | (c >>> 11 & 31) << 5 | (c >>> 3 & 31)];
        }
        return new Palette(colors, idx);
    }

    private static int widestChannelShift(int[] bins) {
        int bestShift = 10, bestRange = -1;
        for (int shift : new int[]{10, 5, 0}) {
            int lo = 31, hi = 0;
            for (int bin : bins) { int v = bin >>> shift & 31; lo = Math.min(lo, v); hi = Math.max(hi, v); }
            if (hi - lo > bestRange) { bestRange = hi - lo; bestShift = shift; }
        }
        return bestShift;
    }

    private static void sortBy(int[] bins, int shift) {
        // Sort by the chosen channel, then by bin value, so that the order (and the palette) is deterministic.
        long[] keys = new long[bins.length];
        for (int i = 0; i < bins.length; i++) keys[i] = (long) (bins[i] >>> shift & 31) << 16 | bins[i];
        Arrays.sort(keys);
        for (int i = 0; i < bins.length; i++) bins[i] = (int) (keys[i] & 0xFFFF);
    }

    private static long sum(long[] count, int[] bins) {
        long s = 0;
        for (int b : bins) s += count[b];
        return s;
    }
}
