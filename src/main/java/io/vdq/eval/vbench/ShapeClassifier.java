package io.vdq.eval.vbench;

import io.vdq.synth.ObjectShape;
import io.vdq.synth.Renderer;

/**
 * Names the shape of a soft mask: for every shape s, the template is s rendered (with the world's own
 * coverage function) at the scale whose exact area equals the mask's area Σα, placed so its centroid is the
 * mask's centroid; the mask's shape is the template with the highest soft IoU Σmin(α, t) / Σmax(α, t).
 * Shapes are never rotated in the world, so no orientation search is needed.
 */
public final class ShapeClassifier {
    private ShapeClassifier() {}

    /** Soft IoU of the mask with each shape's template, indexed by {@link ObjectShape#ordinal()}. */
    public static double[] scores(FrameObject obj, int height, int width) {
        ObjectShape[] shapes = ObjectShape.values();
        double[] iou = new double[shapes.length];
        if (!obj.found()) return iou;
        float[] t = new float[height * width];
        float[] a = obj.alpha();
        for (ObjectShape s : shapes) {
            double r = Math.sqrt(obj.area() / s.area());
            Renderer.coverage(s, obj.cx(), obj.cy() - s.centroidOffsetY() * r, r, height, width, t);
            double inter = 0, union = 0;
            for (int p = 0; p < a.length; p++) { inter += Math.min(a[p], t[p]); union += Math.max(a[p], t[p]); }
            iou[s.ordinal()] = union > 0 ? inter / union : 0;
        }
        return iou;
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
