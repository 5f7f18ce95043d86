package io.vdq.kernel.nat;

import io.vdq.VdqException.ConfigException;
import io.vdq.kernel.ExecutionContext;
import io.vdq.kernel.IntBackend;
import io.vdq.kernel.JavaIntBackend;
import io.vdq.kernel.nat.NativeIntBackend.Isa;
import java.util.Locale;

/**
 * The integer GEMM backend for a {@code -Dvdq.native} mode ({@link ExecutionContext#intBackend} asks once per
 * process, through {@link NativeKernelsProvider}):
 * <ul>
 * <li>{@code auto} (default): the native AVX-512 VNNI kernels when the library has them and /proc/cpuinfo reports
 *     {@link NativeLibrary#AVX512_FLAGS}, else the native AVX2 kernels when the library loads, else the Java
 *     reference;</li>
 * <li>{@code on}: as auto, but a {@link ConfigException} instead of the Java reference;</li>
 * <li>{@code avx2} / {@code avx512}: exactly those kernels, or a {@link ConfigException} that names what is
 *     missing (a CPU flag, or the library);</li>
 * <li>{@code off}: the Java reference.</li>
 * </ul>
 * {@link #describe} names the backend and why it was chosen.
 */
public final class IntKernels {
    private IntKernels() {}

    /** The {@code -Dvdq.native} mode (default auto), as {@link ExecutionContext#nativeMode}; the FP32 macro-kernel's choice reads it too. */
    static String mode() { return ExecutionContext.nativeMode(); }

    /** The backend for mode off|auto|on|avx2|avx512, without caching or logging. */
    public static IntBackend select(String mode) {
        String m = mode.trim().toLowerCase(Locale.ROOT);
        return switch (m) {
            case "off" -> JavaIntBackend.INSTANCE;
            case "auto" -> NativeLibrary.available() ? best(NativeLibrary.get()) : JavaIntBackend.INSTANCE;
            case "on" -> best(require(m));
            case "avx2" -> new NativeIntBackend(require(m), Isa.AVX2);
            case "avx512" -> {
                NativeLibrary lib = require(m);
                String why = lib.avx512Unavailable();
                if (why != null) throw new ConfigException("vdq.native=avx512 but the AVX-512 VNNI integer kernels cannot run: " + why);
                yield new NativeIntBackend(lib, Isa.AVX512_VNNI);
            }
            default -> throw new ConfigException("vdq.native='" + mode + "': expected off, auto, on, avx2 or avx512");
        };
    }

    private static NativeLibrary require(String mode) {
        if (!NativeLibrary.available())
            throw new ConfigException("vdq.native=" + mode + " but the native integer kernels are unavailable: "
                    + NativeLibrary.unavailableReason());
        return NativeLibrary.get();
    }

    private static NativeIntBackend best(NativeLibrary lib) {
        return new NativeIntBackend(lib, lib.avx512Unavailable() == null ? Isa.AVX512_VNNI : Isa.AVX2);
    }

    /** True unless {@code -Dvdq.native=off}: tests of the native path skip when this is false. */
    public static boolean nativeAllowed() { return ExecutionContext.nativeAllowed(); }

    /**
     * One line: the backend and why it was chosen, e.g. "native AVX-512 VNNI (/path/libvdqnative.so)", "native AVX2
     * (/path/libvdqnative.so; AVX-512 VNNI unavailable: CPU lacks avx512_vnni (per /proc/cpuinfo))", "java reference
     * (vdq.native=off)".
     */
    public static String describe(IntBackend b) {
        if (b instanceof NativeIntBackend nb) {
            String d = nb.isa().label() + " (" + nb.library().path();
            if (nb.isa() == Isa.AVX2) {
                String why = nb.library().avx512Unavailable();
                d += why == null ? "; AVX-512 VNNI available but not selected" : "; AVX-512 VNNI unavailable: " + why;
            }
            return d + ")";
        }
        if (!nativeAllowed()) return "java reference (vdq.native=off)";
        String why = NativeLibrary.unavailableReason();
        return "java reference" + (why == null ? "" : " (native unavailable: " + why + ")");
    }
}
