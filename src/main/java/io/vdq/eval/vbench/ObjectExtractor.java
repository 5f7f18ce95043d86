package io.vdq.eval.vbench;

import java.util.Arrays;

/**
 * Segments the single object of a synthetic-world frame (float RGB, H·W·3 at an offset). Steps, each exact
 * for ground-truth renders:
 * <ol>
 * <li>Background: per channel a plane b(x, y) = a0 + a1·X + a2·Y (X, Y the pixel-centre coordinates scaled
 *     to [−½, ½]) fitted by least squares first to the one-pixel border ring, then three times to the 60 % of
 *     all pixels with the smallest residual norm (trimmed least squares; plain and linear-gradient
 *     backgrounds are planes).</li>
 * <li>Noise σ: Immerkær's estimator made robust, 1.4826·median|I ∗ N| / 6 over interior pixels and
 *     channels, N = [[1,−2,1],[−2,4,−2],[1,−2,1]] (zero on planes, so flat and gradient areas give 0).</li>
 * <li>Candidates: pixels whose residual norm ‖I − b‖ exceeds T = max(0.15, 3·√3·σ); the object is the
 *     largest 8-connected component of candidates, found if it has at least {@link #MIN_PIXELS} pixels.</li>
 * <li>Colour o: per-channel median over the core, the component's pixels whose residual norm is at least
 *     the component's 75th percentile (index ⌊¾·count⌋ of the sorted norms). Soft mask α = clamp((I − b)·(o − b) / ‖o − b‖²,
 *     0, 1) on the component dilated by one pixel (3×3), zero elsewhere. Area Σα, centroid α-weighted.</li>
 * </ol>
 */
public final class ObjectExtractor {
    public static final int MIN_PIXELS = 4;
    static final double BASE_THRESHOLD = 0.15;
    private static final double KEEP = 0.6;

    private ObjectExtractor() {}

    public static FrameObject extract(float[] img, int off, int height, int width) {
        int n = height * width;
        float[] bg = fitBackground(img, off, height, width);
        double sigma = noiseSigma(img, off, height, width);
        double thr = Math.max(BASE_THRESHOLD, 3 * Math.sqrt(3) * sigma);
        boolean[] cand = new boolean[n];
        for (int p = 0; p < n; p++) cand[p] = residual(img, off, bg, p) > thr;
        boolean[] comp = largestComponent(cand, height, width);
        int count = 0;
        for (boolean b : comp) if (b) count++;
        float[] alpha = new float[n];
        boolean[] near = dilate(comp, height, width, 1), far = dilate(comp, height, width, 2);
        boolean[] background = new boolean[n];
        for (int p = 0; p < n; p++) background[p] = !far[p];
        if (count < MIN_PIXELS) return new FrameObject(false, alpha, background, bg, null, 0, Double.NaN, Double.NaN, sigma);
        // Core: the quarter of the component farthest from the background (the interior, even when edges blur).
        float[] norm = new float[n], vals = new float[count];
        int k = 0;
        for (int p = 0; p < n; p++) if (comp[p]) vals[k++] = norm[p] = (float) residual(img, off, bg, p);
        Arrays.sort(vals, 0, count);
        float coreCut = vals[(3 * count) / 4];
        boolean[] core = new boolean[n];
        int coreCount = 0;
        for (int p = 0; p < n; p++) if (comp[p] && norm[p] >= coreCut) { core[p] = true; coreCount++; }
        float[] color = new float[3];
        for (int ch = 0; ch < 3; ch++) {
            k = 0;
            for (int p = 0; p < n; p++) if (core[p]) vals[k++] = img[off + 3 * p + ch];
            color[ch] = median(vals, coreCount);
        }
        double area = 0, mx = 0, my = 0;
        for (int p = 0; p < n; p++) {
            if (!near[p]) continue;
            double num = 0, den = 0;
            for (int ch = 0; ch < 3; ch++) {
                double c = color[ch] - bg[3 * p + ch];
                num += (img[off + 3 * p + ch] - bg[3 * p + ch]) * c;
                den += c * c;
            }
            double a = den > 1e-12 ? Math.max(0, Math.min(1, num / den)) : 0;
            alpha[p] = (float) a;
            area += a;
            mx += a * (p % width + 0.5);
            my += a * (p / width + 0.5);
        }
        if (area <= 0) return new FrameObject(false, alpha, background, bg, null, 0, Double.NaN, Double.NaN, sigma);
        return new FrameObject(true, alpha, background, bg, color, area, mx / area, my / area, sigma);
    }

    static double residual(float[] img, int off, float[] bg, int p) {
        double s = 0;
        for (int ch = 0; ch < 3; ch++) { double d = img[off + 3 * p + ch] - bg[3 * p + ch]; s += d * d; }
        return Math.sqrt(s);
    }

    /** The background plane evaluated at every pixel, H·W·3 (trimmed least squares, see the class comment). */
    static float[] fitBackground(float[] img, int off, int height, int width) {
        int n = height * width;
        boolean[] use = new boolean[n];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++) use[y * width + x] = y == 0 || x == 0 || y == height - 1 || x == width - 1;
        float[] bg = new float[n * 3];
        double[] res = new double[n];
        for (int iter = 0; iter < 4; iter++) {
            evalPlane(fitPlane(img, off, height, width, use), height, width, bg);
            if (iter == 3) break;
            for (int p = 0; p < n; p++) res[p] = residual(img, off, bg, p);
            double[] sorted = res.clone();
            Arrays.sort(sorted);
            double cut = sorted[Math.max(0, (int) (KEEP * n) - 1)];
            int kept = 0;
            for (int p = 0; p < n; p++) { use[p] = res[p] <= cut && kept < (int) (KEEP * n); if (use[p]) kept++; }
        }
        return bg;
    }

    private static double px(int x, int width) { return (x + 0.5) / width - 0.5; }

    /** Least-squares plane coefficients {a0, a1, a2} per channel over the used pixels (3×3 normal equations in double). */
    private static double[][] fitPlane(float[] img, int off, int height, int width, boolean[] use) {
        double[][] m = new double[3][3];
        double[][] rhs = new double[3][3];
        for (int y = 0; y < height; y++) {
            double yy = px(y, height);
            for (int x = 0; x < width; x++) {
                int p = y * width + x;
                if (!use[p]) continue;
                double[] f = {1, px(x, width), yy};
                for (int i = 0; i < 3; i++) {
                    for (int j = 0; j < 3; j++) m[i][j] += f[i] * f[j];
                    for (int ch = 0; ch < 3; ch++) rhs[ch][i] += f[i] * img[off + 3 * p + ch];
                }
            }
        }
        double[][] coef = new double[3][];
        for (int ch = 0; ch < 3; ch++) coef[ch] = solve3(m, rhs[ch]);
        return coef;
    }

    private static void evalPlane(double[][] coef, int height, int width, float[] bg) {
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int ch = 0; ch < 3; ch++)
                    bg[3 * (y * width + x) + ch] = (float) (coef[ch][0] + coef[ch][1] * px(x, width) + coef[ch][2] * px(y, height));
    }

    /** Solves the 3×3 system by Cramer's rule; a singular system falls back to the mean (a0 only). */
    static double[] solve3(double[][] a, double[] b) {
        double det = det3(a[0][0], a[0][1], a[0][2], a[1][0], a[1][1], a[1][2], a[2][0], a[2][1], a[2][2]);
        if (Math.abs(det) < 1e-12 * Math.max(1, a[0][0] * a[0][0] * a[0][0])) return new double[]{a[0][0] > 0 ? b[0] / a[0][0] : 0, 0, 0};
        double[] x = new double[3];
        for (int k = 0; k < 3; k++) {
            double[][] c = {a[0].clone(), a[1].clone(), a[2].clone()};
            for (int i = 0; i < 3; i++) c[i][k] = b[i];
            x[k] = det3(c[0][0], c[0][1], c[0][2], c[1][0], c[1][1], c[1][2], c[2][0], c[2][1], c[2][2]) / det;
        }
        return x;
    }

    private static double det3(double a, double b, double c, double d, double e, double f, double g, double h, double i) {
        return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
    }

    /** Robust Immerkær noise σ of one frame (0 for frames smaller than 3×3). */
    public static double noiseSigma(float[] img, int off, int height, int width) {
        if (height < 3 || width < 3) return 0;
        float[] v = new float[(height - 2) * (width - 2) * 3];
        int k = 0;
        for (int y = 1; y < height - 1; y++) {
            for (int x = 1; x < width - 1; x++) {
                for (int ch = 0; ch < 3; ch++) {
                    int c = off + 3 * (y * width + x) + ch, r = 3 * width;
                    double s = img[c - r - 3] - 2 * img[c - r] + img[c - r + 3]
                            - 2 * img[c - 3] + 4 * img[c] - 2 * img[c + 3]
                            + img[c + r - 3] - 2 * img[c + r] + img[c + r + 3];
                    v[k++] = (float) Math.abs(s);
                }
            }
        }
        return 1.4826 * median(v, k) / 6.0;
    }

    /** Median of the first n values (mean of the two middle ones for even n); reorders the array. */
    static float median(float[] v, int n) {
        Arrays.sort(v, 0, n);
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2f;
    }

    /** Largest 8-connected component (ties: the one found first in row-major order). */
    static boolean[] largestComponent(boolean[] m, int height, int width) {
        int n = height * width;
        int[] label = new int[n];
        int[] stack = new int[n];
        int best = 0, bestSize = 0, next = 0;
        for (int s = 0; s < n; s++) {
            if (!m[s] || label[s] != 0) continue;
            int id = ++next, size = 0, top = 0;
            stack[top++] = s;
            label[s] = id;
            while (top > 0) {
                int p = stack[--top];
                size++;
                int py = p / width, pxx = p % width;
                for (int dy = -1; dy <= 1; dy++) {
                    for (int dx = -1; dx <= 1; dx++) {
                        int y = py + dy, x = pxx + dx;
                        if (y < 0 || x < 0 || y >= height || x >= width) continue;
                        int q = y * width + x;
                        if (m[q] && label[q] == 0) { label[q] = id; stack[top++] = q; }
                    }
                }
            }
            if (size > bestSize) { bestSize = size; best = id; }
        }
        boolean[] out = new boolean[n];
        for (int p = 0; p < n; p++) out[p] = best != 0 && label[p] == best;
        return out;
    }

    /** Square dilation by {@code radius} pixels (Chebyshev distance ≤ radius). */
    static boolean[] dilate(boolean[] m, int height, int width, int radius) {
        boolean[] out = new boolean[m.length];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                if (!m[y * width + x]) continue;
                for (int yy = Math.max(0, y - radius); yy <= Math.min(height - 1, y + radius); yy++)
                    for (int xx = Math.max(0, x - radius); xx <= Math.min(width - 1, x + radius); xx++) out[yy * width + xx] = true;
            }
        }
        return out;
    }
}
