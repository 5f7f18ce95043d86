package io.vdq.eval.vbench;

import io.vdq.VdqException.ShapeException;
import io.vdq.synth.Direction;
import io.vdq.synth.ObjectColor;
import io.vdq.synth.ObjectShape;
import io.vdq.synth.Prompt;
import io.vdq.synth.SceneSpec;
import io.vdq.tensor.Parallel;
import io.vdq.tensor.Tensor;
import java.util.List;

/**
 * Scores one video (float RGB {@code [F, H, W, 3]}) against the prompt it was generated from. Every
 * dimension is defined in docs/VBENCH_LITE.md; the constants below are the ones named there. Per-frame
 * segmentation is {@link ObjectExtractor}; s = min(H, W).
 */
public final class VBenchLite {
    /** Least travel (fraction of s over the clip) for a video to have a direction. */
    public static final double MIN_TRAVEL = 0.1;
    /** Travel (fraction of s) that counts as fully dynamic: the world's slowest travel. */
    public static final double DYNAMIC_REF = 0.25;
    /** Per-step centroid jitter (fraction of s) below which motion counts as smooth. */
    public static final double SMOOTH_EPS = 0.003;
    /** Noise σ at which the noise factor of imaging quality is ½. */
    public static final double NOISE_REF = 0.03;
    /** Edge width (pixels) up to which edges count as fully sharp. */
    public static final double EDGE_REF = 1.0;

    private VBenchLite() {}

    public static VideoScore score(Tensor video, SceneSpec spec) { return score(video, spec.toPrompt()); }

    public static VideoScore score(Tensor input, Prompt prompt) {
        if (input.rank() != 4 || input.dim(3) != 3 || input.dim(0) < 1)
            throw new ShapeException("vbench-lite: expected a video [F, H, W, 3] with F ≥ 1, got " + input.shape());
        Tensor video = finite(input);
        int frames = video.dim(0), h = video.dim(1), w = video.dim(2);
        double side = Math.min(h, w);
        float[] data = video.data();
        FrameObject[] obj = new FrameObject[frames];
        Parallel.forEach(frames, f -> obj[f] = ObjectExtractor.extract(data, video.offset() + f * h * w * 3, h, w));
        int found = 0;
        for (FrameObject o : obj) if (o.found()) found++;
        double[] v = new double[Dimension.values().length];

        ObjectColor color = null;
        ObjectShape shape = null;
        if (found > 0) {
            float[] med = new float[3], vals = new float[found];
            for (int ch = 0; ch < 3; ch++) {
                int k = 0;
                for (FrameObject o : obj) if (o.found()) vals[k++] = o.color()[ch];
                med[ch] = ObjectExtractor.median(vals, k);
            }
            color = ObjectColor.nearest(med[0], med[1], med[2]);
            int[] votes = new int[ObjectShape.values().length];
            double[] iouSum = new double[votes.length];
            for (FrameObject o : obj) {
                if (!o.found()) continue;
                double[] iou = ShapeClassifier.scores(o, h, w);
                int best = 0;
                for (int i = 1; i < iou.length; i++) if (iou[i] > iou[best]) best = i;
                votes[best]++;
                for (int i = 0; i < iou.length; i++) iouSum[i] += iou[i];
            }
            int best = 0;
            for (int i = 1; i < votes.length; i++)
                if (votes[i] > votes[best] || (votes[i] == votes[best] && iouSum[i] > iouSum[best])) best = i;
            shape = ObjectShape.values()[best];
        }
        v[Dimension.COLOR.ordinal()] = color == prompt.color() ? 1 : 0;
        v[Dimension.SHAPE.ordinal()] = shape == prompt.shape() ? 1 : 0;

        // Direction: least-squares slope of the centroid over the frame index.
        Direction dir = null;
        double travel = 0;
        if (found >= 2) {
            double st = 0, sx = 0, sy = 0;
            for (int f = 0; f < frames; f++) if (obj[f].found()) { st += f; sx += obj[f].cx(); sy += obj[f].cy(); }
            double mt = st / found, mx = sx / found, my = sy / found, vt = 0, cxv = 0, cyv = 0;
            for (int f = 0; f < frames; f++) {
                if (!obj[f].found()) continue;
                vt += (f - mt) * (f - mt);
                cxv += (f - mt) * (obj[f].cx() - mx);
                cyv += (f - mt) * (obj[f].cy() - my);
            }
            double vx = cxv / vt, vy = cyv / vt;
            travel = Math.hypot(vx, vy) * (frames - 1) / side;
            if (travel >= MIN_TRAVEL) dir = Direction.nearest(vx, vy);
        }
        v[Dimension.DIRECTION.ordinal()] = dir == prompt.direction() ? 1 : 0;
        v[Dimension.SMOOTHNESS.ordinal()] = smoothness(obj, side);
        v[Dimension.SUBJECT.ordinal()] = pairMean(frames, (t, s) -> subjectSimilarity(obj[t], obj[s], h, w));
        v[Dimension.BACKGROUND.ordinal()] = Math.max(0, 1 - pairMean(frames, (t, s) -> backgroundMad(data, video.offset(), obj, t, s, h, w)));
        double extent = 0;
        for (int t = 0; t < frames; t++)
            for (int s = t + 1; s < frames; s++)
                if (obj[t].found() && obj[s].found())
                    extent = Math.max(extent, Math.hypot(obj[t].cx() - obj[s].cx(), obj[t].cy() - obj[s].cy()));
        v[Dimension.DYNAMIC.ordinal()] = Math.min(1, extent / side / DYNAMIC_REF);
        v[Dimension.IMAGING.ordinal()] = imagingQuality(obj, h, w);
        return new VideoScore(v, color, shape, dir, travel, found);
    }

    /**
     * The video itself when every value is finite; otherwise a copy with NaN and −∞ replaced by 0 and +∞ by 1
     * (a diverged generator must score low, not crash the scorer).
     */
    static Tensor finite(Tensor video) {
        float[] d = video.data();
        int off = video.offset(), n = video.size();
        boolean ok = true;
        for (int i = 0; i < n && ok; i++) ok = Float.isFinite(d[off + i]);
        if (ok) return video;
        Tensor c = video.copy();
        float[] cd = c.data();
        for (int i = 0; i < n; i++) if (!Float.isFinite(cd[i])) cd[i] = cd[i] == Float.POSITIVE_INFINITY ? 1f : 0f;
        return c;
    }

    /** Mean of each dimension over videos (NaN for an empty list). */
    public static double[] mean(List<VideoScore> scores) {
        double[] m = new double[Dimension.values().length];
        for (VideoScore s : scores) for (int i = 0; i < m.length; i++) m[i] += s.values()[i];
        for (int i = 0; i < m.length; i++) m[i] /= scores.size();
        return m;
    }

    private interface PairMeasure { double of(int t, int s); }

    /** mean over t ≥ 1 of ½·[m(t, 0) + m(t, t − 1)]; a one-frame video gives m(0, 0). */
    private static double pairMean(int frames, PairMeasure m) {
        if (frames == 1) return m.of(0, 0);
        double sum = 0;
        for (int t = 1; t < frames; t++) sum += 0.5 * (m.of(t, 0) + m.of(t, t - 1));
        return sum / (frames - 1);
    }

    /** 1 − min(1, Σ‖Δ²c‖ / (2·Σ‖Δc‖ + ε·(F − 1))), sums over steps whose frames were all found. */
    static double smoothness(FrameObject[] obj, double side) {
        double first = 0, second = 0;
        int triples = 0;
        for (int t = 0; t + 1 < obj.length; t++)
            if (obj[t].found() && obj[t + 1].found()) first += Math.hypot(obj[t + 1].cx() - obj[t].cx(), obj[t + 1].cy() - obj[t].cy());
        for (int t = 1; t + 1 < obj.length; t++) {
            if (!(obj[t - 1].found() && obj[t].found() && obj[t + 1].found())) continue;
            triples++;
            second += Math.hypot(obj[t + 1].cx() - 2 * obj[t].cx() + obj[t - 1].cx(), obj[t + 1].cy() - 2 * obj[t].cy() + obj[t - 1].cy());
        }
        if (triples == 0) return 0;
        return 1 - Math.min(1, second / (2 * first + SMOOTH_EPS * side * (obj.length - 1)));
    }

    /**
     * Appearance similarity of two frames' objects: soft IoU of frame t's mask with frame s's mask moved so
     * the centroids coincide (bilinear sampling), times the colour similarity 1 − ‖o_t − o_s‖ / √3.
     */
    static double subjectSimilarity(FrameObject a, FrameObject b, int h, int w) {
        if (!a.found() || !b.found()) return 0;
        double dx = b.cx() - a.cx(), dy = b.cy() - a.cy();
        float[] am = a.alpha(), bm = b.alpha();
        double inter = 0, union = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double s = bilinear(bm, h, w, x + dx, y + dy), t = am[y * w + x];
                inter += Math.min(s, t);
                union += Math.max(s, t);
            }
        }
        double iou = union > 0 ? inter / union : 0;
        float[] ca = a.color(), cb = b.color();
        double dc = Math.sqrt((ca[0] - cb[0]) * (ca[0] - cb[0]) + (ca[1] - cb[1]) * (ca[1] - cb[1]) + (ca[2] - cb[2]) * (ca[2] - cb[2]));
        return iou * Math.max(0, 1 - dc / Math.sqrt(3));
    }

    private static double bilinear(float[] m, int h, int w, double x, double y) {
        int x0 = (int) Math.floor(x), y0 = (int) Math.floor(y);
        double fx = x - x0, fy = y - y0;
        return (1 - fy) * ((1 - fx) * at(m, h, w, x0, y0) + fx * at(m, h, w, x0 + 1, y0))
                + fy * ((1 - fx) * at(m, h, w, x0, y0 + 1) + fx * at(m, h, w, x0 + 1, y0 + 1));
    }

    private static double at(float[] m, int h, int w, int x, int y) {
        return x < 0 || y < 0 || x >= w || y >= h ? 0 : m[y * w + x];
    }

    /** Mean absolute difference (over channels) of pixels that are background in both frames; 1 if none are. */
    static double backgroundMad(float[] data, int off, FrameObject[] obj, int t, int s, int h, int w) {
        boolean[] bt = obj[t].background(), bs = obj[s].background();
        int n = h * w, ft = off + t * n * 3, fs = off + s * n * 3;
        double sum = 0;
        long count = 0;
        for (int p = 0; p < n; p++) {
            if (!bt[p] || !bs[p]) continue;
            for (int ch = 0; ch < 3; ch++) sum += Math.abs(data[ft + 3 * p + ch] - data[fs + 3 * p + ch]);
            count += 3;
        }
        return count == 0 ? 1 : sum / count;
    }

    /**
     * Noise factor 1 / (1 + (σ̄ / NOISE_REF)²) with σ̄ the mean frame noise, times the mean over frames of the
     * sharpness min(1, EDGE_REF / w), w = Σ4α(1 − α) / Σ‖∇α‖ (forward differences; 0 where no object).
     */
    static double imagingQuality(FrameObject[] obj, int h, int w) {
        double sigma = 0, sharp = 0;
        for (FrameObject o : obj) {
            sigma += o.sigma();
            if (!o.found()) continue;
            float[] a = o.alpha();
            double band = 0, tv = 0;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double c = a[y * w + x];
                    double gx = (x + 1 < w ? a[y * w + x + 1] : 0) - c, gy = (y + 1 < h ? a[(y + 1) * w + x] : 0) - c;
                    band += 4 * c * (1 - c);
                    tv += Math.hypot(gx, gy);
                }
            }
            if (tv > 0) sharp += Math.min(1, EDGE_REF / Math.max(1e-9, band / tv));
        }
        sigma /= obj.length;
        sharp /= obj.length;
        return sharp / (1 + (sigma / NOISE_REF) * (sigma / NOISE_REF));
    }
}
