/*
 * Flash-style FP32 attention, one (head, query block) task per call: the body shared by attention_avx2.c
 * (VL = 8, ymm) and attention_avx512.c (VL = 16, zmm), which define VL, MR and the entry point's name before
 * including this file. Issue #29 item 4; documented in docs/QUANT.md ("Attention kernels").
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
#define VPOW2N(n) _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtps_epi32(_mm512_add_ps((n), _mm512_set1_ps(127.0f))), 23))
#else
typedef __m256i VI;
#define VILOAD(p) _mm256_loadu_si256((const __m256i*)(p))
#define VIBCAST32(p) _mm256_set1_epi32(*(const int32_t*)(p))
#define VIMADD _mm256_madd_epi16
#define VIADD _mm256_add_epi32
#define VIZERO _mm256_setzero_si256
#define VCVT _mm256_cvtepi32_ps
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
#define VPOW2N(n) _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtps_epi32(_mm256_add_ps((n), _mm256_set1_ps(127.0f))), 23))
#endif

/* 2^x, x <= ~0 (see the header): clamp, split, polynomial, exponent (n + 127 is exact in float for n in [-126, 1]). */
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

#if VL == 8
/*
 * S^T tile from int16 codes (the reduced-precision variant): st[r][..] = ks[r] * sq[..] * sum_c kq[c][r] * qq[c][..]
 * with the int32 dot products by vpmaddwd over pairs of c (kq as [c/2][MR][2], qq as [c/2][QW][2]); the max over
 * the first `valid` rows folded into mx as in tile_s.
 */
INLINE void tile_s16(int dq2, const int16_t* kq, const float* ks, const int16_t* qq, const float* sq, float* st, int valid, V* mx) {
    /* two rows at a time: 6 accumulators + 3 B vectors + the broadcast + vpmaddwd's product fit in 16 ymm registers
     * (4 rows' 12 accumulators do not, as vpmaddwd cannot add into its destination; gcc then spills one) */
#pragma GCC unroll 2
    for (int r0 = 0; r0 < MR; r0 += 2) {
        VI acc[2][NV];
#pragma GCC unroll 2
        for (int r = 0; r < 2; r++)
#pragma GCC unroll 4
            for (int j = 0; j < NV; j++) acc[r][j] = VIZERO();
        for (int c2 = 0; c2 < dq2; c2++) {
            VI b[NV];
#pragma GCC unroll 4
            for (int j = 0; j < NV; j++) b[j] = VILOAD(qq + (c2 * QW + j * VL) * 2);
#pragma GCC unroll 2
            for (int r = 0; r < 2; r++) {
                VI a = VIBCAST32(kq + (c2 * MR + r0 + r) * 2);
#pragma GCC unroll 4
                for (int j = 0; j < NV; j++) acc[r][j] = VIADD(acc[r][j], VIMADD(b[j], a));
            }
        }
#pragma GCC unroll 2
        for (int r = 0; r < 2; r++) {
            V kr = VBCAST(ks + r0 + r);
#pragma GCC unroll 4
            for (int j = 0; j < NV; j++) {
                V x = VMUL(VMUL(VCVT(acc[r][j]), kr), VLOAD(sq + j * VL));
                VSTORE(st + (r0 + r) * QW + j * VL, x);
                if (r0 + r < valid) mx[j] = VMAX(mx[j], x);
            }
        }
    }
}
#endif

#if VL == 8
/*
 * O^T tile from int16 codes: ot[r][..] = ot[r][..] * corr + vs[r] * sum_key vq[key][r] * pq[key][..] with the int32
 * dot products by vpmaddwd over pairs of keys (vq as [key/2][dp][2], pq as [key/2][QW][2]); vs[r] = V's scale of
 * head dimension r divided by P's code scale. Two rows at a time, as tile_s16.
 */
INLINE void tile_pv16(int bkp, const int16_t* vq, int dp, const int16_t* pq, float* ot, const V* corr, const float* vs) {
#pragma GCC unroll 2
    for (int r0 = 0; r0 < MR; r0 += 2) {
        VI acc[2][NV];
#pragma GCC unroll 2
        for (int r = 0; r < 2; r++)
#pragma GCC unroll 4
            for (int j = 0; j < NV; j++) acc[r][j] = VIZERO();
        for (int k2 = 0; k2 < bkp / 2; k2++) {
            VI b[NV];
#pragma GCC unroll 4
            for (int j = 0; j < NV; j++) b[j] = VILOAD(pq + (k2 * QW + j * VL) * 2);
#pragma GCC unroll 2
            for (int r = 0; r < 2; r++) {
                VI a = VIBCAST32(vq + ((size_t)k2 * dp + r0 + r) * 2);
#pragma GCC unroll 4
                for (int j = 0; j < NV; j++) acc[r][j] = VIADD(acc[r][j], VIMADD(b[j], a));
            }
        }
#pragma GCC unroll 2
        for (int r = 0; r < 2; r++) {
            V vr = VBCAST(vs + r0 + r);
#pragma GCC unroll 4
            for (int j = 0; j < NV; j++) {
                float* o = ot + (r0 + r) * QW + j * VL;
                VSTORE(o, VFMA(VCVT(acc[r][j]), vr, VMUL(VLOAD(o), corr[j])));
            }
        }
    }
}
#endif

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
INLINE int attn_block(const float* q, int ldq, int nq, const float* kp, const int16_t* kq, const float* ksc, int qmax,
                      const float* vp, const int16_t* vq, const float* vsc, int pqmax, int nk, int d, float scale,
                      float* out, int ldo, const int quant) {
    const int dp = (d + MR - 1) / MR * MR, dq2 = (d + 1) / 2;
    const size_t qtn = (size_t)d * QW, otn = (size_t)dp * QW, qqn = (size_t)dq2 * 2 * QW;
    float* buf = aligned_alloc(64, ((NP * (qtn + otn) + (size_t)BK * QW + 4 * NP * QW + dp) * sizeof(float)
                                    + (NP * qqn + (size_t)BK * QW) * sizeof(int16_t) + 63) / 64 * 64);
    if (!buf) return -1;
    float *qt = buf, *ot = qt + NP * qtn, *st = ot + NP * otn, *m = st + (size_t)BK * QW, *l = m + NP * QW, *sq = l + NP * QW;
    float* vs = sq + NP * QW; /* V's scales over P's code scale (int16 P.V) */
    int16_t *qq = (int16_t*)(vs + dp), *pq = qq + NP * qqn;
    const int ipv = quant && vq != NULL;
    const V pqv = VSET1((float)pqmax);
    if (ipv) for (int c = 0; c < dp; c++) vs[c] = vsc[c] / pqmax;
    const int np = (nq + QW - 1) / QW;
    for (int p = 0; p < np; p++)
        for (int c = 0; c < d; c++)
            for (int j = 0; j < QW; j++) {
                int i = p * QW + j;
                qt[p * qtn + (size_t)c * QW + j] = i < nq ? q[(size_t)i * ldq + c] : 0.0f;
            }
    if (quant) /* Q per query: symmetric, codes in [-qmax, qmax], as [c/2][QW][2] pairs (odd d: a zero pair half) */
        for (int p = 0; p < np; p++)
            for (int j = 0; j < QW; j++) {
                float amax = 0.0f;
                for (int c = 0; c < d; c++) amax = fmaxf(amax, fabsf(qt[p * qtn + (size_t)c * QW + j]));
                const float s = amax > 0.0f ? amax / qmax : 1.0f, inv = 1.0f / s;
                sq[p * QW + j] = s;
                int16_t* dst = qq + p * qqn + (size_t)j * 2;
                for (int c = 0; c < 2 * dq2; c++)
                    dst[(size_t)(c / 2) * QW * 2 + (c & 1)] = c < d ? (int16_t)lrintf(qt[p * qtn + (size_t)c * QW + j] * inv) : 0;
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
#if VL == 8
                if (quant) tile_s16(dq2, kq + (size_t)(k0 + kt) * dq2 * 2, ksc + k0 + kt, qq + p * qqn, sq + p * QW, st + kt * QW, bk - kt, mx);
                else
#endif
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
#if VL == 8
            if (ipv) { /* P as int16 codes round(p * pqmax), in key pairs [key/2][QW][2]; the sum from the same codes */
                for (int j = 0; j < NV; j++) /* column vectors outermost: few live registers, no spills */
                    for (int key = 0; key < bkp; key += 2) {
                        V r0 = VZERO(), r1 = VZERO();
                        if (key < bk) r0 = VROUND(VMUL(exp2v(VMUL(VSUB(VLOAD(st + key * QW + j * VL), mnew[j]), cv)), pqv));
                        if (key + 1 < bk) r1 = VROUND(VMUL(exp2v(VMUL(VSUB(VLOAD(st + (key + 1) * QW + j * VL), mnew[j]), cv)), pqv));
                        sum[j] = VADD(sum[j], VADD(r0, r1));
                        VI pair = _mm256_or_si256(_mm256_cvtps_epi32(r0), _mm256_slli_epi32(_mm256_cvtps_epi32(r1), 16));
                        _mm256_storeu_si256((__m256i*)(pq + ((size_t)(key / 2) * QW + j * VL) * 2), pair);
                    }
                for (int j = 0; j < NV; j++) sum[j] = VMUL(sum[j], VSET1(1.0f / pqmax));
            } else
#endif
            {
            for (int j = 0; j < NV; j++) /* column vectors outermost: few live registers, no spills */
                for (int key = 0; key < bk; key++) {
                    V e = exp2v(VMUL(VSUB(VLOAD(st + key * QW + j * VL), mnew[j]), cv));
                    VSTORE(st + key * QW + j * VL, e);
                    sum[j] = VADD(sum[j], e);
                }
            for (int key = bk; key < bkp; key++)
                for (int j = 0; j < NV; j++) VSTORE(st + key * QW + j * VL, VZERO());
            }
            float* lp = l + p * QW;
            for (int j = 0; j < NV; j++) {
                VSTORE(lp + j * VL, VFMA(VLOAD(lp + j * VL), corr[j], sum[j])); /* first block: 0 * corr + sum */
            }
            float* op = ot + p * otn;
#if VL == 8
            if (ipv)
                for (int r0 = 0; r0 < dp; r0 += MR) tile_pv16(bkp, vq + (size_t)k0 * dp + r0 * 2, dp, pq, op + (size_t)r0 * QW, corr, vs + r0);
            else
#endif
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

VDQ_API int ATTN_BLOCK(const float* q, int ldq, int nq, const float* kp, const float* vp, int nk, int d, float scale,
                       float* out, int ldo) {
    return attn_block(q, ldq, nq, kp, NULL, NULL, 0, vp, NULL, NULL, 0, nk, d, scale, out, ldo, 0);
}

#ifdef ATTN_BLOCK_Q16
/*
 * The same with S^T from int16 codes: Q quantized here per query to [-qmax, qmax], K as vdq_attn_pack_k16 left it
 * (codes kq, one scale per key ksc, the softmax scale folded in); d * qmax^2 < 2^31 (int32 sums). With vq != NULL
 * P.V is integer too: V as vdq_attn_pack_v16 left it (codes vq in [-vqmax, vqmax], scales vsc per head dimension),
 * P as codes round(p * pqmax) of the probabilities relative to the running maximum (p <= 1); 128 * pqmax * vqmax
 * < 2^31. Otherwise vp is V packed in float as for ATTN_BLOCK.
 */
VDQ_API int ATTN_BLOCK_Q16(const float* q, int ldq, int nq, const int16_t* kq, const float* ksc, int qmax, const float* vp,
                           const int16_t* vq, const float* vsc, int pqmax, int nk, int d, float* out, int ldo) {
    return attn_block(q, ldq, nq, NULL, kq, ksc, qmax, vp, vq, vsc, pqmax, nk, d, 1.0f, out, ldo, 1);
}
#endif
