package io.vdq.eval.vbench;

/**
 * What {@link ObjectExtractor} finds in one H×W frame.
 *
 * @param found      whether an object was segmented (at least {@link ObjectExtractor#MIN_PIXELS} pixels)
 * @param alpha      soft object mask α in [0, 1] per pixel (row-major H·W); zero away from the object
 * @param background true where the pixel is background for consistency purposes (2+ px from the object)
 * @param bg         the fitted background plane per pixel, H·W·3
 * @param color      object colour {r, g, b}: per-channel median over the object's pixels (null if not found)
 * @param area       Σα in pixels
 * @param cx         α-weighted centroid x (pixel centres at x + ½)
 * @param cy         α-weighted centroid y
 * @param sigma      robust noise estimate of the frame (Immerkær), per channel, in [0, 1] units
 */
public record FrameObject(boolean found, float[] alpha, boolean[] background, float[] bg, float[] color,
                          double area, double cx, double cy, double sigma) {
}
