package io.vdq.kernel.nat;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Finds, checks and binds {@code libvdqnative.so}: the path in {@code -Dvdq.native.lib}, else the copy the
 * build put on the class path at {@code native/libvdqnative.so} (used in place from a classes directory;
 * from a jar extracted once to a per-user cache named by its content hash, see {@link #cached}, or to a temporary
 * file deleted on exit when the cache is not writable). The CPU must report avx2 and fma in /proc/cpuinfo (checked
 * before the library is opened: it is compiled with -mavx2). The AVX-512 VNNI GEMMs ({@code gemm_avx512.c}) are
 * optional: bound when the library has them (the build leaves them out when gcc lacks the flags) and usable only
 * when the CPU also reports {@link #AVX512_FLAGS} ({@link #avx512Unavailable()}). {@code -Dvdq.cpuinfo=FILE} reads
 * the flags from another file (a testing aid: a copy of /proc/cpuinfo without the avx512 flags makes an AVX-512
 * host behave as an AVX2-only one; it can only take features away safely). The AVX-512 FP32 macro-kernel
 * ({@code sgemm_avx512.c}) is optional in the same way: bound when the library has it, usable when the CPU reports
 * {@link #AVX512F_FLAGS} ({@link #sgemmAvx512Unavailable()}). Downcalls are {@code critical},
 * so Java heap arrays are passed without copying; keep each call short (the GEMM driver calls per row block).
 */
public final class NativeLibrary {
    static final String RESOURCE = "/native/libvdqnative.so";
    static final int ABI_VERSION = 6;
    /** The /proc/cpuinfo flags the AVX-512 kernels need (gemm_avx512.c is compiled with exactly these). */
    public static final List<String> AVX512_FLAGS = List.of("avx512f", "avx512bw", "avx512vl", "avx512_vnni");
    /** The /proc/cpuinfo flags the AVX-512 FP32 macro-kernel needs (sgemm_avx512.c is compiled with -mavx512f only). */
    public static final List<String> AVX512F_FLAGS = List.of("avx512f");

    final Path path;
    final MethodHandle quantizeRows, packW8, packW4, gemmW8A8, gemmW4, gemmRef, rotBlockMax, rotQuantizeRows, sgemmMacro, sgemmPackA;
    /** The AVX-512 VNNI GEMMs (same signature as the AVX2 ones), or null when the library was built without them. */
    final MethodHandle gemmW8A8Avx512, gemmW4Avx512;
    /** The AVX-512 FP32 macro-kernel for 32-column panels (same signature as sgemmMacro), or null when left out. */
    final MethodHandle sgemmMacroAvx512;
    /** The flash-attention kernels (attention_avx2.c, attention_avx512.c) and their K/V packing; the AVX-512 one is null when left out. */
    final MethodHandle attnPackKV, attnBlockAvx2, attnBlockAvx512;
    /** The int16-code attention (attention_avx2.c): K mean, K and V code packing, the block. */
    final MethodHandle attnKMean, attnPackK16, attnPackV16, attnBlockQ16;
    private final Set<String> cpuFlags;
    private final Path cpuinfo;

    private static volatile Object loaded; // NativeLibrary or the String reason it is unavailable

    private NativeLibrary(Path path, Set<String> cpuFlags, Path cpuinfo) {
        this.path = path;
        this.cpuFlags = Set.copyOf(cpuFlags);
        this.cpuinfo = cpuinfo;
        Linker linker = Linker.nativeLinker();
        SymbolLookup lib = SymbolLookup.libraryLookup(path, Arena.global());
        Linker.Option critical = Linker.Option.critical(true);
        MethodHandle version = linker.downcallHandle(find(lib, "vdq_abi_version"), FunctionDescriptor.of(JAVA_INT));
        int v;
        try { v = (int) version.invokeExact(); } catch (Throwable e) { throw new IllegalStateException(e); }
        if (v != ABI_VERSION)
            throw new IllegalStateException(path + " has ABI version " + v + ", expected " + ABI_VERSION + " (stale build?)");
        quantizeRows = linker.downcallHandle(find(lib, "vdq_quantize_rows"), FunctionDescriptor.ofVoid(
                ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS,
                JAVA_INT, JAVA_INT), critical);
        FunctionDescriptor pack = FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS);
        packW8 = linker.downcallHandle(find(lib, "vdq_pack_w8"), pack, critical);
        packW4 = linker.downcallHandle(find(lib, "vdq_pack_w4"), pack, critical);
        FunctionDescriptor gemm = FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
        gemmW8A8 = linker.downcallHandle(find(lib, "vdq_gemm_w8a8_avx2"), gemm, critical);
        gemmW4 = linker.downcallHandle(find(lib, "vdq_gemm_w4_avx2"), gemm, critical);
        gemmW8A8Avx512 = lib.find("vdq_gemm_w8a8_avx512").map(a -> linker.downcallHandle(a, gemm, critical)).orElse(null);
        gemmW4Avx512 = lib.find("vdq_gemm_w4_avx512").map(a -> linker.downcallHandle(a, gemm, critical)).orElse(null);
        gemmRef = linker.downcallHandle(find(lib, "vdq_gemm_ref"), FunctionDescriptor.ofVoid(
                ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), critical);
        rotBlockMax = linker.downcallHandle(find(lib, "vdq_rot_block_max"), FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_FLOAT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), critical);
        FunctionDescriptor macro = FunctionDescriptor.ofVoid(
                ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
        sgemmMacro = linker.downcallHandle(find(lib, "vdq_sgemm_macro"), macro, critical);
        sgemmMacroAvx512 = lib.find("vdq_sgemm_macro_avx512").map(a -> linker.downcallHandle(a, macro, critical)).orElse(null);
        sgemmPackA = linker.downcallHandle(find(lib, "vdq_sgemm_pack_a"),
                FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), critical);
        attnPackKV = linker.downcallHandle(find(lib, "vdq_attn_pack_kv"), FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT,
                ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT), critical);
        FunctionDescriptor attn = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT,
                JAVA_INT, JAVA_FLOAT, ADDRESS, JAVA_INT);
        attnBlockAvx2 = linker.downcallHandle(find(lib, "vdq_attn_block_avx2"), attn, critical);
        attnBlockAvx512 = lib.find("vdq_attn_block_avx512").map(a -> linker.downcallHandle(a, attn, critical)).orElse(null);
        attnKMean = linker.downcallHandle(find(lib, "vdq_attn_kmean"), FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT,
                JAVA_INT, ADDRESS), critical);
        attnPackK16 = linker.downcallHandle(find(lib, "vdq_attn_pack_k16"), FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_FLOAT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT), critical);
        attnPackV16 = linker.downcallHandle(find(lib, "vdq_attn_pack_v16"), FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), critical);
        attnBlockQ16 = linker.downcallHandle(find(lib, "vdq_attn_block_q16_avx2"), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT,
                JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), critical);
        rotQuantizeRows = linker.downcallHandle(find(lib, "vdq_rot_quantize_rows"), FunctionDescriptor.of(JAVA_INT,
                ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_FLOAT, ADDRESS, JAVA_INT, JAVA_FLOAT,
                JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT), critical);
    }

    private static MemorySegment find(SymbolLookup lib, String name) {
        return lib.find(name).orElseThrow(() -> new IllegalStateException("symbol " + name + " missing from the library"));
    }

    /** The bound library, or null when unavailable (then {@link #unavailableReason()} says why). */
    public static NativeLibrary get() {
        Object l = loaded;
        if (l == null) {
            synchronized (NativeLibrary.class) {
                if (loaded == null) loaded = tryLoad();
                l = loaded;
            }
        }
        return l instanceof NativeLibrary nl ? nl : null;
    }

    public static boolean available() { return get() != null; }

    /** Why the library is unavailable, or null when it is available. */
    public static String unavailableReason() { return get() == null ? (String) loaded : null; }

    public Path path() { return path; }

    /**
     * Null when the AVX-512 VNNI kernels can run here; else why not: the first of {@link #AVX512_FLAGS} missing
     * from /proc/cpuinfo, or a library built without them.
     */
    public String avx512Unavailable() {
        String missing = missingFlag(cpuFlags, AVX512_FLAGS);
        if (missing != null) return "CPU lacks " + missing + " (per " + cpuinfo + ")";
        if (gemmW8A8Avx512 == null || gemmW4Avx512 == null)
            return path + " was built without the AVX-512 kernels (the C compiler lacked -mavx512vnni?)";
        return null;
    }

    /** Null when the AVX-512 flash-attention kernel can run here; else why not (as {@link #sgemmAvx512Unavailable}). */
    public String attnAvx512Unavailable() {
        String missing = missingFlag(cpuFlags, AVX512F_FLAGS);
        if (missing != null) return "CPU lacks " + missing + " (per " + cpuinfo + ")";
        if (attnBlockAvx512 == null)
            return path + " was built without the AVX-512 attention kernel (the C compiler lacked -mavx512f?)";
        return null;
    }

    /**
     * Null when the AVX-512 FP32 macro-kernel can run here; else why not: avx512f missing from /proc/cpuinfo, or a
     * library built without it.
     */
    public String sgemmAvx512Unavailable() {
        String missing = missingFlag(cpuFlags, AVX512F_FLAGS);
        if (missing != null) return "CPU lacks " + missing + " (per " + cpuinfo + ")";
        if (sgemmMacroAvx512 == null)
            return path + " was built without the AVX-512 FP32 macro-kernel (the C compiler lacked -mavx512f?)";
        return null;
    }

    /** The first of {@code needed} not in {@code flags}, or null when all are there. */
    static String missingFlag(Set<String> flags, List<String> needed) {
        for (String f : needed) if (!flags.contains(f)) return f;
        return null;
    }

    private static Object tryLoad() {
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!arch.equals("amd64") && !arch.equals("x86_64")) return "CPU architecture " + arch + " is not x86-64";
        Path cpuinfo = Path.of(System.getProperty("vdq.cpuinfo", "/proc/cpuinfo"));
        Set<String> flags = cpuFlags(cpuinfo);
        if (flags.isEmpty()) return "could not read CPU flags from " + cpuinfo;
        String missing = missingFlag(flags, List.of("avx2", "fma"));
        if (missing != null) return "CPU lacks " + missing + " (per " + cpuinfo + ")";
        Path p;
        try {
            p = locate();
        } catch (IOException e) {
            return "could not extract " + RESOURCE + ": " + e.getMessage();
        }
        if (p == null) return "libvdqnative.so not found (set -Dvdq.native.lib=PATH; the build skips it when gcc is missing)";
        if (!Files.isRegularFile(p)) return "library " + p + " does not exist";
        try {
            return new NativeLibrary(p, flags, cpuinfo);
        } catch (RuntimeException e) {
            return "could not bind " + p + ": " + e.getMessage();
        }
    }

    /** The x86 feature flags of the first CPU in a cpuinfo file, empty when unreadable. */
    static Set<String> cpuFlags(Path cpuinfo) {
        try {
            for (String line : Files.readAllLines(cpuinfo)) {
                if (line.startsWith("flags")) {
                    int c = line.indexOf(':');
                    return new HashSet<>(Arrays.asList(line.substring(c + 1).trim().split("\\s+")));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or no permission: treated as "no flags"
        }
        return Set.of();
    }

    private static Path locate() throws IOException {
        String prop = System.getProperty("vdq.native.lib");
        if (prop != null && !prop.isBlank()) return Path.of(prop);
        URL url = NativeLibrary.class.getResource(RESOURCE);
        if (url == null) return null;
        if ("file".equals(url.getProtocol())) {
            try { return Path.of(url.toURI()); } catch (URISyntaxException e) { throw new IOException(e); }
        }
        byte[] content;
        try (InputStream in = url.openStream()) { content = in.readAllBytes(); }
        Path dir = cacheDir();
        if (dir != null) {
            try {
                return cached(content, dir);
            } catch (IOException | RuntimeException e) {
                // cache not writable (read-only home, another user's folder): fall back to a temporary copy
            }
        }
        Path tmp = Files.createTempFile("libvdqnative", ".so");
        tmp.toFile().deleteOnExit();
        Files.write(tmp, content);
        return tmp;
    }

    /**
     * The per-user cache folder for the extracted library: {@code -Dvdq.native.cache}, else
     * {@code $XDG_CACHE_HOME/vdq}, else {@code ~/.cache/vdq}; null when no home is known.
     */
    static Path cacheDir() {
        String prop = System.getProperty("vdq.native.cache");
        if (prop != null && !prop.isBlank()) return Path.of(prop);
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) return Path.of(xdg, "vdq");
        String home = System.getProperty("user.home");
        return home == null || home.isBlank() ? null : Path.of(home, ".cache", "vdq");
    }

    /**
     * The library in the cache folder as {@code libvdqnative-<first 16 hex digits of its SHA-256>.so}: reused when
     * a regular file (not a link) there has exactly this content, else written to a random temporary sibling and
     * renamed over it, so a killed run leaves at most one file per library build and concurrent runs never see a
     * half-written library.
     */
    static Path cached(byte[] content, Path dir) throws IOException {
        String hash = sha256(content);
        Path target = dir.resolve("libvdqnative-" + hash.substring(0, 16) + ".so");
        if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)
                && Files.size(target) == content.length && hash.equals(sha256(Files.readAllBytes(target))))
            return target;
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "libvdqnative-", ".tmp");
        try {
            Files.write(tmp, content, StandardOpenOption.TRUNCATE_EXISTING,
                    LinkOption.NOFOLLOW_LINKS);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        return target;
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
