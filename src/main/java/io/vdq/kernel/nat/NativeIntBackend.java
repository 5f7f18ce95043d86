package io.vdq.kernel.nat;

import static java.lang.foreign.MemorySegment.ofArray;
import io.vdq.VdqException.ConfigException;
import io.vdq.VdqException.ShapeException;
import io.vdq.kernel.ActQuant;
import io.vdq.kernel.IntBackend;
import io.vdq.kernel.IntWeights;
import io.vdq.kernel.PackedInt;
import io.vdq.kernel.RotQuant;
import io.vdq.tensor.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The native integer kernels behind {@link IntBackend}, for one instruction set ({@link Isa}): the AVX2 GEMMs
 * ({@code gemm_avx2.c}) or the AVX-512 VNNI ones ({@code gemm_avx512.c}). Both read the same packed weights
 * (packed bytes, scales, zero points and bias are identical; only the {@link PackedInt#backend()} tag differs) and
 * share the quantizers. Weights are prepacked off-heap (64-byte aligned, freed with the {@link PackedInt});
 * activations and outputs stay in Java arrays and are passed to critical downcalls without copying. Work is split
 * over rows (or over column panels when there are too few rows), and every output is computed the same way
 * whatever the split, so results do not depend on the thread count and equal {@link io.vdq.kernel.IntGemm} bit
 * for bit, on either instruction set.
 */
public final class NativeIntBackend implements IntBackend {
    /** The GEMM kernels' instruction set: backend name, log label, register tile rows and columns. */
    public enum Isa {
        AVX2("native-avx2", "native AVX2", 4, 16),
        AVX512_VNNI("native-avx512vnni", "native AVX-512 VNNI", 8, 32);

        final String backendName, label;
        final int rowTile, colTile;

        Isa(String backendName, String label, int rowTile, int colTile) {
            this.backendName = backendName;
            this.label = label;
            this.rowTile = rowTile;
            this.colTile = colTile;
        }

        /** "native AVX2" or "native AVX-512 VNNI". */
        public String label() { return label; }

        /** Null when this library and CPU can run these kernels, else why not. */
        public String unavailable(NativeLibrary lib) { return this == AVX2 ? null : lib.avx512Unavailable(); }
    }

    /** Rows per downcall: bounds how long one critical call runs (and blocks GC). */
    private static final int ROWS_PER_CALL = 64;

    private final NativeLibrary lib;
    private final Isa isa;
    private final MethodHandle gemmW8A8, gemmW4;

    /** Weights in the kernels' layout: scales / zero points (+8 for the unsigned nibbles) [panel][group][16]. */
    record Packed(MemorySegment w, float[] scales, int[] zeros, float[] bias, int kp, int groups, int gunits) {
        Packed withScales(float[] s) { return new Packed(w, s, zeros, bias, kp, groups, gunits); }
    }

    private static float[] scaled(float[] packedScales, float[] groupScale) {
        int groups = groupScale.length;
        float[] s = new float[packedScales.length];
        for (int i = 0; i < s.length; i++) s[i] = packedScales[i] * groupScale[(i / 16) % groups];
        return s;
    }

    /** The AVX2 kernels (every CPU that loads the library runs them). */
    public NativeIntBackend(NativeLibrary lib) { this(lib, Isa.AVX2); }

    /** The kernels of {@code isa}; throws {@link ConfigException} naming the reason when they cannot run here. */
    public NativeIntBackend(NativeLibrary lib, Isa isa) {
        String why = isa.unavailable(lib);
        if (why != null) throw new ConfigException(isa.label + " integer kernels unavailable: " + why);
        this.lib = lib;
        this.isa = isa;
        this.gemmW8A8 = isa == Isa.AVX2 ? lib.gemmW8A8 : lib.gemmW8A8Avx512;
        this.gemmW4 = isa == Isa.AVX2 ? lib.gemmW4 : lib.gemmW4Avx512;
    }

    /** A backend for every instruction set the loaded library and this CPU support (AVX2 first); empty without the library. */
    public static List<NativeIntBackend> everyUsable() {
        NativeLibrary lib = NativeLibrary.get();
        List<NativeIntBackend> out = new ArrayList<>();
        if (lib != null)
            for (Isa isa : Isa.values()) if (isa.unavailable(lib) == null) out.add(new NativeIntBackend(lib, isa));
        return out;
    }

    @Override public String name() { return isa.backendName; }

    public Isa isa() { return isa; }

    public NativeLibrary library() { return lib; }

    @Override
    public PackedInt pack(IntWeights w) {
        int n = w.n(), k = w.k(), kp = ActQuant.paddedK(k), np = (n + 15) / 16, groups = w.groups();
        MemorySegment packed = Arena.ofAuto().allocate((long) np * (w.bits() == 8 ? 16 : 8) * kp, 64);
        try {
            if (w.bits() == 8) lib.packW8.invokeExact(ofArray(w.q()), n, k, kp, packed);
            else lib.packW4.invokeExact(ofArray(w.q()), n, k, kp, packed);
        } catch (Throwable e) {
            throw rethrow(e);
        }
        float[] scales = new float[np * groups * 16];
        int[] zeros = new int[np * groups * 16];
        float[] bias = w.bias() == null ? null : new float[np * 16];
        int nibbleOffset = w.bits() == 4 ? 8 : 0;
        Arrays.fill(zeros, nibbleOffset);
        for (int o = 0; o < n; o++) {
            int p = o / 16, c = o % 16;
            for (int g = 0; g < groups; g++) {
                scales[(p * groups + g) * 16 + c] = w.scale()[o * groups + g];
                zeros[(p * groups + g) * 16 + c] = (w.zero() == null ? 0 : w.zero()[o * groups + g]) + nibbleOffset;
            }
            if (bias != null) bias[o] = w.bias()[o];
        }
        int gunits = (w.groupSize() == 0 ? kp : w.groupSize()) / 4;
        return new PackedInt(name(), w, new Packed(packed, scales, zeros, bias, kp, groups, gunits));
    }

    /** The off-heap packed codes plus the packed scale, zero-point and bias arrays. */
    @Override
    public long packedBytes(PackedInt pw) {
        Packed p = (Packed) pw.data();
        return p.w().byteSize() + 4L * (p.scales().length + p.zeros().length + (p.bias() == null ? 0 : p.bias().length));
    }

    @Override
    public void quantize(float[] x, int xOff, ActQuant a) {
        if (xOff < 0 || (long) xOff + (long) a.m * a.k > x.length)
            throw new io.vdq.VdqException.ShapeException("quantize: input needs " + a.m + "x" + a.k + " floats at offset "
                    + xOff + ", array has " + x.length);
        MemorySegment xs = ofArray(x).asSlice(4L * xOff);
        Parallel.range(a.m, (from, to) -> {
            for (int r = from; r < to; r += ROWS_PER_CALL) {
                try {
                    lib.quantizeRows.invokeExact(xs, a.k, a.k, a.kp, a.qmax(), a.groupSize, a.groups,
                            ofArray(a.q), ofArray(a.scale), ofArray(a.xsum), r, Math.min(to, r + ROWS_PER_CALL));
                } catch (Throwable e) {
                    throw rethrow(e);
                }
            }
        });
    }

    @Override
    public void gemm(ActQuant a, PackedInt pw, float[] groupScale, float[] y, int yOff) {
        if (!name().equals(pw.backend()))
            throw new IllegalArgumentException("weights packed by '" + pw.backend() + "' given to integer backend " + name());
        a.requireFits(pw.weights(), y, yOff);
        Packed p0 = (Packed) pw.data();
        if (groupScale != null && groupScale.length != p0.groups())
            throw new io.vdq.VdqException.ShapeException("integer GEMM: " + groupScale.length + " group scales for "
                    + p0.groups() + " groups");
        // per-call block scales (ARQ's Λ): the packed [panel][group][16] scales times groupScale[g], one float product
        // each, the same product the Java reference forms; the kernel's epilogue then applies them per group sum
        Packed p = groupScale == null ? p0 : p0.withScales(scaled(p0.scales(), groupScale));
        int m = a.m, n = pw.n();
        boolean w8 = pw.bits() == 8;
        MemorySegment ys = ofArray(y).asSlice(4L * yOff);
        // splits in whole register tiles (any split gives the same bits; this one avoids needless edge tiles)
        if (m >= 2 * isa.rowTile * Parallel.threads() || n <= isa.colTile) {
            Parallel.range(m, isa.rowTile, (from, to) -> {
                for (int r = from; r < to; r += ROWS_PER_CALL) call(w8, a, p, ys, n, r, Math.min(to, r + ROWS_PER_CALL), 0, n);
            });
        } else {
            Parallel.range(n, isa.colTile, (from, to) -> call(w8, a, p, ys, n, 0, m, from, to));
        }
    }

    private void call(boolean w8, ActQuant a, Packed p, MemorySegment y, int n, int m0, int m1, int n0, int n1) {
        MemorySegment bias = p.bias() == null ? MemorySegment.NULL : ofArray(p.bias());
        // the AVX2 4-bit kernel sums nibble pairs (|pair| <= 2*15*qmax) in int16 for this many k4 steps (AVX-512: unused)
        int chunk = Math.min(1 << 16, 32767 / (30 * a.qmax()));
        try {
            if (w8) gemmW8A8.invokeExact(ofArray(a.q), ofArray(a.scale), ofArray(a.xsum), p.w(), ofArray(p.scales()),
                    ofArray(p.zeros()), bias, y, n, p.kp(), p.groups(), p.gunits(), chunk, m0, m1, n0, n1);
            else gemmW4.invokeExact(ofArray(a.q), ofArray(a.scale), ofArray(a.xsum), p.w(), ofArray(p.scales()),
                    ofArray(p.zeros()), bias, y, n, p.kp(), p.groups(), p.gunits(), chunk, m0, m1, n0, n1);
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    @Override
    public float[] rotBlockMax(float[] x, int xOff, int rows, RotQuant r) {
        if (xOff < 0 || (long) xOff + (long) rows * r.k() > x.length)
            throw new ShapeException("rotated block max: input needs " + rows + "x" + r.k() + " floats at offset " + xOff
                    + ", array has " + x.length);
        float[] s = new float[r.blocks()];
        Object lock = new Object();
        MemorySegment xs = ofArray(x).asSlice(4L * xOff);
        MemorySegment signs = r.signs() == null ? MemorySegment.NULL : ofArray(r.signs());
        Parallel.range(rows, (from, to) -> {
            float[] m = new float[s.length];
            for (int t = from; t < to; t += ROWS_PER_CALL) {
                int rc;
                try {
                    rc = (int) lib.rotBlockMax.invokeExact(xs, r.k(), r.k(), signs, r.hblock(), r.norm(), r.sblock(),
                            ofArray(m), t, Math.min(to, t + ROWS_PER_CALL));
                } catch (Throwable e) {
                    throw rethrow(e);
                }
                if (rc != 0) throw new IllegalStateException("vdq_rot_block_max: out of memory for a row of " + r.k());
            }
            synchronized (lock) { for (int g = 0; g < s.length; g++) s[g] = Math.max(s[g], m[g]); }
        });
        return s;
    }

    @Override
    public void rotQuantize(float[] x, int xOff, RotQuant r, float[] inv, float eps, ActQuant a) {
        if (a.k != r.k() || inv.length != r.blocks())
            throw new ShapeException("rotated quantize: activations have K = " + a.k + " and " + inv.length
                    + " block scales, transform has K = " + r.k() + " and " + r.blocks() + " blocks");
        if (xOff < 0 || (long) xOff + (long) a.m * a.k > x.length)
            throw new ShapeException("rotated quantize: input needs " + a.m + "x" + a.k + " floats at offset " + xOff
                    + ", array has " + x.length);
        MemorySegment xs = ofArray(x).asSlice(4L * xOff);
        MemorySegment signs = r.signs() == null ? MemorySegment.NULL : ofArray(r.signs());
        Parallel.range(a.m, (from, to) -> {
            for (int t = from; t < to; t += ROWS_PER_CALL) {
                int rc;
                try {
                    rc = (int) lib.rotQuantizeRows.invokeExact(xs, a.k, a.k, a.kp, signs, r.hblock(), r.norm(), ofArray(inv),
                            r.sblock(), eps, a.qmax(), a.groupSize, a.groups, ofArray(a.q), ofArray(a.scale), ofArray(a.xsum),
                            t, Math.min(to, t + ROWS_PER_CALL));
                } catch (Throwable e) {
                    throw rethrow(e);
                }
                if (rc != 0) throw new IllegalStateException("vdq_rot_quantize_rows: out of memory for a row of " + r.k());
            }
        });
    }

    /** The library's plain C scalar reference (for tests): same contract as {@link io.vdq.kernel.IntGemm#gemmRows}. */
    public void gemmScalarC(ActQuant a, IntWeights w, float[] y, int yOff) {
        a.requireFits(w, y, yOff);
        MemorySegment zero = w.zero() == null ? MemorySegment.NULL : ofArray(w.zero());
        MemorySegment bias = w.bias() == null ? MemorySegment.NULL : ofArray(w.bias());
        try {
            lib.gemmRef.invokeExact(ofArray(a.q), a.kp, ofArray(a.scale), ofArray(a.xsum), ofArray(w.q()), w.k(),
                    ofArray(w.scale()), zero, bias, ofArray(y).asSlice(4L * yOff),
                    w.n(), a.m, w.n(), w.groups(), w.groupSize());
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    static RuntimeException rethrow(Throwable e) {
        if (e instanceof RuntimeException re) return re;
        if (e instanceof Error er) throw er;
        return new IllegalStateException("native call failed", e);
    }
}
