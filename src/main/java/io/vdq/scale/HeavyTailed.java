package io.vdq.scale;

import io.vdq.VdqException.ConfigException;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Random values with unit variance from a Gaussian or a Student-t(ν) distribution, for synthetic weights.
 * Student-t uses Bailey's polar method (Math. Comp. 62, 1994): with U, V uniform on (−1, 1) and W = U² + V² ≤ 1,
 * T = U·sqrt(ν·(W^(−2/ν) − 1)/W) is t-distributed with ν degrees of freedom. For ν > 2 the values are divided by
 * the standard deviation sqrt(ν/(ν − 2)) so every distribution has variance 1; for ν ≤ 2 (infinite variance) they
 * are left as drawn. Gaussian values use the same polar pair (Marsaglia), one value per accepted pair.
 */
public record HeavyTailed(Kind kind, double nu) {
    /** The distribution family. */
    public enum Kind { GAUSSIAN, STUDENT_T }

    public HeavyTailed {
        if (kind == null) throw new ConfigException("distribution kind must be gaussian or student-t");
        if (kind == Kind.STUDENT_T && !(nu > 0 && Double.isFinite(nu)))
            throw new ConfigException("Student-t degrees of freedom must be a finite number > 0, got " + nu);
    }

    /** "gaussian" or "student-t" (ν from the second argument). */
    public static HeavyTailed parse(String name, double nu) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "gaussian", "normal" -> new HeavyTailed(Kind.GAUSSIAN, 0);
            case "student-t", "studentt", "t" -> new HeavyTailed(Kind.STUDENT_T, nu);
            default -> throw new ConfigException("--dist '" + name + "': expected gaussian or student-t");
        };
    }

    /** Fills {@code dst[off .. off+n)} with {@code scale}·(unit-variance draws). */
    public void fill(SplittableRandom r, float[] dst, int off, int n, double scale) {
        double norm = kind == Kind.STUDENT_T && nu > 2 ? scale * Math.sqrt((nu - 2) / nu) : scale;
        for (int i = 0; i < n; i++) {
            double u, v, w;
            do {
                u = 2 * r.nextDouble() - 1;
                v = 2 * r.nextDouble() - 1;
                w = u * u + v * v;
            } while (w >= 1 || w == 0);
            double x = kind == Kind.GAUSSIAN ? u * Math.sqrt(-2 * Math.log(w) / w)
                    : u * Math.sqrt(nu * (Math.pow(w, -2 / nu) - 1) / w);
            dst[off + i] = (float) (norm * x);
        }
    }

    @Override public String toString() {
        return kind == Kind.GAUSSIAN ? "gaussian" : String.format(Locale.ROOT, "student-t(%s)", nu == Math.rint(nu) ? Long.toString((long) nu) : Double.toString(nu));
    }
}
