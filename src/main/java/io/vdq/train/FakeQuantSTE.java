package io.vdq.train;

import io.vdq.VdqException.ConfigException;
import io.vdq.VdqException.ShapeException;
import io.vdq.tensor.Tensor;
import java.util.List;

/**
 * Symmetric uniform fake quantization per row with learnable clipping and a straight-through estimator,
 * as used by FlatQuant-style calibration (S²Q-VDiT):
 * <pre>
 *   Δ_r = sigmoid(γ)·max_j |x_rj| / qmax,   q = clamp(rint(x/Δ_r), −qmax−1, qmax),   y = q·Δ_r
 * </pre>
 * with qmax = 2^(bits−1) − 1 and round half to even. Rows are output channels of a weight [out × in]
 * ({@link #perChannelWeight}, one γ per row; {@link #perGroupWeight}, one γ and one maximum per row and run of
 * {@code groupSize} columns, the last run possibly shorter) or tokens of an activation [tokens × features]
 * ({@link #perTokenActivation}, one shared γ; the maximum is taken per token at run time).
 * <p>Backward (PyTorch's {@code round_ste} + clamp semantics): rounding passes the gradient, so where the
 * rounded value is inside [−qmax−1, qmax] dy/dx = 1 and dy/dΔ = q − x/Δ; where it is clamped, dy/dx = 0 and
 * dy/dΔ = the bound. Δ's gradient reaches γ through sigmoid and x through the row maximum (to the arg max,
 * first index on ties). An all-zero row passes the gradient unchanged.
 */
public final class FakeQuantSTE implements MatrixFn {
    private final int bits, qmax;
    private final Param gamma;
    private final boolean perRow;
    private final int group; // columns per scale along a row, 0 = the whole row

    private FakeQuantSTE(int bits, Param gamma, boolean perRow, int group) {
        if (bits < 2 || bits > 16) throw new ConfigException("fake quantization: bits must be in [2, 16], got " + bits);
        if (group < 0) throw new ConfigException("fake quantization: group size must be >= 0 (0 = per row), got " + group);
        this.bits = bits;
        this.qmax = (1 << (bits - 1)) - 1;
        this.gamma = gamma;
        this.perRow = perRow;
        this.group = group;
    }

    /** Weight quantizer, symmetric per output channel; {@code gamma} has one value per row. */
    public static FakeQuantSTE perChannelWeight(int bits, Param gamma) { return new FakeQuantSTE(bits, gamma, true, 0); }

    /**
     * Weight quantizer, symmetric per row and group of {@code groupSize} columns along K (the last group may be
     * shorter); {@code gamma} has rows × ceil(cols / groupSize) values, row-major.
     */
    public static FakeQuantSTE perGroupWeight(int bits, Param gamma, int groupSize) {
        if (groupSize < 1) throw new ConfigException("fake quantization: group size must be >= 1, got " + groupSize);
        return new FakeQuantSTE(bits, gamma, true, groupSize);
    }

    /** Dynamic per-token activation quantizer with one learnable clipping value ({@code gamma} of size 1). */
    public static FakeQuantSTE perTokenActivation(int bits, Param gamma) {
        if (gamma.size() != 1) throw new ShapeException("per-token clipping " + gamma.name() + ": expected 1 value, got " + gamma.size());
        return new FakeQuantSTE(bits, gamma, false, 0);
    }

    /** A clipping parameter γ of n values set to {@code init} (4 gives sigmoid ≈ 0.982), without weight decay. */
    public static Param clipParam(String name, int n, float init) {
        Param p = new Param(name, Tensor.zeros(n)).decay(false);
        p.value().fill(init);
        return p;
    }

    public int bits() { return bits; }
    public Param gamma() { return gamma; }
    @Override public List<Param> params() { return List.of(gamma); }

    record FqCache(float[] x, int rows, int cols, float[] step, float[] amax, int[] argmax) implements Cache {}

    private float alpha(int u) {
        return (float) (1.0 / (1.0 + Math.exp(-gamma.v()[perRow ? u : 0])));
    }

    /** Columns per unit (a row, or a group along it) for rows of {@code cols}. */
    private int width(int cols) { return group == 0 || group >= cols ? cols : group; }

    @Override
    public Cache forward(float[] x, int rows, int cols, float[] y) {
        int w = width(cols), groups = (cols + w - 1) / w, units = rows * groups;
        if (perRow && gamma.size() != units)
            throw new ShapeException((group == 0 ? "per-channel" : "per-group") + " clipping " + gamma.name() + ": " + gamma.size()
                    + " values for " + rows + " rows" + (groups > 1 ? " × " + groups + " groups" : ""));
        float[] step = new float[units], amax = new float[units];
        int[] arg = new int[units];
        Ops.par(rows, cols, (r0, r1) -> {
            for (int r = r0; r < r1; r++)
                for (int g = 0; g < groups; g++) {
                    int u = r * groups + g, o = r * cols + g * w, n = Math.min(w, cols - g * w), a = 0;
                    float m = 0f;
                    for (int j = 0; j < n; j++) { float v = Math.abs(x[o + j]); if (v > m) { m = v; a = j; } }
                    float s = alpha(u) * m / qmax;
                    amax[u] = m;
                    arg[u] = a;
                    step[u] = s;
                    for (int j = 0; j < n; j++) y[o + j] = s == 0f ? 0f : quant(x[o + j], s) * s;
                }
        });
        return new FqCache(x, rows, cols, step, amax, arg);
    }

    private float quant(float v, float s) {
        double q = Math.rint(v / s);
        return (float) Math.max(-qmax - 1, Math.min(qmax, q));
    }

    @Override
    public void backward(Cache cache, float[] dy, float[] dx) {
        FqCache c = (FqCache) cache;
        int rows = c.rows(), cols = c.cols();
        int w = width(cols), groups = (cols + w - 1) / w, units = rows * groups;
        float[] x = c.x();
        double[] dGamma = new double[units];
        Ops.par(rows, cols, (r0, r1) -> {
            for (int r = r0; r < r1; r++)
                for (int gi = 0; gi < groups; gi++) {
                    int un = r * groups + gi, o = r * cols + gi * w, n = Math.min(w, cols - gi * w);
                    float s = c.step()[un];
                    if (s == 0f) { System.arraycopy(dy, o, dx, o, n); continue; }
                    double ds = 0;
                    for (int j = 0; j < n; j++) {
                        float u = x[o + j] / s;
                        double q = Math.rint(u);
                        if (q >= -qmax - 1 && q <= qmax) { dx[o + j] = dy[o + j]; ds += dy[o + j] * (q - u); }
                        else { dx[o + j] = 0f; ds += dy[o + j] * (q > 0 ? qmax : -qmax - 1); }
                    }
                    double a = alpha(un);
                    dGamma[un] = ds * c.amax()[un] / qmax * a * (1 - a);
                    int am = o + c.argmax()[un];
                    dx[am] += (float) (ds * a / qmax * Math.signum(x[am]));
                }
        });
        float[] g = gamma.g();
        if (perRow) for (int u = 0; u < units; u++) g[u] += (float) dGamma[u];
        else {
            double s = 0;
            for (int u = 0; u < units; u++) s += dGamma[u];
            g[0] += (float) s;
        }
    }
}
