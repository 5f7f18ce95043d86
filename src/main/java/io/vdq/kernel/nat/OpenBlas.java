package io.vdq.kernel.nat;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The system OpenBLAS's {@code cblas_sgemm}, bound through FFM, as the speed anchor of {@code vdq bench gemm
 * --anchor openblas}: the same {@code Y = X·Wᵀ} (row-major X [m, k], W [n, k], Y [m, n]) the kernels compute, on
 * the same threads. Benchmark use only: vdq's results never come from it. Absent when no OpenBLAS is installed
 * (Debian: {@code libopenblas0}).
 *
 * <p>Idle threads: after each call OpenBLAS's pthread build keeps its worker threads spinning (yielding) for
 * 2^{@code OPENBLAS_THREAD_TIMEOUT} cycles, 2^28 by default, about 0.1 s at 2.6 GHz, before they sleep. In a benchmark
 * that alternates vdq and OpenBLAS reps, a 2-thread vdq rep shorter than that shares the cores with a spinning
 * OpenBLAS worker, and the process CPU time charged to it includes the spin. On the Zen 5 host vdq's 1024³ 2-thread
 * rate per CPU-second read 66–85 GF/s with the default against 100 with the workers asleep (and vdq alone runs 1 and 2
 * threads at the same rate per CPU-second); the same pattern is what the Intel host of issue #29 showed as "1024³ on
 * 2 threads no faster than on 1" (BENCHMARKS.md, "Issue #29 on an AMD Zen 5 AVX-512 host"). {@link #load} therefore sets
 * {@code OPENBLAS_THREAD_TIMEOUT=4} (the minimum: the workers sleep at once, as vdq's pool threads park) in the
 * process environment before loading the library, unless the variable is already set; {@link #threadTimeout}
 * reports the value in force.
 */
public final class OpenBlas implements AutoCloseable {
    private static final int ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;
    private static final List<String> CANDIDATES = List.of("/lib/x86_64-linux-gnu/libopenblas.so.0",
            "/usr/lib/x86_64-linux-gnu/libopenblas.so.0", "/lib/aarch64-linux-gnu/libopenblas.so.0",
            "/usr/lib/aarch64-linux-gnu/libopenblas.so.0", "/usr/lib/libopenblas.so.0", "/usr/lib64/libopenblas.so.0");

    private final Arena arena;
    private final MethodHandle sgemm, setThreads, coreName;
    private final String path;

    private OpenBlas(Arena arena, SymbolLookup lib, String path) {
        this.arena = arena;
        this.path = path;
        Linker linker = Linker.nativeLinker();
        ValueLayout.OfInt I = ValueLayout.JAVA_INT;
        ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
        sgemm = linker.downcallHandle(lib.find("cblas_sgemm").orElseThrow(),
                FunctionDescriptor.ofVoid(I, I, I, I, I, I, F, ValueLayout.ADDRESS, I, ValueLayout.ADDRESS, I, F, ValueLayout.ADDRESS, I));
        setThreads = lib.find("openblas_set_num_threads")
                .map(s -> linker.downcallHandle(s, FunctionDescriptor.ofVoid(I))).orElse(null);
        coreName = lib.find("openblas_get_corename")
                .map(s -> linker.downcallHandle(s, FunctionDescriptor.of(ValueLayout.ADDRESS))).orElse(null);
    }

    /** The installed OpenBLAS, or empty when none is found (or it lacks {@code cblas_sgemm}). */
    public static Optional<OpenBlas> load() {
        setenvIfUnset("OPENBLAS_THREAD_TIMEOUT", "4");
        for (String p : CANDIDATES) {
            if (!Files.isRegularFile(Path.of(p))) continue;
            Arena arena = Arena.ofShared();
            try {
                SymbolLookup lib = SymbolLookup.libraryLookup(Path.of(p), arena);
                if (lib.find("cblas_sgemm").isEmpty()) { arena.close(); continue; }
                return Optional.of(new OpenBlas(arena, lib, p));
            } catch (RuntimeException e) {
                arena.close();
            }
        }
        return Optional.empty();
    }

    /**
     * libc {@code setenv(name, value, 0)}: the native environment, which OpenBLAS reads when it is loaded (the JVM's
     * {@code System.getenv} is a snapshot and does not see it). Best effort: nothing happens without libc's setenv.
     * Benchmark use only, once before the library loads (setenv is not safe against a concurrent native getenv).
     */
    private static void setenvIfUnset(String name, String value) {
        Linker linker = Linker.nativeLinker();
        var fn = linker.defaultLookup().find("setenv");
        if (fn.isEmpty()) return;
        MethodHandle setenv = linker.downcallHandle(fn.get(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        try (Arena a = Arena.ofConfined()) {
            int ignored = (int) setenv.invokeExact(a.allocateFrom(name), a.allocateFrom(value), 0);
        } catch (Throwable t) {
            // best effort: the anchor runs with OpenBLAS's default thread timeout
        }
    }

    /** The {@code OPENBLAS_THREAD_TIMEOUT} of the native environment (see the class comment), or "unset". */
    public static String threadTimeout() {
        Linker linker = Linker.nativeLinker();
        var fn = linker.defaultLookup().find("getenv");
        if (fn.isEmpty()) return "unset";
        MethodHandle getenv = linker.downcallHandle(fn.get(), FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = (MemorySegment) getenv.invokeExact(a.allocateFrom("OPENBLAS_THREAD_TIMEOUT"));
            return p.equals(MemorySegment.NULL) ? "unset" : p.reinterpret(64).getString(0);
        } catch (Throwable t) {
            return "unset";
        }
    }

    /** The library file in use. */
    public String path() { return path; }

    /**
     * The kernel family OpenBLAS picked for this CPU (e.g. "Haswell", "SkylakeX"; "Prescott" means it did not
     * know the CPU and fell back to SSE3 kernels: set OPENBLAS_CORETYPE), or "unknown".
     */
    public String coreName() {
        if (coreName == null) return "unknown";
        try {
            MemorySegment p = (MemorySegment) coreName.invokeExact();
            return p.equals(MemorySegment.NULL) ? "unknown" : p.reinterpret(64).getString(0);
        } catch (Throwable t) {
            return "unknown";
        }
    }

    /** Sets OpenBLAS's own thread count (it does not use vdq's pool). */
    public void threads(int n) {
        if (setThreads == null) return;
        try {
            setThreads.invokeExact(n);
        } catch (Throwable t) {
            throw new IllegalStateException("openblas_set_num_threads failed", t);
        }
    }

    /** {@code y[m, n] = x[m, k] · w[n, k]ᵀ} on native copies the caller made ({@link #copy}). */
    public void gemm(MemorySegment x, MemorySegment w, MemorySegment y, int m, int n, int k) {
        try {
            sgemm.invokeExact(ROW_MAJOR, NO_TRANS, TRANS, m, n, k, 1f, x, k, w, k, 0f, y, n);
        } catch (Throwable t) {
            throw new IllegalStateException("cblas_sgemm failed", t);
        }
    }

    /** A native copy of {@code a} (the anchor's operands live off-heap, as OpenBLAS reads them). */
    public MemorySegment copy(float[] a) {
        MemorySegment s = arena.allocate((long) a.length * Float.BYTES, 64);
        MemorySegment.copy(a, 0, s, ValueLayout.JAVA_FLOAT, 0, a.length);
        return s;
    }

    @Override public void close() { arena.close(); }
}
