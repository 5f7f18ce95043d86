package io.vdq.train;

import io.vdq.VdqException.ConfigException;
import io.vdq.VdqException.ShapeException;
import java.util.List;

/**
 * Symmetric uniform fake quantization per row with learnable clipping and a straight-through estimator,
 * as used by FlatQuant-style calibration (S²Q-VDiT):
 * <pre>
 *   Δ_r = sigmoid(γ)·max_j |x_rj| / qmax,   q = clamp(rint(x/Δ_r), −qmax−1, qmax),   y = q·Δ_r
 * </pre>
 * with qmax = 2^(bits−1) − 1 and round half to even. Rows are output channels of a weight [out × in]
 * ({@link #perChannelWeight}, one γ per row) or tokens of an activation [tokens × features]
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

    private FakeQuantSTE(int bits, Param gamma, boolean perRow) {
        if (bits < 2 || bits > 16) throw new ConfigException("fake quantization: bits must be in [2, 16], got " + bits);
        this.bits = bits;
        this.qmax = (1 << (bits - 1)) - 1;
        this.gamma = gamma;
        this.perRow = perRow;
    }

    /** Weight quantizer, symmetric per output channel; {@code gamma} has one value per row. */
    public static FakeQuantSTE perChannelWeight(int bits, Param gamma) { return new FakeQuantSTE(bits, gamma, true); }

    /** Dynamic per-token activation quantizer with one learnable clipping value ({@code gamma} of size 1). */
    public static FakeQuantSTE perTokenActivation(int bits, Param gamma) {
        if (gamma.size() != 1) throw new ShapeException("per-token clipping " + gamma.name() + ": expected 1 value, got " + gamma.size());
        return new FakeQuantSTE(bits, gamma, false);
    }

    /** A clipping parameter γ of n values set to {@code init} (4 gives sigmoid ≈ 0.982), without weight decay. */
    public static Param clipParam(String name, int n, float init) {
        Param p = new Param(name, io.vdq.tensor.Tensor.zeros(n)).decay(false);
        p.value().fill(init);
        return p;
    }

    public int bits() { return bits; }
    public Param gamma() { return gamma; }
    @Override public List<Param> params() { return List.of(gamma); }

    record FqCache(float[] x, int rows, int cols, float[] step, float[] amax, int[] argmax) implements Cache {}

    private float alpha(int r) {
        return (float) (1.0 / (1.0 + Math.exp(-gamma.v()[perRow ? r : 0])));
    }

    @Override
    public Cache forward(float[] x, int rows, int cols, float[] y) {
        if (perRow && gamma.size() != rows)
            throw new ShapeException("per-channel clipping " + gamma.name() + ": " + gamma.size() + " values for " + rows + " rows");
        float[] step = new float[rows], amax = new float[rows];
        int[] arg = new int[rows];
        Ops.par(rows, cols, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * cols, a = 0;
                float m = 0f;
                for (int j = 0; j < cols; j++) { float v = Math.abs(x[o + j]); if (v > m) { m = v; a = j; } }
                float s = alpha(r) * m / qmax;
                amax[r] = m;
                arg[r] = a;
                step[r] = s;
                for (int j = 0; j < cols; j++) y[o + j] = s == 0f ? 0f : quant(x[o + j], s) * s;
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
        float[] x = c.x();
        double[] dGamma = new double[rows];
        Ops.par(rows, cols, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * cols;
                float s = c.step()[r];
                if (s == 0f) { System.arraycopy(dy, o, dx, o, cols); continue; }
                double ds = 0;
                for (int j = 0; j < cols; j++) {
                    float u = x[o + j] / s;
                    double q = Math.rint(u);
                    if (q >= -qmax - 1 && q <= qmax) { dx[o + j] = dy[o + j]; ds += dy[o + j] * (q - u); }
                    else { dx[o + j] = 0f; ds += dy[o + j] * (q > 0 ? qmax : -qmax - 1); }
                }
                double a = alpha(r);
                dGamma[r] = ds * c.amax()[r] / qmax * a * (1 - a);
                int am = o + c.argmax()[r];
                dx[am] += (float) (ds * a / qmax * Math.signum(x[am]));
            }
        });
        float[] g = gamma.g();
        if (perRow) for (int r = 0; r < rows; r++) g[r] += (float) dGamma[r];
        else {
            double s = 0;
            for (int r = 0; r < rows; r++) s += dGamma[r];
            g[0] += (float) s;
        }
    }
}
