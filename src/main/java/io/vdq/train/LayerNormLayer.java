package io.vdq.train;


/**
 * LayerNorm over the last dimension, in float32 with row statistics in double; affine (weight, bias) or not.
 * Wan's norm1/norm3/norm_out are non-affine, norm2 is affine.
 */
public final class LayerNormLayer {
    private final int dim;
    private final float eps;
    private final Param gamma, beta;

    /** Non-affine. */
    public LayerNormLayer(int dim, float eps) { this.dim = dim; this.eps = eps; this.gamma = null; this.beta = null; }

    /** Affine: registers {@code name.weight} (ones) and {@code name.bias} (zeros). */
    public LayerNormLayer(ParamSet ps, String name, int dim, float eps) {
        this.dim = dim;
        this.eps = eps;
        this.gamma = ps.add(name + ".weight", dim);
        this.beta = ps.add(name + ".bias", dim);
        gamma.value().fill(1f);
    }

    public Param gamma() { return gamma; }
    public Param beta() { return beta; }

    /** x̂ (or the affine output) in y; mean and 1/σ per row. */
    public record Cache(float[] x, int rows, double[] mean, double[] rstd, float[] y) {}

    public Cache forward(float[] x, int rows) {
        float[] y = new float[rows * dim];
        double[] mean = new double[rows], rstd = new double[rows];
        float[] g = gamma == null ? null : gamma.v(), b = beta == null ? null : beta.v();
        Ops.par(rows, dim, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * dim;
                double s = 0;
                for (int i = 0; i < dim; i++) s += x[o + i];
                double m = s / dim, v = 0;
                for (int i = 0; i < dim; i++) { double d = x[o + i] - m; v += d * d; }
                double rs = 1.0 / Math.sqrt(v / dim + eps);
                mean[r] = m;
                rstd[r] = rs;
                for (int i = 0; i < dim; i++) {
                    float xh = (float) ((x[o + i] - m) * rs);
                    y[o + i] = g == null ? xh : xh * g[i] + b[i];
                }
            }
        });
        return new Cache(x, rows, mean, rstd, y);
    }

    public float[] backward(Cache c, float[] dy) {
        int rows = c.rows();
        float[] x = c.x(), dx = new float[rows * dim];
        float[] g = gamma == null ? null : gamma.v();
        float[] xhat = gamma == null ? null : new float[rows * dim];
        Ops.par(rows, dim, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * dim;
                double m = c.mean()[r], rs = c.rstd()[r], a = 0, bb = 0;
                for (int i = 0; i < dim; i++) {
                    double xh = (x[o + i] - m) * rs, d = g == null ? dy[o + i] : dy[o + i] * g[i];
                    a += d;
                    bb += d * xh;
                    if (xhat != null) xhat[o + i] = (float) xh;
                }
                a /= dim;
                bb /= dim;
                for (int i = 0; i < dim; i++) {
                    double xh = (x[o + i] - m) * rs, d = g == null ? dy[o + i] : dy[o + i] * g[i];
                    dx[o + i] = (float) (rs * (d - a - xh * bb));
                }
            }
        });
        if (gamma != null) {
            Ops.colDotAdd(dy, 0, xhat, 0, rows, dim, gamma.g(), 0);
            Ops.colSumAdd(dy, 0, rows, dim, beta.g(), 0);
        }
        return dx;
    }
}
