package io.vdq.eval.vbench;

import io.vdq.synth.ObjectShape;
import io.vdq.synth.Renderer;

/**
 * Names the shape of a soft mask: for every shape s, the template is s rendered (with the world's own
 * coverage function) at the scale whose exact area equals the mask's area Σα, placed so its centroid is the
 * mask's centroid, and blurred by a Gaussian of each σ in {@link #BLURS} (pixels; zero outside the frame).
 * A shape's score is its best soft IoU Σmin(α, t) / Σmax(α, t) over the blurs, and the mask's shape is the
 * best-scoring one. Trying blurred templates keeps shape accuracy about shape, not sharpness (imaging quality
 * measures that). Shapes are never rotated in the world, so no orientation search is needed.
 */
public final class ShapeClassifier {
    /** Template blurs tried, Gaussian σ in pixels (0 = the sharp render). */
    public static final double[] BLURS = {0, 0.6, 1.2, 1.8, 2.4};

    private ShapeClassifier() {}

    /** Best soft IoU of the mask with each shape's templates, indexed by {@link ObjectShape#ordinal()}. */
    public static double[] scores(FrameObject obj, int height, int width) {
        ObjectShape[] shapes = ObjectShape.values();
        double[] iou = new double[shapes.length];
        if (!obj.found()) return iou;
        float[] sharp = new float[height * width], t = new float[height * width], tmp = new float[height * width];
        float[] a = obj.alpha();
        for (ObjectShape s : shapes) {
            double r = Math.sqrt(obj.area() / s.area());
            Renderer.coverage(s, obj.cx(), obj.cy() - s.centroidOffsetY() * r, r, height, width, sharp);
            for (double sigma : BLURS) {
                float[] tpl = sigma == 0 ? sharp : blur(sharp, tmp, t, height, width, sigma);
                double inter = 0, union = 0;
                for (int p = 0; p < a.length; p++) { inter += Math.min(a[p], tpl[p]); union += Math.max(a[p], tpl[p]); }
                iou[s.ordinal()] = Math.max(iou[s.ordinal()], union > 0 ? inter / union : 0);
            }
        }
        return iou;
    }

    /** Separable Gaussian blur of {@code src} into {@code dst} (radius ⌈3σ⌉, normalised kernel, zero outside). */
    static float[] blur(float[] src, float[] tmp, float[] dst, int height, int width, double sigma) {
        int rad = (int) Math.ceil(3 * sigma);
        double[] k = new double[2 * rad + 1];
        double z = 0;
        for (int i = -rad; i <= rad; i++) z += k[i + rad] = Math.exp(-i * i / (2 * sigma * sigma));
        for (int i = 0; i < k.length; i++) k[i] /= z;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++) {
                double acc = 0;
                for (int i = Math.max(-rad, -x); i <= Math.min(rad, width - 1 - x); i++) acc += k[i + rad] * src[y * width + x + i];
                tmp[y * width + x] = (float) acc;
            }
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++) {
                double acc = 0;
                for (int i = Math.max(-rad, -y); i <= Math.min(rad, height - 1 - y); i++) acc += k[i + rad] * tmp[(y + i) * width + x];
                dst[y * width + x] = (float) acc;
            }
        return dst;
    }

    /** The best-matching shape, or null when no object was found. */
    public static ObjectShape classify(FrameObject obj, int height, int width) {
        if (!obj.found()) return null;
        double[] iou = scores(obj, height, width);
        int best = 0;
        for (int i = 1; i < iou.length; i++) if (iou[i] > iou[best]) best = i;
        return ObjectShape.values()[best];
    }
}
