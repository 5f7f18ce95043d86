/*
 * AVX-512 FP32 macro-kernel for io.vdq.kernel.VectorGemm on JVMs whose preferred float vector is 512 bits (16
 * lanes, so VectorGemm.NR = 32): one packed A block times a run of packed B panels. The same contract as
 * sgemm_avx2.c with 32-column panels; compiled on its own with -mavx512f (pom.xml) and called only when
 * /proc/cpuinfo reports avx512f (io.vdq.kernel.nat.NativeFloatMacro); nothing here may run on an AVX2-only CPU.
 *
 * Layouts are VectorGemm's (the Java side packs both operands; this file only multiplies):
 *  - A block, mc rows x kc, in row panels of VDQ_MR = 4: ap[ir*kc + kk*4 + r] (rows past mc are zero).
 *  - B, one K block of kc rows: panel p (columns p*32 .. p*32+31, zero past n) at bp + p*kc*32, [kk][32].
 *  - C row-major with leading dimension ldc, starting at the block's first row and column 0.
 * Each output element is one FMA chain over kk in increasing order, starting from C (load != 0) or from 0,
 * exactly as VectorGemm.kernel does with the Vector API, so both give the same bits. Edge tiles (fewer than
 * 4 rows or 32 columns) go through a scratch tile, as in Java.
 *
 * Speed (Zen 4 host of BENCHMARKS.md, one 512-bit FMA per cycle = about 117 GFLOP/s per core; src/test/c/
 * probe_sgemm512.c, thread CPU time, 2026-11-24, host shared with a 2-thread job): one L1-resident tile row runs at
 * 114-116 GFLOP/s, the register tile is not the limit (no spills: check-spills.sh). VectorGemm's loop nest over this
 * kernel at 1024^3 runs at 110-111 with 64-byte aligned buffers but 100-104 with C at +16 or +32 bytes, which is
 * how Java float[] data usually sits (16 bytes past an 8-byte aligned header): C is streamed from L3 once per K
 * block, and its rows then straddle cache lines. Prefetching the next tile's C rows (prefetch_rows) brings the
 * misaligned cases back to 108-111 (4096x1536x1536 at +16: 99 -> 111). An 8 x 32 tile over two A row panels (16
 * accumulators, half the B loads) was tried and was not faster (100-104).
 */
#include <immintrin.h>
#include <string.h>
#include "vdqnative.h"

#define INLINE static inline __attribute__((always_inline))
#define NRW 32 /* panel width: two zmm vectors */

/* C[4 x 32] (+)= A[4 x kc] . B[kc x 32]: 8 zmm accumulators, 2 B vectors, broadcasts folded into the FMAs. */
INLINE void tile4x32(int kc, const float* a, const float* b, float* c, int ldc, int load) {
    __m512 c00, c01, c10, c11, c20, c21, c30, c31;
    if (load) {
        c00 = _mm512_loadu_ps(c);               c01 = _mm512_loadu_ps(c + 16);
        c10 = _mm512_loadu_ps(c + ldc);         c11 = _mm512_loadu_ps(c + ldc + 16);
        c20 = _mm512_loadu_ps(c + 2 * ldc);     c21 = _mm512_loadu_ps(c + 2 * ldc + 16);
        c30 = _mm512_loadu_ps(c + 3 * ldc);     c31 = _mm512_loadu_ps(c + 3 * ldc + 16);
    } else {
        c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = _mm512_setzero_ps();
    }
    for (int p = 0; p < kc; p++) {
        const __m512 b0 = _mm512_loadu_ps(b + p * NRW), b1 = _mm512_loadu_ps(b + p * NRW + 16);
        __m512 av = _mm512_set1_ps(a[p * 4]);
        c00 = _mm512_fmadd_ps(av, b0, c00); c01 = _mm512_fmadd_ps(av, b1, c01);
        av = _mm512_set1_ps(a[p * 4 + 1]);
        c10 = _mm512_fmadd_ps(av, b0, c10); c11 = _mm512_fmadd_ps(av, b1, c11);
        av = _mm512_set1_ps(a[p * 4 + 2]);
        c20 = _mm512_fmadd_ps(av, b0, c20); c21 = _mm512_fmadd_ps(av, b1, c21);
        av = _mm512_set1_ps(a[p * 4 + 3]);
        c30 = _mm512_fmadd_ps(av, b0, c30); c31 = _mm512_fmadd_ps(av, b1, c31);
    }
    _mm512_storeu_ps(c, c00);               _mm512_storeu_ps(c + 16, c01);
    _mm512_storeu_ps(c + ldc, c10);         _mm512_storeu_ps(c + ldc + 16, c11);
    _mm512_storeu_ps(c + 2 * ldc, c20);     _mm512_storeu_ps(c + 2 * ldc + 16, c21);
    _mm512_storeu_ps(c + 3 * ldc, c30);     _mm512_storeu_ps(c + 3 * ldc + 16, c31);
}

/*
 * C[R x 32] (+)= A[R x kc] . B[kc x 32] for R = 4 * panels (8 or 12) rows taken from consecutive 4-row panels
 * a, a + 4*kc, a + 8*kc: 2 * R zmm accumulators (a constant array after inlining, kept in registers).
 */
INLINE void tile_rows_x32(const int panels, int kc, const float* a, const float* b, float* c, int ldc, int load,
                          const float* next) {
    __m512 acc[24];
    const float* pa[3] = {a, a + (size_t) 4 * kc, a + (size_t) 8 * kc};
    if (load) {
        for (int i = 0; i < 4 * panels; i++) {
            acc[2 * i] = _mm512_loadu_ps(c + (size_t) i * ldc);
            acc[2 * i + 1] = _mm512_loadu_ps(c + (size_t) i * ldc + 16);
        }
    } else {
        for (int i = 0; i < 8 * panels; i++) acc[i] = _mm512_setzero_ps();
    }
    for (int k = 0; k < kc; k++) {
        const __m512 b0 = _mm512_loadu_ps(b + k * NRW), b1 = _mm512_loadu_ps(b + k * NRW + 16);
        if (next) {   /* the next B panel, two cache lines per k step (see sgemm_avx2.c) */
            _mm_prefetch((const char*) (next + k * NRW), _MM_HINT_T0);
            _mm_prefetch((const char*) (next + k * NRW + 16), _MM_HINT_T0);
        }
#pragma GCC unroll 12
        for (int i = 0; i < 4 * panels; i++) {
            const __m512 av = _mm512_set1_ps(pa[i / 4][k * 4 + i % 4]);
            acc[2 * i] = _mm512_fmadd_ps(av, b0, acc[2 * i]);
            acc[2 * i + 1] = _mm512_fmadd_ps(av, b1, acc[2 * i + 1]);
        }
    }
    for (int i = 0; i < 4 * panels; i++) {
        _mm512_storeu_ps(c + (size_t) i * ldc, acc[2 * i]);
        _mm512_storeu_ps(c + (size_t) i * ldc + 16, acc[2 * i + 1]);
    }
}

/*
 * Prefetches the C rows of the next tile of the same panel (rows r0 .. r0+rows-1 from c, nv columns): the part of
 * C that the driver streams from L3 (the whole C is re-read for every K block), whose loads otherwise stall the
 * tile's start. Prefetches never fault; the three lines per row cover a row that straddles cache lines.
 */
INLINE void prefetch_rows(const float* c, int ldc, int rows, int nv) {
    for (int r = 0; r < rows; r++) {
        const char* row = (const char*) (c + (size_t) r * ldc);
        _mm_prefetch(row, _MM_HINT_T0);
        _mm_prefetch(row + 4 * (nv > 16 ? 16 : nv - 1), _MM_HINT_T0);
        _mm_prefetch(row + 4 * (nv - 1), _MM_HINT_T0);
    }
}

/*
 * C[0..mc) x panels [p0, p1) (+)= A block . B panels. n bounds the last panel's columns. load: start from C
 * (accumulate, or a K block after the first) instead of 0.
 */
VDQ_API void vdq_sgemm_macro_avx512(const float* ap, int mc, int kc, const float* bp, int p0, int p1, int n,
                                    float* c, int ldc, int load) {
    float tile[4 * NRW];
    for (int p = p0; p < p1; p++) {
        const float* b = bp + (size_t) p * kc * NRW;
        const int col0 = p * NRW, nv = n - col0 < NRW ? n - col0 : NRW;
        int ir = 0;
        if (nv == NRW) {
            for (; ir + 12 <= mc; ir += 12) {
                float* ci = c + (size_t) ir * ldc + col0;
                if (ir + 12 < mc) prefetch_rows(ci + (size_t) 12 * ldc, ldc, mc - ir - 12 < 12 ? mc - ir - 12 : 12, nv);
                const float* next = ir + 24 > mc && p + 1 < p1 ? b + (size_t) kc * NRW : NULL;
                if (next) tile_rows_x32(3, kc, ap + (size_t) ir * kc, b, ci, ldc, load, next);
                else tile_rows_x32(3, kc, ap + (size_t) ir * kc, b, ci, ldc, load, NULL);
            }
            if (ir + 8 <= mc) {
                float* ci = c + (size_t) ir * ldc + col0;
                if (ir + 8 < mc) prefetch_rows(ci + (size_t) 8 * ldc, ldc, mc - ir - 8 < 4 ? mc - ir - 8 : 4, nv);
                tile_rows_x32(2, kc, ap + (size_t) ir * kc, b, ci, ldc, load, NULL);
                ir += 8;
            }
        }
        for (; ir < mc; ir += 4) {
            const int mr = mc - ir < 4 ? mc - ir : 4;
            float* ci = c + (size_t) ir * ldc + col0;
            const float* a = ap + (size_t) ir * kc;
            if (ir + 4 < mc) prefetch_rows(ci + (size_t) 4 * ldc, ldc, mc - ir - 4 < 4 ? mc - ir - 4 : 4, nv);
            if (mr == 4 && nv == NRW) {
                tile4x32(kc, a, b, ci, ldc, load);
            } else {
                if (load) for (int r = 0; r < mr; r++) memcpy(tile + r * NRW, ci + (size_t) r * ldc, sizeof(float) * nv);
                tile4x32(kc, a, b, tile, NRW, load);
                for (int r = 0; r < mr; r++) memcpy(ci + (size_t) r * ldc, tile + r * NRW, sizeof(float) * nv);
            }
        }
    }
}
