package io.vdq.kernel;

import io.vdq.VdqException.ConfigException;
import java.util.Locale;
import java.util.ServiceLoader;

/**
 * How this process computes, chosen once and looked up here: the float backend ({@code -Dvdq.backend=scalar|vector},
 * default vector), the integer backend ({@code -Dvdq.native=auto|on|avx2|avx512|off}, default auto: the native
 * AVX-512 VNNI or AVX2 kernels when libvdqnative.so loads and the CPU runs them, else the bit-identical Java
 * reference; the same mode picks the native FP32 macro-kernel of the vector backend's GEMM) and how quantized layers
 * execute ({@code -Dvdq.quant.exec=int|fakequant}, default int: on the integer kernels, or as the fake-quant float
 * reference). Each is read from its system property on first use; the setters replace it (the CLI's
 * {@code --backend}, tests, benchmarks). The three property names are the way to set them from outside.
 *
 * <p>The native kernels are reached through {@link NativeKernels}, which {@code kernel.nat} registers, so
 * {@code kernel} names no native class and the layers above ({@code quant}, {@code model}) ask only this class.
 */
public final class ExecutionContext {
    private static final System.Logger LOG = System.getLogger("io.vdq.kernel");

    /** The system properties that choose the float backend, the integer backend and the quantized execution. */
    public static final String BACKEND_PROPERTY = "vdq.backend", NATIVE_PROPERTY = "vdq.native", QUANT_EXEC_PROPERTY = "vdq.quant.exec";
    /** {@code -Dvdq.attention=flash|blockwise}: the vector backend's float attention (see {@link #flashAttention()}). */
    public static final String ATTENTION_PROPERTY = "vdq.attention";

    /** Execution of quantized layers: on the integer kernels, or quantize-dequantize and a float GEMM. */
    public enum QuantExec {
        INT, FAKEQUANT;

        /** int (or integer) / fakequant (or fake-quant, fake); a {@link ConfigException} otherwise. */
        public static QuantExec parse(String s) {
            return switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "int", "integer" -> INT;
                case "fakequant", "fake-quant", "fake" -> FAKEQUANT;
                default -> throw new ConfigException("quantized execution '" + s + "' (" + QUANT_EXEC_PROPERTY
                        + " / --backend): expected int or fakequant");
            };
        }
    }

    private static volatile KernelBackend floatBackend;
    private static volatile IntBackend intBackend;
    private static volatile QuantExec quantExec;

    private ExecutionContext() {}

    /** The float backend ({@code -Dvdq.backend}, default vector). */
    public static KernelBackend floatBackend() {
        KernelBackend b = floatBackend;
        if (b == null) {
            synchronized (ExecutionContext.class) {
                if (floatBackend == null) {
                    floatBackend = Kernels.byName(System.getProperty(BACKEND_PROPERTY, "vector"));
                    LOG.log(System.Logger.Level.DEBUG, "float kernel backend: " + floatBackend.name());
                }
                b = floatBackend;
            }
        }
        return b;
    }

    /** Replaces the float backend (tests and benchmarks). */
    public static void setFloatBackend(KernelBackend b) { floatBackend = b; }

    /** The integer backend ({@code -Dvdq.native}, default auto); logs one INFO line naming it on first use. */
    public static IntBackend intBackend() {
        IntBackend b = intBackend;
        if (b == null) {
            synchronized (ExecutionContext.class) {
                if (intBackend == null) {
                    NativeKernels n = natives();
                    intBackend = n == null ? JavaIntBackend.INSTANCE : n.intBackend(nativeMode());
                    LOG.log(System.Logger.Level.INFO, "integer backend: " + describe(intBackend));
                }
                b = intBackend;
            }
        }
        return b;
    }

    /** Replaces the integer backend (tests, benchmarks). */
    public static void setIntBackend(IntBackend b) { intBackend = b; }

    /** How quantized layers execute ({@code -Dvdq.quant.exec}, default int); read on every forward call. */
    public static QuantExec quantExec() {
        QuantExec m = quantExec;
        if (m == null) quantExec = m = QuantExec.parse(System.getProperty(QUANT_EXEC_PROPERTY, "int"));
        return m;
    }

    /** Replaces the quantized execution (the CLI's --backend, tests). */
    public static void setQuantExec(QuantExec m) { quantExec = m; }

    /** The {@code -Dvdq.native} mode (default auto), which picks both the integer backend and the FP32 macro-kernel. */
    public static String nativeMode() { return System.getProperty(NATIVE_PROPERTY, "auto"); }

    /** True unless {@code -Dvdq.native=off}: tests of the native path skip when this is false. */
    public static boolean nativeAllowed() { return !"off".equalsIgnoreCase(nativeMode().trim()); }

    /** One line naming an integer backend and why it was chosen. */
    public static String describe(IntBackend b) {
        NativeKernels n = natives();
        return n != null ? n.describe(b) : b.name() + " (no native kernels on the class path)";
    }

    /** The FP32 macro-kernel for {@code panelWidth}-column panels that {@code -Dvdq.native} selects, or null. */
    static FloatMacroKernel floatMacro(int panelWidth) {
        NativeKernels n = natives();
        return n == null ? null : n.floatMacro(nativeMode(), panelWidth);
    }

    private static volatile FlashKernel flash;
    private static volatile boolean flashResolved;

    /**
     * The native flash-attention kernel of the vector backend's attention that {@code -Dvdq.native} selects
     * ({@code attention_avx512.c} with 512-bit vectors when the CPU and library have it, else {@code
     * attention_avx2.c}; none with {@code off} or without the library), or null (the Vector API blockwise kernel);
     * {@code -Dvdq.attention=blockwise} keeps the blockwise kernel (default flash). Resolved once;
     * {@link #setFlashAttention} replaces it.
     */
    public static FlashKernel flashAttention() {
        if (!flashResolved) {
            synchronized (ExecutionContext.class) {
                if (!flashResolved) {
                    NativeKernels n = natives();
                    String a = System.getProperty(ATTENTION_PROPERTY, "flash").trim().toLowerCase(Locale.ROOT);
                    if (!a.equals("flash") && !a.equals("blockwise"))
                        throw new ConfigException(ATTENTION_PROPERTY + "='" + a + "': expected flash or blockwise");
                    flash = n == null || a.equals("blockwise") ? null : n.flashAttention(nativeMode(), VectorAttention.S.vectorBitSize());
                    flashResolved = true;
                }
            }
        }
        return flash;
    }

    /** Replaces the flash-attention kernel (null: the Vector API blockwise attention); tests and benchmarks. */
    public static void setFlashAttention(FlashKernel k) {
        synchronized (ExecutionContext.class) {
            flash = k;
            flashResolved = true;
        }
    }

    /** The reduced-precision flash-attention kernel ({@link Int16Attention}), or null where none can run (no Java twin). */
    public static Int16FlashKernel int16Attention() {
        NativeKernels n = natives();
        return n == null ? null : n.int16Attention(nativeMode());
    }

    /** The registered native kernels, or null; found once, outside this class's lock (VectorGemm asks during its class initialisation). */
    private static NativeKernels natives() { return Natives.FOUND; }

    private static final class Natives {
        static final NativeKernels FOUND =
                ServiceLoader.load(NativeKernels.class, ExecutionContext.class.getClassLoader()).findFirst().orElse(null);
    }
}
