package io.vdq.kernel.nat;

import io.vdq.VdqException.ConfigException;
import io.vdq.kernel.FlashKernel;
import io.vdq.kernel.Int16FlashKernel;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * The native flash-attention kernels (issue #29 item 4) and their choice:
 * <ul>
 * <li>{@code flash-avx2}, {@code attention_avx2.c}: AVX2 + FMA, 4 × 24 register tile (keys or head dimensions ×
 *     queries), blocks of 96 queries.</li>
 * <li>{@code flash-avx512}, {@code attention_avx512.c}: AVX-512F, 8 × 48 register tile, blocks of 96 queries; needs
 *     avx512f in /proc/cpuinfo and a library built with it.</li>
 * </ul>
 * Both share {@code attention_impl.h} and {@code vdq_attn_pack_kv}, and do not depend on the JVM's vector width.
 *
 * <p>Choice by {@code -Dvdq.native} (as {@link NativeFloatMacro}): {@code off} none; {@code auto} (default) and
 * {@code on} the AVX-512 kernel when the JVM's preferred vector is 512-bit and the CPU and library have it, else the
 * AVX2 one; {@code avx2} the AVX2 kernel; {@code avx512} the AVX-512 kernel (a warning, and the AVX2 one, when it
 * cannot run). "None" means the Vector API blockwise attention.
 */
public final class NativeAttention {
    private static final System.Logger LOG = System.getLogger("io.vdq.kernel.nat");

    private NativeAttention() {}

    /** The kernel {@code mode} selects for {@code vectorBits}-bit JVM vectors, or null; never throws (warns instead). */
    public static FlashKernel loadOrNull(String mode, int vectorBits) {
        try {
            return select(mode, vectorBits);
        } catch (ConfigException e) {
            LOG.log(System.Logger.Level.WARNING, e.getMessage() + "; attention runs on the Vector API");
            return null;
        }
    }

    /** The kernel named {@code avx2} or {@code avx512} when it can run here, else null (tests, benchmarks). */
    public static FlashKernel byName(String name) {
        NativeLibrary lib = NativeLibrary.get();
        if (lib == null) return null;
        return switch (name) {
            case "avx2" -> new Avx2();
            case "avx512" -> lib.attnAvx512Unavailable() == null ? new Avx512() : null;
            default -> throw new ConfigException("flash attention kernel '" + name + "': expected avx2 or avx512");
        };
    }

    static FlashKernel select(String mode, int vectorBits) {
        String m = mode.trim().toLowerCase(Locale.ROOT);
        switch (m) {
            case "off": return null;
            case "auto", "on", "avx2", "avx512": break;
            default: throw new ConfigException("vdq.native='" + mode + "': expected off, auto, on, avx2 or avx512");
        }
        NativeLibrary lib = NativeLibrary.get();
        if (lib == null) {
            if (!m.equals("auto")) throw new ConfigException("vdq.native=" + m + " but the native attention kernel cannot run: "
                    + NativeLibrary.unavailableReason());
            return null;
        }
        if (m.equals("avx2")) return new Avx2();
        String why = lib.attnAvx512Unavailable();
        if (m.equals("avx512") && why != null)
            LOG.log(System.Logger.Level.WARNING, "vdq.native=avx512 but the AVX-512 attention kernel cannot run: " + why
                    + "; using the AVX2 one");
        return why == null && (m.equals("avx512") || vectorBits >= 512) ? new Avx512() : new Avx2();
    }

    /** The int16-code kernel unless the mode is off or the library does not load (it needs AVX2 only). */
    public static Int16FlashKernel int16OrNull(String mode) {
        return "off".equalsIgnoreCase(mode.trim()) || NativeLibrary.get() == null ? null : new Q16();
    }

    private static final class PackBound {
        static final MethodHandle PACK = NativeLibrary.get().attnPackKV;
    }

    static void pack(int mr, float[] k, int kOff, int kStride, float[] v, int vOff, int vStride, int nk, int d,
                     float[] kp, float[] vp, int p0, int p1) {
        try {
            PackBound.PACK.invokeExact(MemorySegment.ofArray(k).asSlice(4L * kOff), kStride, MemorySegment.ofArray(v).asSlice(4L * vOff),
                    vStride, nk, d, mr, MemorySegment.ofArray(kp), MemorySegment.ofArray(vp), p0, p1);
        } catch (Throwable e) {
            throw NativeIntBackend.rethrow(e);
        }
    }

    static void check(int rc) {
        if (rc != 0) throw new OutOfMemoryError("native attention kernel: scratch allocation failed");
    }

    /** One call of a float flash kernel ({@code vdq_attn_block_avx2} / {@code _avx512}: the same C signature). */
    private static void flashBlock(MethodHandle kernel, float[] q, int qOff, int qStride, int nq, float[] kp, float[] vp, int nk, int d,
                                   float scale, float[] out, int outOff, int outStride) {
        int rc;
        try {
            rc = (int) kernel.invokeExact(MemorySegment.ofArray(q).asSlice(4L * qOff), qStride, nq, MemorySegment.ofArray(kp),
                    MemorySegment.ofArray(vp), nk, d, scale, MemorySegment.ofArray(out).asSlice(4L * outOff), outStride);
        } catch (Throwable e) {
            throw NativeIntBackend.rethrow(e);
        }
        check(rc);
    }

    /** {@code vdq_attn_block_avx2}. */
    static final class Avx2 implements FlashKernel {
        private static final class Bound {
            static final MethodHandle BLOCK = NativeLibrary.get().attnBlockAvx2;
        }

        @Override public String name() { return "flash-avx2"; }
        @Override public int keyPanel() { return 4; }
        @Override public int queryBlock() { return 96; }

        @Override
        public void packKV(float[] k, int kOff, int kStride, float[] v, int vOff, int vStride, int nk, int d, float[] kp, float[] vp, int p0, int p1) {
            pack(4, k, kOff, kStride, v, vOff, vStride, nk, d, kp, vp, p0, p1);
        }

        @Override
        public void block(float[] q, int qOff, int qStride, int nq, float[] kp, float[] vp, int nk, int d, float scale, float[] out, int outOff, int outStride) {
            flashBlock(Bound.BLOCK, q, qOff, qStride, nq, kp, vp, nk, d, scale, out, outOff, outStride);
        }
    }

    /** {@code vdq_attn_block_avx512}. */
    static final class Avx512 implements FlashKernel {
        private static final class Bound {
            static final MethodHandle BLOCK = NativeLibrary.get().attnBlockAvx512;
        }

        @Override public String name() { return "flash-avx512"; }
        @Override public int keyPanel() { return 8; }
        @Override public int queryBlock() { return 96; }

        @Override
        public void packKV(float[] k, int kOff, int kStride, float[] v, int vOff, int vStride, int nk, int d, float[] kp, float[] vp, int p0, int p1) {
            pack(8, k, kOff, kStride, v, vOff, vStride, nk, d, kp, vp, p0, p1);
        }

        @Override
        public void block(float[] q, int qOff, int qStride, int nq, float[] kp, float[] vp, int nk, int d, float scale, float[] out, int outOff, int outStride) {
            flashBlock(Bound.BLOCK, q, qOff, qStride, nq, kp, vp, nk, d, scale, out, outOff, outStride);
        }
    }

    /** {@code vdq_attn_block_q16_avx2} and its packing. */
    static final class Q16 implements Int16FlashKernel {
        private static final class Bound {
            static final MethodHandle KMEAN = NativeLibrary.get().attnKMean, PACK_K = NativeLibrary.get().attnPackK16,
                    PACK_V = NativeLibrary.get().attnPackV16, BLOCK = NativeLibrary.get().attnBlockQ16;
        }

        private static MemorySegment seg(float[] a) { return a == null ? MemorySegment.NULL : MemorySegment.ofArray(a); }

        private static MemorySegment seg(short[] a) { return a == null ? MemorySegment.NULL : MemorySegment.ofArray(a); }

        @Override public String name() { return "flash-int16-avx2"; }
        @Override public int keyPanel() { return 4; }
        @Override public int queryBlock() { return 96; }
        @Override public int keyBlock() { return 128; }

        @Override
        public void kMean(float[] k, int kOff, int kStride, int nk, int d, float[] mean) {
            try {
                Bound.KMEAN.invokeExact(MemorySegment.ofArray(k).asSlice(4L * kOff), kStride, nk, d, MemorySegment.ofArray(mean));
            } catch (Throwable e) {
                throw NativeIntBackend.rethrow(e);
            }
        }

        @Override
        public void packK(float[] k, int kOff, int kStride, int nk, int d, int qmax, float scale, float[] mean, short[] kq, float[] ksc, int p0, int p1) {
            try {
                Bound.PACK_K.invokeExact(MemorySegment.ofArray(k).asSlice(4L * kOff), kStride, nk, d, 4, qmax, scale,
                        MemorySegment.ofArray(mean), MemorySegment.ofArray(kq), MemorySegment.ofArray(ksc), p0, p1);
            } catch (Throwable e) {
                throw NativeIntBackend.rethrow(e);
            }
        }

        @Override
        public void packV(float[] v, int vOff, int vStride, int nk, int d, int vqmax, short[] vq, float[] vsc) {
            try {
                Bound.PACK_V.invokeExact(MemorySegment.ofArray(v).asSlice(4L * vOff), vStride, nk, d, 4, vqmax,
                        MemorySegment.ofArray(vq), MemorySegment.ofArray(vsc));
            } catch (Throwable e) {
                throw NativeIntBackend.rethrow(e);
            }
        }

        @Override
        public void packVFloat(float[] v, int vOff, int vStride, int nk, int d, float[] vp, int p0, int p1) {
            // vdq_attn_pack_kv writes K too: K into a throwaway panel buffer is wasteful, so V alone is copied here
            int dp = (d + 3) / 4 * 4;
            for (int j = p0 * 4; j < p1 * 4; j++)
                for (int c = 0; c < dp; c++) vp[j * dp + c] = j < nk && c < d ? v[vOff + j * vStride + c] : 0f;
        }

        @Override
        public void block(float[] q, int qOff, int qStride, int nq, short[] kq, float[] ksc, int qmax, float[] vp, short[] vq,
                          float[] vsc, int pqmax, int nk, int d, float[] out, int outOff, int outStride) {
            int rc;
            try {
                rc = (int) Bound.BLOCK.invokeExact(MemorySegment.ofArray(q).asSlice(4L * qOff), qStride, nq, MemorySegment.ofArray(kq),
                        MemorySegment.ofArray(ksc), qmax, seg(vp), seg(vq), seg(vsc), pqmax, nk, d,
                        MemorySegment.ofArray(out).asSlice(4L * outOff), outStride);
            } catch (Throwable e) {
                throw NativeIntBackend.rethrow(e);
            }
            check(rc);
        }
    }
}
