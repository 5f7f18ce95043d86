package io.vdq.kernel.nat;

import io.vdq.VdqException.ConfigException;
import io.vdq.kernel.IntBackend;
import io.vdq.kernel.JavaIntBackend;
import java.util.Locale;

/**
 * Picks the integer GEMM backend once per process: {@code -Dvdq.native=auto} (default: native AVX2 when the
 * library and CPU allow, else the Java reference), {@code on} (native or a {@link ConfigException}) or
 * {@code off} (Java). Logs one INFO line naming the backend in use and why.
 */
public final class IntKernels {
    private static final System.Logger LOG = System.getLogger("io.vdq.kernel.nat");
    private static volatile IntBackend current;

    private IntKernels() {}

    public static IntBackend get() {
        IntBackend b = current;
        if (b == null) {
            synchronized (IntKernels.class) {
                if (current == null) {
                    current = select(System.getProperty("vdq.native", "auto"));
                    LOG.log(System.Logger.Level.INFO, "integer backend: " + describe(current));
                }
                b = current;
            }
        }
        return b;
    }

    /** Replaces the process-wide integer backend (tests, benchmarks, the CLI's --backend). */
    public static void set(IntBackend b) { current = b; }

    /** The backend for mode off|on|auto, without caching or logging. */
    public static IntBackend select(String mode) {
        return switch (mode.trim().toLowerCase(Locale.ROOT)) {
            case "off" -> JavaIntBackend.INSTANCE;
            case "auto" -> NativeLibrary.available() ? new NativeIntBackend(NativeLibrary.get()) : JavaIntBackend.INSTANCE;
            case "on" -> {
                if (!NativeLibrary.available())
                    throw new ConfigException("vdq.native=on but the native integer kernels are unavailable: "
                            + NativeLibrary.unavailableReason());
                yield new NativeIntBackend(NativeLibrary.get());
            }
            default -> throw new ConfigException("vdq.native='" + mode + "': expected off, on or auto");
        };
    }

    /** True unless {@code -Dvdq.native=off}: tests of the native path skip when this is false. */
    public static boolean nativeAllowed() {
        return !"off".equalsIgnoreCase(System.getProperty("vdq.native", "auto").trim());
    }

    /** One line: the backend and, for the Java one, why native is not used. */
    public static String describe(IntBackend b) {
        if (b instanceof NativeIntBackend nb) return "native AVX2 (" + nb.library().path() + ")";
        if (!nativeAllowed()) return "java reference (vdq.native=off)";
        String why = NativeLibrary.unavailableReason();
        return "java reference" + (why == null ? "" : " (native unavailable: " + why + ")");
    }
}
