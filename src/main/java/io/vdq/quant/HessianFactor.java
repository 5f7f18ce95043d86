package io.vdq.quant;

import io.vdq.VdqException.ConfigException;
import io.vdq.tensor.Parallel;

/**
 * The factor of an inverse Hessian that GPTQ-style error feedback needs, shared by every method that runs GPTQ
 * ({@code quant.gptq}, {@code quant.s2q}). Deterministic for any thread count: each output element is one
 * sequential sum.
 */
public final class HessianFactor {
    private HessianFactor() {}

    /**
     * U (upper triangular, row-major K×K) with Uᵀ·U = A⁻¹ for a symmetric positive definite A, without forming A⁻¹:
     * factor A = V·Vᵀ with V upper triangular (Cholesky of A with rows and columns reversed), then
     * A⁻¹ = V⁻ᵀ·V⁻¹, so U = V⁻¹ (its diagonal is positive, so it is the Cholesky factor). Two K³/6 passes, both
     * reading rows contiguously; rows of U are independent and computed in parallel.
     */
    public static double[] upperCholeskyOfInverse(double[] a, int k, String what) {
        // a NaN/Inf here comes from this layer's calibration inputs, not from a lack of damping: say so, by layer
        for (int i = 0; i < k * k; i++)
            if (!Double.isFinite(a[i]))
                throw new ConfigException(what + ": Hessian of the calibration inputs holds " + a[i] + " at input channel "
                        + (i / k) + "; this layer's inputs are not finite (a NaN/Inf weight or activation before it)");
        double[] v = new double[k * k]; // upper: A = V·Vᵀ
        for (int j = k - 1; j >= 0; j--) {
            double d = a[j * k + j];
            for (int m = j + 1; m < k; m++) d -= v[j * k + m] * v[j * k + m];
            if (!(d > 0))
                throw new ConfigException(what + ": Hessian is not positive definite at column " + j
                        + " (pivot " + d + "); raise recipe option 'damp' or use more calibration data");
            double vjj = Math.sqrt(d);
            v[j * k + j] = vjj;
            int jj = j;
            Parallel.range(jj, (from, to) -> {
                for (int i = from; i < to; i++) {
                    double s = a[i * k + jj];
                    for (int m = jj + 1; m < k; m++) s -= v[i * k + m] * v[jj * k + m];
                    v[i * k + jj] = s / vjj;
                }
            });
        }
        double[] t = new double[k * k]; // Vᵀ, lower, so that columns of V are contiguous rows of t
        for (int i = 0; i < k; i++) for (int j = i; j < k; j++) t[j * k + i] = v[i * k + j];
        double[] u = new double[k * k]; // U·V = I, row by row: U[i][j] = −Σ_{m=i..j−1} U[i][m]·V[m][j] / V[j][j]
        Parallel.range(k, (from, to) -> {
            for (int i = from; i < to; i++) {
                int bi = i * k;
                u[bi + i] = 1 / t[i * k + i];
                for (int j = i + 1; j < k; j++) {
                    double s = 0;
                    int bj = j * k;
                    for (int m = i; m < j; m++) s += u[bi + m] * t[bj + m];
                    u[bi + j] = -s / t[bj + j];
                }
            }
        });
        return u;
    }
}
