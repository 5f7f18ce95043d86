package io.vdq.kernel;

import io.vdq.VdqException.ConfigException;

/**
 * The float backends by name ({@code scalar}, {@code vector}) and the one in use, which the {@link ExecutionContext}
 * chooses once ({@code -Dvdq.backend=scalar|vector}, default the Vector API backend). The integer kernels live beside
 * these (they are not float backends).
 */
public final class Kernels {
    private Kernels() {}

    /** The float backend of the {@link ExecutionContext} ({@code -Dvdq.backend}). */
    public static KernelBackend get() { return ExecutionContext.floatBackend(); }

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

    /** Replaces the process-wide float backend (tests and benchmarks); {@link ExecutionContext#setFloatBackend}. */
    public static void set(KernelBackend b) { ExecutionContext.setFloatBackend(b); }

    public static KernelBackend byName(String name) {
        return switch (name.toLowerCase()) {
            case "scalar" -> ScalarBackend.INSTANCE;
            case "vector" -> VectorBackend.INSTANCE;
            default -> throw new ConfigException("unknown kernel backend '" + name + "' (" + ExecutionContext.BACKEND_PROPERTY + "): expected scalar or vector");
        };
    }

    static void requireLayout(PackedWeights w, String layout, KernelBackend b) {
        if (!w.layout().equals(layout))
            throw new IllegalArgumentException("weights packed as '" + w.layout() + "' given to backend " + b.name());
    }
}
