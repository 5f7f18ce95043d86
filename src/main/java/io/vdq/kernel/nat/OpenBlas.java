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
