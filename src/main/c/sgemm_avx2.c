/*
 * AVX2 FP32 macro-kernel for io.vdq.kernel.VectorGemm: one packed A block times a run of packed B panels.
 *
 * Layouts are VectorGemm's (the Java side packs both operands; this file only multiplies):
 *  - A block, mc rows x kc, in row panels of VDQ_MR = 4: ap[ir*kc + kk*4 + r] (rows past mc are zero).
 *  - B, one K block of kc rows: panel p (columns p*16 .. p*16+15, zero past n) at bp + p*kc*16, [kk][16].
 *  - C row-major with leading dimension ldc, starting at the block's first row and column 0.
 * Each output element is one FMA chain over kk in increasing order, starting from C (load != 0) or from 0,
 * exactly as VectorGemm.kernel does with the Vector API, so both give the same bits. Edge tiles (fewer than
 * 4 rows or 16 columns) go through a scratch tile, as in Java.
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
 * C[0..mc) x panels [p0, p1) (+)= A block . B panels. n bounds the last panel's columns. load: start from C
 * (accumulate, or a K block after the first) instead of 0.
 */
VDQ_API void vdq_sgemm_macro(const float* ap, int mc, int kc, const float* bp, int p0, int p1, int n,
                             float* c, int ldc, int load) {
    float tile[4 * 16];
    for (int p = p0; p < p1; p++) {
        const float* b = bp + (size_t) p * kc * 16;
        const int col0 = p * 16, nv = n - col0 < 16 ? n - col0 : 16;
        for (int ir = 0; ir < mc; ir += 4) {
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
