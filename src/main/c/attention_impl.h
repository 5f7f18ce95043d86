/*
 * Flash-style FP32 attention, one (head, query block) task per call: the body shared by attention_avx2.c
 * (VL = 8, ymm) and attention_avx512.c (VL = 16, zmm), which define VL, MR and the entry point's name before
 * including this file. Issue #29 item 4; documented in docs/KERNELS.md ("Attention").
 *
 * The scores are computed transposed, S^T = K . Q^T (keys x queries), so the online softmax runs down columns with
 * element-wise vector operations (no horizontal reductions), and S^T is already the B operand of O^T += V^T . P^T.
 *  - register tile: MR rows x QW = 3 vectors of columns, for both products (AVX2 4 x 24: 12 ymm accumulators;
 *    AVX-512 8 x 48: 24 zmm accumulators); rows are keys in S^T and head dimensions in O^T, columns queries.
 *  - K is packed once per head into panels of MR keys, kp[panel][c][MR] (keys past nk zero); V once per head into
 *    rows of dp = round_up(d, MR) floats, vp[key][dp] (zero past d and past nk). vdq_attn_pack_kv does both.
 *  - per call: Q^T of the block, panel by panel (QW queries, zero past the block), S^T for one key block of BK keys
 *    and one panel, O^T (dp x QW) per panel, and the running max / sum per query (malloc'd scratch, ~100 KB).
 *  - softmax in base 2: p = 2^((s - m) * c) with c = scale * log2(e) and m the running maximum of the raw scores
 *    (scale > 0, so the maximum commutes with scaling); 2^x by rounding to n + f, |f| <= 1/2, a degree-6
 *    polynomial for 2^f (max relative error 1.0e-7 in float, ~1.6 ulp) and n added to the exponent; arguments
 *    below -126 give 2^-126 * 2^f (the probability relative to the row maximum is then < 1.2e-38: it changes
 *    no float sum). The max is folded into the S^T tile's epilogue; the rescale of O^T by 2^((m_old - m_new) * c)
 *    into the P.V tile's load.
 * Every output is computed in one fixed order (keys in increasing blocks, c in increasing order), so the result
 * does not depend on how the caller splits the work over threads.
 */
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "vdqnative.h"

#define INLINE static inline __attribute__((always_inline))
#define NV 3              /* vectors per tile row */
#define QW (NV * VL)      /* queries per panel */
#define NP ATTN_PANELS    /* panels per call: the query block is NP * QW queries */
#define BK 128            /* keys per block (a multiple of MR) */

#if VL == 16
typedef __m512 V;
#define VLOAD _mm512_loadu_ps
#define VSTORE _mm512_storeu_ps
#define VSET1 _mm512_set1_ps
#define VBCAST(p) _mm512_set1_ps(*(p))
#define VFMA _mm512_fmadd_ps
#define VMUL _mm512_mul_ps
#define VADD _mm512_add_ps
#define VSUB _mm512_sub_ps
#define VMAX _mm512_max_ps
#define VZERO _mm512_setzero_ps
#define VROUND(x) _mm512_roundscale_ps((x), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define VPOW2N(n) _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23))
#else
typedef __m256 V;
#define VLOAD _mm256_loadu_ps
#define VSTORE _mm256_storeu_ps
#define VSET1 _mm256_set1_ps
#define VBCAST(p) _mm256_broadcast_ss(p)
#define VFMA _mm256_fmadd_ps
#define VMUL _mm256_mul_ps
#define VADD _mm256_add_ps
#define VSUB _mm256_sub_ps
#define VMAX _mm256_max_ps
#define VZERO _mm256_setzero_ps
#define VROUND(x) _mm256_round_ps((x), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define VPOW2N(n) _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23))
#endif

/* 2^x, x <= ~0 (see the header): clamp, split, polynomial, exponent. */
INLINE V exp2v(V x) {
    x = VMAX(x, VSET1(-126.0f));
    V n = VROUND(x), f = VSUB(x, n);
    V p = VSET1(1.5353361959569156e-4f);
    p = VFMA(p, f, VSET1(1.3398875016719103e-3f));
    p = VFMA(p, f, VSET1(9.61843691766262e-3f));
    p = VFMA(p, f, VSET1(5.5503323674201965e-2f));
    p = VFMA(p, f, VSET1(2.4022647738456726e-1f));
    p = VFMA(p, f, VSET1(6.931471824645996e-1f));
    p = VFMA(p, f, VSET1(1.0f));
    return VMUL(p, VPOW2N(n));
}

/*
 * S^T tile: st[r][0..QW) = sum_c kp[c*MR + r] * qt[c*QW ..], r < MR, over c in [0, d); the maximum over the first
 * `valid` rows is folded into mx.
 */
INLINE void tile_s(int d, const float* kp, const float* qt, float* st, int valid, V* mx) {
    V acc[MR][NV];
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
        for (int j = 0; j < NV; j++) acc[r][j] = VZERO();
    for (int c = 0; c < d; c++) {
        V b[NV];
#pragma GCC unroll 4
        for (int j = 0; j < NV; j++) b[j] = VLOAD(qt + c * QW + j * VL);
#pragma GCC unroll 16
        for (int r = 0; r < MR; r++) {
            V a = VBCAST(kp + c * MR + r);
#pragma GCC unroll 4
            for (int j = 0; j < NV; j++) acc[r][j] = VFMA(a, b[j], acc[r][j]);
        }
    }
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
        for (int j = 0; j < NV; j++) {
            VSTORE(st + r * QW + j * VL, acc[r][j]);
            if (r < valid) mx[j] = VMAX(mx[j], acc[r][j]);
        }
}

/*
 * O^T tile: ot[r][..] = ot[r][..] * corr + sum_key vp[key*dp + r] * st[key][..], r < MR, keys in [0, bkp).
 */
INLINE void tile_pv(int bkp, const float* vp, int dp, const float* st, float* ot, const V* corr) {
    V acc[MR][NV];
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
        for (int j = 0; j < NV; j++) acc[r][j] = VMUL(VLOAD(ot + r * QW + j * VL), corr[j]);
    for (int key = 0; key < bkp; key++) {
        V b[NV];
#pragma GCC unroll 4
        for (int j = 0; j < NV; j++) b[j] = VLOAD(st + key * QW + j * VL);
#pragma GCC unroll 16
        for (int r = 0; r < MR; r++) {
            V a = VBCAST(vp + (size_t)key * dp + r);
#pragma GCC unroll 4
            for (int j = 0; j < NV; j++) acc[r][j] = VFMA(a, b[j], acc[r][j]);
        }
    }
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
        for (int j = 0; j < NV; j++) VSTORE(ot + r * QW + j * VL, acc[r][j]);
}

/*
 * out rows [0, nq) (nq <= NP * QW) of one head = softmax(scale * Q K^T) V over nk keys, with q, out pointing at
 * the head's first column (row strides ldq, ldo), kp / vp as packed by vdq_attn_pack_kv for this head. Returns 0,
 * or -1 when the scratch cannot be allocated.
 */
VDQ_API int ATTN_BLOCK(const float* q, int ldq, int nq, const float* kp, const float* vp, int nk, int d, float scale,
                       float* out, int ldo) {
    const int dp = (d + MR - 1) / MR * MR;
    const size_t qtn = (size_t)d * QW, otn = (size_t)dp * QW;
    float* buf = aligned_alloc(64, ((NP * (qtn + otn) + (size_t)BK * QW + 3 * NP * QW) * sizeof(float) + 63) / 64 * 64);
    if (!buf) return -1;
    float *qt = buf, *ot = qt + NP * qtn, *st = ot + NP * otn, *m = st + (size_t)BK * QW, *l = m + NP * QW;
    const int np = (nq + QW - 1) / QW;
    for (int p = 0; p < np; p++)
        for (int c = 0; c < d; c++)
            for (int j = 0; j < QW; j++) {
                int i = p * QW + j;
                qt[p * qtn + (size_t)c * QW + j] = i < nq ? q[(size_t)i * ldq + c] : 0.0f;
            }
    memset(ot, 0, np * otn * sizeof(float));
    for (int i = 0; i < np * QW; i++) { m[i] = -INFINITY; l[i] = 0.0f; }
    const V cv = VSET1(scale * 1.44269504088896341f);
    for (int k0 = 0; k0 < nk; k0 += BK) {
        const int bk = nk - k0 < BK ? nk - k0 : BK, bkp = (bk + MR - 1) / MR * MR;
        for (int p = 0; p < np; p++) {
            const float* qp = qt + p * qtn;
            V mx[NV];
            for (int j = 0; j < NV; j++) mx[j] = VSET1(-INFINITY);
            for (int kt = 0; kt < bkp; kt += MR)
                tile_s(d, kp + (size_t)(k0 + kt) * d, qp, st + kt * QW, bk - kt, mx);
            V corr[NV], sum[NV], mnew[NV];
            float* mp = m + p * QW;
            for (int j = 0; j < NV; j++) {
                V mold = VLOAD(mp + j * VL);
                mnew[j] = VMAX(mold, mx[j]);
                corr[j] = exp2v(VMUL(VSUB(mold, mnew[j]), cv)); /* -inf on the first block: 2^-126 * 2^f, times O^T = 0 */
                sum[j] = VZERO();
                VSTORE(mp + j * VL, mnew[j]);
            }
            for (int key = 0; key < bk; key++)
                for (int j = 0; j < NV; j++) {
                    V e = exp2v(VMUL(VSUB(VLOAD(st + key * QW + j * VL), mnew[j]), cv));
                    VSTORE(st + key * QW + j * VL, e);
                    sum[j] = VADD(sum[j], e);
                }
            for (int key = bk; key < bkp; key++)
                for (int j = 0; j < NV; j++) VSTORE(st + key * QW + j * VL, VZERO());
            float* lp = l + p * QW;
            for (int j = 0; j < NV; j++) {
                VSTORE(lp + j * VL, VFMA(VLOAD(lp + j * VL), corr[j], sum[j])); /* first block: 0 * corr + sum */
            }
            float* op = ot + p * otn;
            for (int r0 = 0; r0 < dp; r0 += MR) tile_pv(bkp, vp + (size_t)k0 * dp + r0, dp, st, op + (size_t)r0 * QW, corr);
        }
    }
    for (int i = 0; i < nq; i++) {
        const int p = i / QW, j = i % QW;
        const float inv = 1.0f / l[p * QW + j];
        const float* op = ot + p * otn + j;
        float* o = out + (size_t)i * ldo;
        for (int c = 0; c < d; c++) o[c] = op[(size_t)c * QW] * inv;
    }
    free(buf);
    return 0;
}
