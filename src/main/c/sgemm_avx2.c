/*
 * AVX2 FP32 macro-kernel for io.vdq.kernel.VectorGemm: one packed A block times a run of packed B panels.
 *
 * Layouts are VectorGemm's (the Java side packs both operands; this file only multiplies):
 *  - A block, mc rows x kc, in row panels of VDQ_MR = 4: ap[ir*kc + kk*4 + r] (rows past mc are zero).
 *  - B, one K block of kc rows: panel p (columns p*16 .. p*16+15, zero past n) at bp + p*kc*16, [kk][16].
 *  - C row-major with leading dimension ldc, starting at the block's first row and column 0.
 * Each output element is one FMA chain over kk in increasing order, starting from C (load != 0) or from 0,
 * exactly as VectorGemm.kernel does with the Vector API, so both give the same bits whatever the register tile.
 * Edge tiles (fewer than 4 rows or 16 columns) go through a scratch tile, as in Java.
 *
 * Register tile (issue #29, after OpenBLAS's Haswell SGEMM and BLIS's 6 x 16): 6 rows x 16 columns, 12 ymm
 * accumulators + 2 B vectors + 1 broadcast = 15 of the 16 registers. 12 independent FMA chains cover the 2 FMA
 * pipes x 4-cycle latency with room to spare (the 4 x 16 tile's 8 chains cover it exactly, so any late load
 * stalls a pipe), and each k step does 12 FMAs for 2 B loads + 6 broadcasts instead of 8 for 2 + 4. The A block
 * stays in VectorGemm's 4-row panels (attention packs the same layout): a 6-row tile reads its rows from two
 * panels, rows 0-3 of one and 0-1 of the next, or rows 2-3 and 0-3, so two tiles cover 12 rows = 3 panels.
 * Rows left over (mc not a multiple of 12) and partial panels use the 4 x 16 tile; the bits are the same.
 * vdq_sgemm_pack_a packs the A block in C (4 x 4 SSE transposes), about 5x faster than Java's scalar packing.
 */
#include <immintrin.h>
#include <string.h>
#include "vdqnative.h"

#define INLINE static inline __attribute__((always_inline))

/* C[4 x 16] (+)= A[4 x kc] . B[kc x 16]: 8 accumulators, 2 B vectors, 1 broadcast in flight. */
INLINE void tile4x16(int kc, const float* a, const float* b, float* c, int ldc, int load) {
    __m256 c00, c01, c10, c11, c20, c21, c30, c31;
    if (load) {
        c00 = _mm256_loadu_ps(c);               c01 = _mm256_loadu_ps(c + 8);
        c10 = _mm256_loadu_ps(c + ldc);         c11 = _mm256_loadu_ps(c + ldc + 8);
        c20 = _mm256_loadu_ps(c + 2 * ldc);     c21 = _mm256_loadu_ps(c + 2 * ldc + 8);
        c30 = _mm256_loadu_ps(c + 3 * ldc);     c31 = _mm256_loadu_ps(c + 3 * ldc + 8);
    } else {
        c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = _mm256_setzero_ps();
    }
    for (int p = 0; p < kc; p++) {
        const __m256 b0 = _mm256_loadu_ps(b + p * 16), b1 = _mm256_loadu_ps(b + p * 16 + 8);
        __m256 av = _mm256_broadcast_ss(a + p * 4);
        c00 = _mm256_fmadd_ps(av, b0, c00); c01 = _mm256_fmadd_ps(av, b1, c01);
        av = _mm256_broadcast_ss(a + p * 4 + 1);
        c10 = _mm256_fmadd_ps(av, b0, c10); c11 = _mm256_fmadd_ps(av, b1, c11);
        av = _mm256_broadcast_ss(a + p * 4 + 2);
        c20 = _mm256_fmadd_ps(av, b0, c20); c21 = _mm256_fmadd_ps(av, b1, c21);
        av = _mm256_broadcast_ss(a + p * 4 + 3);
        c30 = _mm256_fmadd_ps(av, b0, c30); c31 = _mm256_fmadd_ps(av, b1, c31);
    }
    _mm256_storeu_ps(c, c00);               _mm256_storeu_ps(c + 8, c01);
    _mm256_storeu_ps(c + ldc, c10);         _mm256_storeu_ps(c + ldc + 8, c11);
    _mm256_storeu_ps(c + 2 * ldc, c20);     _mm256_storeu_ps(c + 2 * ldc + 8, c21);
    _mm256_storeu_ps(c + 3 * ldc, c30);     _mm256_storeu_ps(c + 3 * ldc + 8, c31);
}

/*
 * C[6 x 16] (+)= A[6 x kc] . B[kc x 16] with rows 0 .. np-1 from the 4-row panel slice p (p[kk*4 + r]) and rows
 * np .. 5 from the panel slice q (np = 4 or 2, a constant after inlining). With next != NULL, one cache line of
 * the next B panel is prefetched per k step (a panel is kc lines of 64 bytes), so the next panel's first tile
 * finds it in L1 instead of streaming it from L2 / L3 (measured +3-5 % at 1024^3).
 */
INLINE void tile6x16(int kc, const float* p, const int np, const float* q, const float* b, float* c, int ldc, int load,
                     const float* next) {
    __m256 c0a, c0b, c1a, c1b, c2a, c2b, c3a, c3b, c4a, c4b, c5a, c5b;
    if (load) {
        c0a = _mm256_loadu_ps(c);           c0b = _mm256_loadu_ps(c + 8);
        c1a = _mm256_loadu_ps(c + ldc);     c1b = _mm256_loadu_ps(c + ldc + 8);
        c2a = _mm256_loadu_ps(c + 2 * ldc); c2b = _mm256_loadu_ps(c + 2 * ldc + 8);
        c3a = _mm256_loadu_ps(c + 3 * ldc); c3b = _mm256_loadu_ps(c + 3 * ldc + 8);
        c4a = _mm256_loadu_ps(c + 4 * ldc); c4b = _mm256_loadu_ps(c + 4 * ldc + 8);
        c5a = _mm256_loadu_ps(c + 5 * ldc); c5b = _mm256_loadu_ps(c + 5 * ldc + 8);
    } else {
        c0a = c0b = c1a = c1b = c2a = c2b = c3a = c3b = c4a = c4b = c5a = c5b = _mm256_setzero_ps();
    }
#define ROW(r) ((r) < np ? p + (r) : q + (r) - np)
    const float *a0 = ROW(0), *a1 = ROW(1), *a2 = ROW(2), *a3 = ROW(3), *a4 = ROW(4), *a5 = ROW(5);
#undef ROW
#define STEP(k) { \
        const __m256 b0 = _mm256_loadu_ps(b + (k) * 16), b1 = _mm256_loadu_ps(b + (k) * 16 + 8); \
        __m256 av = _mm256_broadcast_ss(a0 + (k) * 4); \
        c0a = _mm256_fmadd_ps(av, b0, c0a); c0b = _mm256_fmadd_ps(av, b1, c0b); \
        av = _mm256_broadcast_ss(a1 + (k) * 4); \
        c1a = _mm256_fmadd_ps(av, b0, c1a); c1b = _mm256_fmadd_ps(av, b1, c1b); \
        av = _mm256_broadcast_ss(a2 + (k) * 4); \
        c2a = _mm256_fmadd_ps(av, b0, c2a); c2b = _mm256_fmadd_ps(av, b1, c2b); \
        av = _mm256_broadcast_ss(a3 + (k) * 4); \
        c3a = _mm256_fmadd_ps(av, b0, c3a); c3b = _mm256_fmadd_ps(av, b1, c3b); \
        av = _mm256_broadcast_ss(a4 + (k) * 4); \
        c4a = _mm256_fmadd_ps(av, b0, c4a); c4b = _mm256_fmadd_ps(av, b1, c4b); \
        av = _mm256_broadcast_ss(a5 + (k) * 4); \
        c5a = _mm256_fmadd_ps(av, b0, c5a); c5b = _mm256_fmadd_ps(av, b1, c5b); }
    if (next) {
        for (int k = 0; k < kc; k++) { _mm_prefetch((const char*) (next + k * 16), _MM_HINT_T0); STEP(k) }
    } else {
        for (int k = 0; k < kc; k++) STEP(k)
    }
#undef STEP
    _mm256_storeu_ps(c, c0a);           _mm256_storeu_ps(c + 8, c0b);
    _mm256_storeu_ps(c + ldc, c1a);     _mm256_storeu_ps(c + ldc + 8, c1b);
    _mm256_storeu_ps(c + 2 * ldc, c2a); _mm256_storeu_ps(c + 2 * ldc + 8, c2b);
    _mm256_storeu_ps(c + 3 * ldc, c3a); _mm256_storeu_ps(c + 3 * ldc + 8, c3b);
    _mm256_storeu_ps(c + 4 * ldc, c4a); _mm256_storeu_ps(c + 4 * ldc + 8, c4b);
    _mm256_storeu_ps(c + 5 * ldc, c5a); _mm256_storeu_ps(c + 5 * ldc + 8, c5b);
}

/* Prefetches the first 16 columns of `rows` rows of C (the next tile's, which the driver streams from L3). */
INLINE void prefetch_c(const float* c, int ldc, int rows) {
    for (int r = 0; r < rows; r++) {
        const char* row = (const char*) (c + (size_t) r * ldc);
        _mm_prefetch(row, _MM_HINT_T0);
        _mm_prefetch(row + 60, _MM_HINT_T0);   /* the 16 floats may straddle two cache lines */
    }
}

/*
 * C[0..mc) x panels [p0, p1) (+)= A block . B panels. n bounds the last panel's columns. load: start from C
 * (accumulate, or a K block after the first) instead of 0.
 */
VDQ_API void vdq_sgemm_macro(const float* ap, int mc, int kc, const float* bp, int p0, int p1, int n,
                             float* c, int ldc, int load) {
    float tile[4 * 16];
    const int m12 = mc / 12 * 12;
    for (int p = p0; p < p1; p++) {
        const float* b = bp + (size_t) p * kc * 16;
        const int col0 = p * 16, nv = n - col0 < 16 ? n - col0 : 16;
        int ir = 0;
        if (nv == 16) {
            for (; ir < m12; ir += 12) {   /* three 4-row panels as two 6 x 16 tiles */
                float* ci = c + (size_t) ir * ldc + col0;
                const float* a = ap + (size_t) ir * kc;
                prefetch_c(ci + (size_t) 6 * ldc, ldc, 6);
                tile6x16(kc, a, 4, a + (size_t) 4 * kc, b, ci, ldc, load, NULL);
                if (ir + 12 < mc) prefetch_c(ci + (size_t) 12 * ldc, ldc, mc - ir - 12 < 6 ? mc - ir - 12 : 6);
                /* the panel's last 12 rows prefetch the next panel */
                const float* next = ir + 12 >= m12 && p + 1 < p1 ? b + (size_t) kc * 16 : NULL;
                tile6x16(kc, a + (size_t) 4 * kc + 2, 2, a + (size_t) 8 * kc, b, ci + (size_t) 6 * ldc, ldc, load, next);
            }
        }
        for (; ir < mc; ir += 4) {
            const int mr = mc - ir < 4 ? mc - ir : 4;
            float* ci = c + (size_t) ir * ldc + col0;
            const float* a = ap + (size_t) ir * kc;
            if (mr == 4 && nv == 16) {
                tile4x16(kc, a, b, ci, ldc, load);
            } else {
                if (load) for (int r = 0; r < mr; r++) memcpy(tile + r * 16, ci + (size_t) r * ldc, sizeof(float) * nv);
                tile4x16(kc, a, b, tile, 16, load);
                for (int r = 0; r < mr; r++) memcpy(ci + (size_t) r * ldc, tile + r * 16, sizeof(float) * nv);
            }
        }
    }
}

/*
 * Packs the A block a[0 .. mc) x [0 .. kc) (row-major, leading dimension lda) into row panels of 4, the layout
 * of VectorGemm.packA: ap[ir*kc + kk*4 + r], rows past mc zero. A copy, so the bits are Java's.
 */
VDQ_API void vdq_sgemm_pack_a(const float* a, int lda, int mc, int kc, float* ap) {
    for (int ir = 0; ir < mc; ir += 4) {
        float* d = ap + (size_t) ir * kc;
        if (mc - ir >= 4) {
            const float *r0 = a + (size_t) ir * lda, *r1 = r0 + lda, *r2 = r1 + lda, *r3 = r2 + lda;
            int kk = 0;
            for (; kk + 4 <= kc; kk += 4) {
                __m128 x0 = _mm_loadu_ps(r0 + kk), x1 = _mm_loadu_ps(r1 + kk), x2 = _mm_loadu_ps(r2 + kk), x3 = _mm_loadu_ps(r3 + kk);
                _MM_TRANSPOSE4_PS(x0, x1, x2, x3);
                _mm_storeu_ps(d + kk * 4, x0); _mm_storeu_ps(d + kk * 4 + 4, x1);
                _mm_storeu_ps(d + kk * 4 + 8, x2); _mm_storeu_ps(d + kk * 4 + 12, x3);
            }
            for (; kk < kc; kk++) { d[kk * 4] = r0[kk]; d[kk * 4 + 1] = r1[kk]; d[kk * 4 + 2] = r2[kk]; d[kk * 4 + 3] = r3[kk]; }
        } else {
            const int mr = mc - ir;
            for (int kk = 0; kk < kc; kk++)
                for (int r = 0; r < 4; r++) d[kk * 4 + r] = r < mr ? a[(size_t) (ir + r) * lda + kk] : 0.0f;
        }
    }
}
