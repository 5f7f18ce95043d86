/*
 * AVX2 integer GEMM Y[m x n] = X . W^T with int32 accumulation and a float epilogue (see vdqnative.h).
 *
 * Register tile: 4 activation rows x 16 output columns = 8 ymm int32 accumulators (lane = column); one
 * k4 step is one 32-bit broadcast of 4 activation bytes against 32 packed weight bytes (8 columns x 4 k):
 *   W8A8: vpmaddubsw(|a|, sign(w, a)) -> s16 pairs (<= 2*127*127 = 32258, no saturation), vpmaddwd with
 *         ones -> s32, vpaddd. Weights and activations must lie in [-127, 127].
 *   W4A8 / W4A4: weights stored as unsigned nibbles w + 8 (u8 operand; one byte holds column c in its low and
 *         column c + 8 in its high nibble, so one 32-byte load gives both vectors), activations signed (s8):
 *         pairs <= 2*15*127 = 3810; the +8 is removed in the epilogue with the zero point (8 + z) * xsum.
 * Packed scales / zero points: [panel][group][16]; packed bias: [panel][16] (or NULL).
 */
#include <immintrin.h>
#include <string.h>
#include "vdqnative.h"

#define INLINE static inline __attribute__((always_inline))

INLINE __m256i bcast4(const int8_t* p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
}

/* Adds this group's corrected, scaled partial sums into facc (float[4][16] in memory). */
INLINE void group_epilogue(const int mr, __m256i acc[4][2], float* facc, const int32_t* xsum, int ngroups, int g,
                           const float* ws, const int32_t* wz) {
    const __m256i z0 = _mm256_loadu_si256((const __m256i*) wz), z1 = _mm256_loadu_si256((const __m256i*) (wz + 8));
    const __m256 s0 = _mm256_loadu_ps(ws), s1 = _mm256_loadu_ps(ws + 8);
    for (int t = 0; t < mr; t++) {
        __m256i xs = _mm256_set1_epi32(xsum[(size_t) t * ngroups + g]);
        __m256i c0 = _mm256_sub_epi32(acc[t][0], _mm256_mullo_epi32(z0, xs));
        __m256i c1 = _mm256_sub_epi32(acc[t][1], _mm256_mullo_epi32(z1, xs));
        float* f = facc + t * 16;
        _mm256_storeu_ps(f, _mm256_add_ps(_mm256_loadu_ps(f), _mm256_mul_ps(s0, _mm256_cvtepi32_ps(c0))));
        _mm256_storeu_ps(f + 8, _mm256_add_ps(_mm256_loadu_ps(f + 8), _mm256_mul_ps(s1, _mm256_cvtepi32_ps(c1))));
    }
}

INLINE void final_epilogue(const int mr, const float* facc, const float* ascale, const float* bias,
                           float* y, int ldy, int ncols) {
    for (int t = 0; t < mr; t++) {
        __m256 a = _mm256_set1_ps(ascale[t]);
        __m256 r0 = _mm256_mul_ps(a, _mm256_loadu_ps(facc + t * 16));
        __m256 r1 = _mm256_mul_ps(a, _mm256_loadu_ps(facc + t * 16 + 8));
        if (bias) {
            r0 = _mm256_add_ps(r0, _mm256_loadu_ps(bias));
            r1 = _mm256_add_ps(r1, _mm256_loadu_ps(bias + 8));
        }
        float* yr = y + (size_t) t * ldy;
        if (ncols == 16) {
            _mm256_storeu_ps(yr, r0);
            _mm256_storeu_ps(yr + 8, r1);
        } else {
            float tmp[16];
            _mm256_storeu_ps(tmp, r0);
            _mm256_storeu_ps(tmp + 8, r1);
            memcpy(yr, tmp, (size_t) ncols * sizeof(float));
        }
    }
}

/* One tile of mr (<= 4) rows x one 16-column panel, W8A8. q points at the tile's first row. */
INLINE void tile_w8a8(const int mr, const int8_t* q, int kp, const float* ascale, const int32_t* xsum,
                      int ngroups, int gunits, int chunk, const int8_t* wpanel, const float* ws, const int32_t* wz,
                      const float* bias, float* y, int ldy, int ncols) {
    const __m256i ones = _mm256_set1_epi16(1);
    const int ksteps = kp / VDQ_KU;
    (void) chunk; /* pairs reach 2*127*127: every step is widened at once */
    float facc[4 * 16] __attribute__((aligned(32))) = {0};
    for (int g = 0; g < ngroups; g++) {
        const int s0 = g * gunits, s1 = s0 + gunits < ksteps ? s0 + gunits : ksteps;
        __m256i acc[4][2];
        for (int t = 0; t < mr; t++) acc[t][0] = acc[t][1] = _mm256_setzero_si256();
        const int8_t* wp = wpanel + (size_t) s0 * 64;
        for (int s = s0; s < s1; s++, wp += 64) {
            const __m256i w0 = _mm256_load_si256((const __m256i*) wp);
            const __m256i w1 = _mm256_load_si256((const __m256i*) (wp + 32));
            for (int t = 0; t < mr; t++) {
                const __m256i a = bcast4(q + (size_t) t * kp + s * 4);
                const __m256i ua = _mm256_abs_epi8(a);
                acc[t][0] = _mm256_add_epi32(acc[t][0],
                        _mm256_madd_epi16(_mm256_maddubs_epi16(ua, _mm256_sign_epi8(w0, a)), ones));
                acc[t][1] = _mm256_add_epi32(acc[t][1],
                        _mm256_madd_epi16(_mm256_maddubs_epi16(ua, _mm256_sign_epi8(w1, a)), ones));
            }
        }
        group_epilogue(mr, acc, facc, xsum, ngroups, g, ws + g * 16, wz + g * 16);
    }
    final_epilogue(mr, facc, ascale, bias, y, ldy, ncols);
}

/*
 * One tile, W4 weights (unsigned nibbles) x int8 activations (W4A8, and W4A4 with 4-bit values). The nibble
 * pairs are small (|pair| <= 2*15*qmax), so up to `chunk` k4 steps are summed in int16 with vpaddw before one
 * vpmaddwd widens them (chunk = 32767 / (30*qmax): 8 for int8, 156 for int4 activations); the int32 sums
 * live in a small buffer touched once per chunk, which keeps the 8 int16 accumulators in registers.
 */
INLINE void tile_w4(const int mr, const int8_t* q, int kp, const float* ascale, const int32_t* xsum,
                    int ngroups, int gunits, int chunk, const uint8_t* wpanel, const float* ws, const int32_t* wz,
                    const float* bias, float* y, int ldy, int ncols) {
    const __m256i ones = _mm256_set1_epi16(1), nib = _mm256_set1_epi8(0x0f);
    const int ksteps = kp / VDQ_KU;
    float facc[4 * 16] __attribute__((aligned(32))) = {0};
    for (int g = 0; g < ngroups; g++) {
        const int s0 = g * gunits, s1 = s0 + gunits < ksteps ? s0 + gunits : ksteps;
        __m256i acc[4][2];
        for (int t = 0; t < mr; t++) acc[t][0] = acc[t][1] = _mm256_setzero_si256();
        for (int c0 = s0; c0 < s1; c0 += chunk) {
            const int c1 = c0 + chunk < s1 ? c0 + chunk : s1;
            __m256i h[4][2];
            for (int t = 0; t < mr; t++) h[t][0] = h[t][1] = _mm256_setzero_si256();
            const uint8_t* wp = wpanel + (size_t) c0 * 32;
            for (int s = c0; s < c1; s++, wp += 32) {
                const __m256i p = _mm256_load_si256((const __m256i*) wp);
                const __m256i w0 = _mm256_and_si256(p, nib), w1 = _mm256_and_si256(_mm256_srli_epi16(p, 4), nib);
                for (int t = 0; t < mr; t++) {
                    const __m256i a = bcast4(q + (size_t) t * kp + s * 4);
                    h[t][0] = _mm256_add_epi16(h[t][0], _mm256_maddubs_epi16(w0, a));
                    h[t][1] = _mm256_add_epi16(h[t][1], _mm256_maddubs_epi16(w1, a));
                }
            }
            for (int t = 0; t < mr; t++) {
                acc[t][0] = _mm256_add_epi32(acc[t][0], _mm256_madd_epi16(h[t][0], ones));
                acc[t][1] = _mm256_add_epi32(acc[t][1], _mm256_madd_epi16(h[t][1], ones));
            }
        }
        group_epilogue(mr, acc, facc, xsum, ngroups, g, ws + g * 16, wz + g * 16);
    }
    final_epilogue(mr, facc, ascale, bias, y, ldy, ncols);
}

/* Rows per cache block: the block's activations stay in L2 while each weight panel is reused from L1. */
#ifndef MC
#define MC 64
#endif

#define GEMM_DRIVER(NAME, TILE, WTYPE, PANEL_BYTES_PER_K)                                                       \
VDQ_API void NAME(const int8_t* q, const float* ascale, const int32_t* xsum, const WTYPE* wpack,                \
                  const float* wsp, const int32_t* wzp, const float* biasp, float* y, int ldy, int kp,           \
                  int ngroups, int gunits, int chunk, int m0, int m1, int n0, int n1) {                         \
    const size_t panel_bytes = (size_t) PANEL_BYTES_PER_K * kp;                                                 \
    for (int mb = m0; mb < m1; mb += MC) {                                                                      \
        const int me = mb + MC < m1 ? mb + MC : m1;                                                             \
        for (int p = n0 / VDQ_NR; p * VDQ_NR < n1; p++) {                                                       \
            const WTYPE* wpanel = wpack + p * panel_bytes;                                                      \
            const float* ws = wsp + (size_t) p * ngroups * 16;                                                  \
            const int32_t* wz = wzp + (size_t) p * ngroups * 16;                                                \
            const float* b = biasp ? biasp + p * 16 : NULL;                                                     \
            const int ncols = (n1 - p * 16) < 16 ? n1 - p * 16 : 16;                                            \
            for (int t = mb; t < me; t += VDQ_MR) {                                                             \
                const int8_t* qt = q + (size_t) t * kp;                                                         \
                float* yt = y + (size_t) t * ldy + p * 16;                                                      \
                const float* as = ascale + t;                                                                   \
                const int32_t* xs = xsum + (size_t) t * ngroups;                                                \
                switch (me - t < VDQ_MR ? me - t : VDQ_MR) {                                                    \
                case 4: TILE(4, qt, kp, as, xs, ngroups, gunits, chunk, wpanel, ws, wz, b, yt, ldy, ncols); break;     \
                case 3: TILE(3, qt, kp, as, xs, ngroups, gunits, chunk, wpanel, ws, wz, b, yt, ldy, ncols); break;     \
                case 2: TILE(2, qt, kp, as, xs, ngroups, gunits, chunk, wpanel, ws, wz, b, yt, ldy, ncols); break;     \
                default: TILE(1, qt, kp, as, xs, ngroups, gunits, chunk, wpanel, ws, wz, b, yt, ldy, ncols); break;    \
                }                                                                                               \
            }                                                                                                   \
        }                                                                                                       \
    }                                                                                                           \
}

/*
 * Computes rows [m0, m1) and columns [n0, n1) of Y (n0 a multiple of 16). q: activations (m x kp); xsum:
 * m x ngroups; wpack / wsp / wzp / biasp: packed by vdq_pack_w8 / vdq_pack_w4 and the Java side; gunits =
 * group size / 4 (kp / 4 for one group per channel); chunk: int16 accumulation length of the 4-bit kernel,
 * at most 32767 / (30 * qmax) for activations in [-qmax, qmax] (ignored by W8A8).
 */
GEMM_DRIVER(vdq_gemm_w8a8_avx2, tile_w8a8, int8_t, 16)
GEMM_DRIVER(vdq_gemm_w4_avx2, tile_w4, uint8_t, 8)
