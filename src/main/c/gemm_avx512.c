/*
 * AVX-512 VNNI integer GEMM Y[m x n] = X . W^T: the same contract, the same packed weights (vdq_pack_w8 /
 * vdq_pack_w4, scales, zero points and bias as packed for the AVX2 kernels) and the same float epilogue in the
 * same order as gemm_avx2.c and vdqnative.h, so both give the same bits. Compiled on its own with
 * -mavx512f -mavx512bw -mavx512vl -mavx512vnni (pom.xml) and called only when /proc/cpuinfo reports those
 * flags (io.vdq.kernel.nat.NativeLibrary); nothing in this file may run on an AVX2-only CPU.
 *
 * Every multiply is one vpdpbusd zmm: 16 int32 lanes (lane = output column), each adding four u8 x s8
 * products of one k4 step, wrapping modulo 2^32 like the Java reference's int sums (no saturation).
 *
 * Operand roles (vpdpbusd multiplies an unsigned byte operand by a signed one):
 *  - W4 (W4A8, W4A6, W4A4): the packed weights are unsigned nibbles w + 8, the u8 operand; the activations
 *    are s8 and are broadcast straight from q as the s8 operand. The +8 is in the packed zero points already
 *    ((8 + z) * xsum in the epilogue), exactly as in the AVX2 kernel.
 *  - W8A8: weight offset. The loaded weight vector is xor-ed with 0x80, giving w + 128 in [1, 255] as the u8
 *    operand; the activations stay s8 as for W4. The kernel then sums (w + 128) * a = w * a + 128 * a, and the
 *    group epilogue subtracts (z + 128) * xsum_g instead of z * xsum_g (xsum_g: the activation group sums the
 *    quantizer already produces). Why this and not the two usual choices:
 *      . the sign trick (|a| as u8, sign(w, a) as s8) has no zmm vpsignb; with AVX512BW masks it costs
 *        vpabsb + vpmovb2m per row and one masked vpsubb per weight vector and row, 2 extra ALU ops per
 *        vpdpbusd. A throwaway variant ran at half the speed: L1 tile 219 vs 434 GOP/s, 1024^3 207-212 vs
 *        411 GOP/cpu-s (1 thread, the Zen 4 host below);
 *      . the activation offset (a + 128 as u8, -128 * sum_k w folded into the accumulators at pack time) makes
 *        the broadcast activations the u8 register operand: one vpxord per row and step (gcc folds the
 *        broadcast into it). A throwaway variant measured the same speed as the weight offset (L1 tile
 *        436-437 vs 437-440 GOP/s, 1024^3 407-414 vs 411-413 GOP/cpu-s), but it needs a new per-column,
 *        per-group weight-sum array in the packed weights.
 *    So the weight offset: 2 vpxord per k4 step for a whole 8 x 32 tile (the weights are loaded once and used
 *    by 8 rows), the packed data stays byte for byte that of the AVX2 kernels (the +128 is added to the zero
 *    points here, not stored), and the correction is the xsum one the W4 path has anyway. It is exact for any
 *    K (modular int32, like the reference) and would even take code -128 on either side.
 *
 * Register tile: 8 activation rows x 32 output columns (two 16-column panels) = 16 zmm int32 accumulators,
 * enough independent chains to cover vpdpbusd's latency; + 2 weight vectors + constants, no spills
 * (check-spills.sh, NativeCodegenTest). Per k4 step: 2 weight loads + 2 vpxord (W4: 2 broadcast 32-byte loads,
 * 2 vpsrlvq, 2 vpandd to split the nibbles), 8 dword broadcasts, 16 vpdpbusd. An odd last panel runs an 8 x 16
 * tile, the last rows a tile of 1..7 rows (one inlined variant per row count). On the Zen 4 host of
 * BENCHMARKS.md (vpdpbusd zmm 1 per cycle = 469 GOP/s per core) one L1-resident tile runs at 93 % (W8A8) and
 * 91 % (W4) of that (src/test/c/probe_avx512.c).
 */
#include <immintrin.h>
#include <string.h>
#include "vdqnative.h"

#define INLINE static inline __attribute__((always_inline))
#define MR 8 /* activation rows per register tile */

INLINE __m512i bcast4(const int8_t* p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

/*
 * Adds this group's corrected, scaled sums into facc (float[8][2][16]): facc += ws * (float)(isum - (z + zoff) * xsum),
 * one multiply and one add, in that order (no FMA: the TU is built with -ffp-contract=off).
 */
INLINE void group_epilogue(const int mr, const int np, __m512i acc[MR][2], float* facc, const int32_t* xsum,
                           int ngroups, int g, const float* ws, const int32_t* wz, size_t pstride, int zoff) {
    __m512i z[2];
    __m512 s[2];
    for (int j = 0; j < np; j++) {
        z[j] = _mm512_add_epi32(_mm512_loadu_si512(wz + j * pstride), _mm512_set1_epi32(zoff));
        s[j] = _mm512_loadu_ps(ws + j * pstride);
    }
    for (int t = 0; t < mr; t++) {
        const __m512i xs = _mm512_set1_epi32(xsum[(size_t) t * ngroups + g]);
        for (int j = 0; j < np; j++) {
            const __m512i c = _mm512_sub_epi32(acc[t][j], _mm512_mullo_epi32(z[j], xs));
            float* f = facc + (t * 2 + j) * 16;
            _mm512_store_ps(f, _mm512_add_ps(_mm512_load_ps(f), _mm512_mul_ps(s[j], _mm512_cvtepi32_ps(c))));
        }
    }
}

/* y = ascale * facc (+ bias), stored under a mask for the last panel's ncols1 (<= 16) columns. */
INLINE void final_epilogue(const int mr, const int np, const float* facc, const float* ascale, const float* bias,
                           float* y, int ldy, int ncols1) {
    const __mmask16 last = (__mmask16) ((1u << ncols1) - 1u);
    for (int t = 0; t < mr; t++) {
        const __m512 a = _mm512_set1_ps(ascale[t]);
        for (int j = 0; j < np; j++) {
            __m512 r = _mm512_mul_ps(a, _mm512_load_ps(facc + (t * 2 + j) * 16));
            if (bias) r = _mm512_add_ps(r, _mm512_loadu_ps(bias + j * 16));
            float* yr = y + (size_t) t * ldy + j * 16;
            if (j == np - 1) _mm512_mask_storeu_ps(yr, last, r);
            else _mm512_storeu_ps(yr, r);
        }
    }
}

/*
 * One tile: mr (<= 8) rows from q x np (1 or 2) panels from wpanel (the next panel panel_bytes further on; its
 * scales / zero points pstride floats further on, its bias 16 further on). w4: 4-bit nibble weights, else int8.
 */
INLINE void tile(const int w4, const int mr, const int np, const int8_t* q, int kp, const float* ascale,
                 const int32_t* xsum, int ngroups, int gunits, const uint8_t* wpanel, size_t panel_bytes,
                 const float* ws, const int32_t* wz, const float* bias, float* y, int ldy, int ncols1) {
    const int ksteps = kp / VDQ_KU, step_bytes = w4 ? 32 : 64;
    const __m512i x80 = _mm512_set1_epi8((char) 0x80), nib = _mm512_set1_epi8(0x0f);
    const __m512i hi_shift = _mm512_set_epi64(4, 4, 4, 4, 0, 0, 0, 0); /* upper half: the high nibbles */
    const size_t pstride = (size_t) ngroups * 16;
    float facc[MR * 2 * 16] __attribute__((aligned(64)));
    memset(facc, 0, sizeof(facc));
    for (int g = 0; g < ngroups; g++) {
        const int s0 = g * gunits, s1 = s0 + gunits < ksteps ? s0 + gunits : ksteps;
        __m512i acc[MR][2];
        for (int t = 0; t < mr; t++) acc[t][0] = acc[t][1] = _mm512_setzero_si512();
        const uint8_t* w0p = wpanel + (size_t) s0 * step_bytes;
        const uint8_t* w1p = w0p + panel_bytes;
        const int8_t* qs = q + (size_t) s0 * VDQ_KU;
        for (int s = s0; s < s1; s++, w0p += step_bytes, w1p += step_bytes, qs += VDQ_KU) {
            __m512i w[2];
            for (int j = 0; j < np; j++) {
                const uint8_t* p = j == 0 ? w0p : w1p;
                if (w4) {
                    /* bytes c*4+j hold column c (low nibble) and c + 8 (high nibble): low half of the zmm gets
                       the low nibbles (columns 0..7), the high half the high nibbles (columns 8..15) */
                    const __m512i b = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i*) p));
                    w[j] = _mm512_and_si512(_mm512_srlv_epi64(b, hi_shift), nib);
                } else {
                    w[j] = _mm512_xor_si512(_mm512_loadu_si512(p), x80);
                }
            }
            for (int t = 0; t < mr; t++) {
                const __m512i a = bcast4(qs + (size_t) t * kp);
                for (int j = 0; j < np; j++) acc[t][j] = _mm512_dpbusd_epi32(acc[t][j], w[j], a);
            }
        }
        group_epilogue(mr, np, acc, facc, xsum, ngroups, g, ws + g * 16, wz + g * 16, pstride, w4 ? 0 : 128);
    }
    final_epilogue(mr, np, facc, ascale, bias, y, ldy, ncols1);
}

#define TILE_ROWS(W4, NP, MRV) tile(W4, MRV, NP, qt, kp, as, xs, ngroups, gunits, wpanel, panel_bytes, ws, wz, b, yt, ldy, ncols1)
#define TILE_SWITCH(W4, NP)                                                                              \
    switch (mr) {                                                                                        \
    case 8: TILE_ROWS(W4, NP, 8); break;                                                                 \
    case 7: TILE_ROWS(W4, NP, 7); break;                                                                 \
    case 6: TILE_ROWS(W4, NP, 6); break;                                                                 \
    case 5: TILE_ROWS(W4, NP, 5); break;                                                                 \
    case 4: TILE_ROWS(W4, NP, 4); break;                                                                 \
    case 3: TILE_ROWS(W4, NP, 3); break;                                                                 \
    case 2: TILE_ROWS(W4, NP, 2); break;                                                                 \
    default: TILE_ROWS(W4, NP, 1); break;                                                                \
    }

/*
 * The driver of both kernels (same arguments as in gemm_avx2.c): 8-row tiles, then panel pairs. A tile's
 * activations (8 * kp bytes) stay in L1 while every panel pair streams past them from L2 / L3. This order
 * measured faster than the AVX2 driver's 64-row blocks, which reuse a panel pair over 8 tiles from L2 (1 thread,
 * pure C, thread CPU time, 2026-11-24: 1024^3 W8A8 414 vs 375, W4 426 vs 375 GOP/s; 4096x1536x1536 416 vs 399
 * and 430 vs 398; no shape tried was slower).
 */
INLINE void gemm(const int w4, const int8_t* q, const float* ascale, const int32_t* xsum, const uint8_t* wpack,
                 const float* wsp, const int32_t* wzp, const float* biasp, float* y, int ldy, int kp, int ngroups,
                 int gunits, int m0, int m1, int n0, int n1) {
    const size_t panel_bytes = (size_t) (w4 ? 8 : 16) * kp;
    for (int t = m0; t < m1; t += MR) {
        const int mr = m1 - t < MR ? m1 - t : MR;
        const int8_t* qt = q + (size_t) t * kp;
        const float* as = ascale + t;
        const int32_t* xs = xsum + (size_t) t * ngroups;
        for (int p = n0 / VDQ_NR; p * VDQ_NR < n1; p += 2) {
            const int two = (p + 1) * VDQ_NR < n1;
            const int last_col0 = (p + two) * VDQ_NR;
            const int ncols1 = n1 - last_col0 < VDQ_NR ? n1 - last_col0 : VDQ_NR;
            const uint8_t* wpanel = wpack + p * panel_bytes;
            const float* ws = wsp + (size_t) p * ngroups * 16;
            const int32_t* wz = wzp + (size_t) p * ngroups * 16;
            const float* b = biasp ? biasp + p * 16 : NULL;
            float* yt = y + (size_t) t * ldy + p * 16;
            if (two) { TILE_SWITCH(w4, 2) } else { TILE_SWITCH(w4, 1) }
        }
    }
}

/*
 * Rows [m0, m1) and columns [n0, n1) of Y (n0 a multiple of 16), arguments as vdq_gemm_w8a8_avx2 /
 * vdq_gemm_w4_avx2 (the int16 chunk length is not needed here: vpdpbusd widens to int32 itself).
 */
VDQ_API void vdq_gemm_w8a8_avx512(const int8_t* q, const float* ascale, const int32_t* xsum, const int8_t* wpack,
                                  const float* wsp, const int32_t* wzp, const float* biasp, float* y, int ldy, int kp,
                                  int ngroups, int gunits, int chunk, int m0, int m1, int n0, int n1) {
    (void) chunk;
    gemm(0, q, ascale, xsum, (const uint8_t*) wpack, wsp, wzp, biasp, y, ldy, kp, ngroups, gunits, m0, m1, n0, n1);
}

VDQ_API void vdq_gemm_w4_avx512(const int8_t* q, const float* ascale, const int32_t* xsum, const uint8_t* wpack,
                                const float* wsp, const int32_t* wzp, const float* biasp, float* y, int ldy, int kp,
                                int ngroups, int gunits, int chunk, int m0, int m1, int n0, int n1) {
    (void) chunk;
    gemm(1, q, ascale, xsum, wpack, wsp, wzp, biasp, y, ldy, kp, ngroups, gunits, m0, m1, n0, n1);
}
