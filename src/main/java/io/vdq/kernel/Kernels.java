package io.vdq.kernel;

import io.vdq.VdqException.ConfigException;

/**
 * Chooses the backend once at start-up: {@code -Dvdq.backend=scalar|vector} overrides; the default is the
 * Vector API backend. The native integer kernels live beside these (they are not float backends).
 */
public final class Kernels {
    private static final System.Logger LOG = System.getLogger("io.vdq.kernel");
    private static volatile KernelBackend current;

    private Kernels() {}

    public static KernelBackend get() {
        KernelBackend b = current;
        if (b == null) {
            synchronized (Kernels.class) {
                if (current == null) {
                    current = byName(System.getProperty("vdq.backend", "vector"));
                    LOG.log(System.Logger.Level.DEBUG, "float kernel backend: " + current.name());
                }
                b = current;
            }
        }
        return b;
    }

    /**
     * The backend's name plus, for the Vector API backend, the FP32 GEMM macro-kernel in use: "vector" or
     * "vector+native-avx2 gemm" or "vector+native-avx512 gemm" (same bits either way, see {@link FloatMacroKernel}).
     */
    public static String describe(KernelBackend b) {
        if (b instanceof VectorBackend) {
            FloatMacroKernel mk = VectorGemm.macroKernel();
            return mk == null ? b.name() : b.name() + "+" + mk.name() + " gemm";
        }
        return b.name();
    }

    /** {@link #describe(KernelBackend)} of the current backend. */
    public static String describe() { return describe(get()); }

    /** Replaces the process-wide backend (tests and benchmarks). */
    public static void set(KernelBackend b) { current = b; }

    public static KernelBackend byName(String name) {
        return switch (name.toLowerCase()) {
            case "scalar" -> ScalarBackend.INSTANCE;
            case "vector" -> VectorBackend.INSTANCE;
            default -> throw new ConfigException("unknown kernel backend '" + name + "' (vdq.backend): expected scalar or vector");
        };
    }

    static void requireLayout(PackedWeights w, String layout, KernelBackend b) {
        if (!w.layout().equals(layout))
            throw new IllegalArgumentException("weights packed as '" + w.layout() + "' given to backend " + b.name());
    }
}
