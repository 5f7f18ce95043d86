package io.vdq.train;


/**
 * Affine RMSNorm over the whole row: Wan's QK-norm "rms_norm_across_heads" normalises q and k over all heads
 * together (width heads·head_dim) before they are split into heads.
 */
public final class RmsNormLayer {
    private final int dim;
    private final float eps;
    private final Param gamma;

    /** Registers {@code name.weight} (ones). */
    public RmsNormLayer(ParamSet ps, String name, int dim, float eps) {
        this.dim = dim;
        this.eps = eps;
        this.gamma = ps.add(name + ".weight", dim);
        gamma.value().fill(1f);
    }

    public Param gamma() { return gamma; }

    public record Cache(float[] x, int rows, double[] rinv, float[] y) {}

    public Cache forward(float[] x, int rows) {
        float[] y = new float[rows * dim], g = gamma.v();
        double[] rinv = new double[rows];
        Ops.par(rows, dim, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * dim;
                double ss = 0;
                for (int i = 0; i < dim; i++) ss += (double) x[o + i] * x[o + i];
                double ri = 1.0 / Math.sqrt(ss / dim + eps);
                rinv[r] = ri;
                for (int i = 0; i < dim; i++) y[o + i] = (float) (x[o + i] * ri) * g[i];
            }
        });
        return new Cache(x, rows, rinv, y);
    }

    public float[] backward(Cache c, float[] dy) {
        int rows = c.rows();
        float[] x = c.x(), g = gamma.v(), dx = new float[rows * dim], xhat = new float[rows * dim];
        Ops.par(rows, dim, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * dim;
                double ri = c.rinv()[r], s = 0;
                for (int i = 0; i < dim; i++) {
                    double xh = x[o + i] * ri;
                    xhat[o + i] = (float) xh;
                    s += dy[o + i] * g[i] * xh;
                }
                s /= dim;
                for (int i = 0; i < dim; i++) dx[o + i] = (float) (ri * (dy[o + i] * g[i] - x[o + i] * ri * s));
            }
        });
        Ops.colDotAdd(dy, 0, xhat, 0, rows, dim, gamma.g(), 0);
        return dx;
    }
}
