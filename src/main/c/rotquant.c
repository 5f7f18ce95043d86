/*
 * ARQ's online activation path (DVD-Quant §3), fused per row: sign flips, block-diagonal normalised Walsh-Hadamard
 * transform, division by the per-block scales Λ and per-token symmetric quantization, in one pass over a row held
 * in an L1 scratch buffer. The float operations and their order are those of io.vdq.quant.Hadamard and
 * io.vdq.quant.dvd.Arq (and io.vdq.kernel.IntGemm#rotQuantizeRows), so the codes equal theirs bit for bit:
 *   x_j *= sign_j;  per Hadamard block, stages h = 1, 2, 4, ...: (a, c) -> (a + c, a - c);  x_j *= norm;
 *   v_j = x_j * inv[j / sblock];  a = max(max_j |v_j|, eps) / qmax (float);
 *   q_j = clamp(rint((double) v_j * (1.0 / (double) a)), -qmax, qmax)   (double, round half to even).
 * Every butterfly is independent of the others in its stage, so vectorising a stage does not change a result.
 */
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "vdqnative.h"

/* Copies row x (k floats) into buf, multiplies by the signs (NULL = none) and applies the blockwise FWHT. */
static void rotate_row(const float* x, int k, const float* signs, int hblock, float norm, float* buf) {
    if (signs) for (int i = 0; i < k; i++) buf[i] = x[i] * signs[i];
    else memcpy(buf, x, (size_t) k * sizeof(float));
    if (hblock <= 1) {
        /* a block of one channel: the transform is the identity times norm = 1 */
        for (int i = 0; i < k; i++) buf[i] *= norm;
        return;
    }
    for (int b0 = 0; b0 < k; b0 += hblock) {
        float* xb = buf + b0;
        int h = 1;
        if (hblock >= 8) {
            /* stages h = 1, 2, 4 inside each 8-float vector: s holds each lane's partner, the lower lane of a pair
               gets x + s (= a + c), the upper s - x (= a - c): the same two operations per butterfly */
            for (int i = 0; i < hblock; i += 8) {
                __m256 x = _mm256_loadu_ps(xb + i);
                __m256 s = _mm256_permute_ps(x, 0xB1);
                x = _mm256_blend_ps(_mm256_add_ps(x, s), _mm256_sub_ps(s, x), 0xAA);
                s = _mm256_permute_ps(x, 0x4E);
                x = _mm256_blend_ps(_mm256_add_ps(x, s), _mm256_sub_ps(s, x), 0xCC);
                s = _mm256_permute2f128_ps(x, x, 1);
                x = _mm256_blend_ps(_mm256_add_ps(x, s), _mm256_sub_ps(s, x), 0xF0);
                _mm256_storeu_ps(xb + i, x);
            }
            h = 8;
        }
        for (; h < hblock && h < 8; h <<= 1)
            for (int i = 0; i < hblock; i += h << 1)
                for (int j = i; j < i + h; j++) {
                    float a = xb[j], c = xb[j + h];
                    xb[j] = a + c;
                    xb[j + h] = a - c;
                }
        for (; h < hblock; h <<= 1)
            for (int i = 0; i < hblock; i += h << 1)
                for (int j = i; j < i + h; j += 8) {
                    __m256 a = _mm256_loadu_ps(xb + j), c = _mm256_loadu_ps(xb + j + h);
                    _mm256_storeu_ps(xb + j, _mm256_add_ps(a, c));
                    _mm256_storeu_ps(xb + j + h, _mm256_sub_ps(a, c));
                }
        const __m256 nv = _mm256_set1_ps(norm);
        int i = 0;
        for (; i + 8 <= hblock; i += 8) _mm256_storeu_ps(xb + i, _mm256_mul_ps(_mm256_loadu_ps(xb + i), nv));
        for (; i < hblock; i++) xb[i] *= norm;
    }
}

/*
 * bmax[g] = max(bmax[g], max over rows [m0, m1) and channels of block g of |rotated x|), g < k / sblock.
 * x: rows of k floats at stride ldx. Scratch is allocated per call (k floats).
 */
VDQ_API int vdq_rot_block_max(const float* x, int ldx, int k, const float* signs, int hblock, float norm, int sblock,
                              float* bmax, int m0, int m1) {
    float* buf = aligned_alloc(32, ((size_t) k * sizeof(float) + 31) & ~(size_t) 31);
    if (!buf) return -1;
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    for (int t = m0; t < m1; t++) {
        rotate_row(x + (size_t) t * ldx, k, signs, hblock, norm, buf);
        if (sblock == 1) { /* per-channel Λ: eight channels' maxima at once */
            int j = 0;
            for (; j + 8 <= k; j += 8)
                _mm256_storeu_ps(bmax + j, _mm256_max_ps(_mm256_loadu_ps(bmax + j),
                                                         _mm256_and_ps(absmask, _mm256_loadu_ps(buf + j))));
            for (; j < k; j++) { float a = fabsf(buf[j]); bmax[j] = a > bmax[j] ? a : bmax[j]; }
            continue;
        }
        for (int g = 0, j = 0; j < k; g++) {
            const int e = j + sblock;
            float mx = bmax[g];
            if (sblock >= 8) {
                __m256 mv = _mm256_setzero_ps();
                for (; j + 8 <= e; j += 8) mv = _mm256_max_ps(mv, _mm256_and_ps(absmask, _mm256_loadu_ps(buf + j)));
                float lanes[8];
                _mm256_storeu_ps(lanes, mv);
                for (int l = 0; l < 8; l++) mx = lanes[l] > mx ? lanes[l] : mx;
            }
            for (; j < e; j++) { float a = fabsf(buf[j]); mx = a > mx ? a : mx; }
            bmax[g] = mx;
        }
    }
    free(buf);
    return 0;
}

/*
 * Rows [m0, m1): rotate, scale by inv (k / sblock reciprocal block scales), quantize per token to [-qmax, qmax]
 * (see the top of this file). Writes q[row * kp ..] (zero padded to kp), scale[row] = a and
 * xsum[row * ngroups + g] (sums of the codes over groups of gs, gs = 0: one group over the row).
 */
VDQ_API int vdq_rot_quantize_rows(const float* x, int ldx, int k, int kp, const float* signs, int hblock, float norm,
                                  const float* inv, int sblock, float eps, int qmax, int gs, int ngroups,
                                  int8_t* q, float* scale, int32_t* xsum, int m0, int m1) {
    float* buf = aligned_alloc(32, ((size_t) k * sizeof(float) + 31) & ~(size_t) 31);
    if (!buf) return -1;
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    const __m256d hi = _mm256_set1_pd((double) qmax), lo = _mm256_set1_pd((double) -qmax);
    for (int t = m0; t < m1; t++) {
        rotate_row(x + (size_t) t * ldx, k, signs, hblock, norm, buf);
        __m256 mv = _mm256_setzero_ps();
        int j = 0;
        if (sblock % 8 == 0) {
            for (; j < k; j += 8) {
                __m256 v = _mm256_mul_ps(_mm256_loadu_ps(buf + j), _mm256_set1_ps(inv[j / sblock]));
                _mm256_storeu_ps(buf + j, v);
                mv = _mm256_max_ps(mv, _mm256_and_ps(absmask, v));
            }
        } else if (sblock == 1) { /* per-channel Λ */
            for (; j + 8 <= k; j += 8) {
                __m256 v = _mm256_mul_ps(_mm256_loadu_ps(buf + j), _mm256_loadu_ps(inv + j));
                _mm256_storeu_ps(buf + j, v);
                mv = _mm256_max_ps(mv, _mm256_and_ps(absmask, v));
            }
        }
        float lanes[8], mx = 0.0f;
        _mm256_storeu_ps(lanes, mv);
        for (int l = 0; l < 8; l++) mx = lanes[l] > mx ? lanes[l] : mx;
        for (; j < k; j++) {
            float v = buf[j] * inv[j / sblock];
            buf[j] = v;
            float a = fabsf(v);
            mx = a > mx ? a : mx;
        }
        const float a = (mx > eps ? mx : eps) / (float) qmax;
        scale[t] = a;
        const double ia = 1.0 / (double) a;
        const __m256d iav = _mm256_set1_pd(ia);
        int8_t* qr = q + (size_t) t * kp;
        for (j = 0; j + 4 <= k; j += 4) {
            __m256d d = _mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(buf + j)), iav);
            d = _mm256_round_pd(d, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            d = _mm256_min_pd(hi, _mm256_max_pd(lo, d));
            __m128i v = _mm256_cvtpd_epi32(d);
            __m128i w16 = _mm_packs_epi32(v, v);
            int32_t four = _mm_cvtsi128_si32(_mm_packs_epi16(w16, w16));
            memcpy(qr + j, &four, 4);
        }
        for (; j < k; j++) {
            double d = nearbyint((double) buf[j] * ia);
            d = d > qmax ? qmax : (d < -qmax ? -qmax : d);
            qr[j] = (int8_t) d;
        }
        for (; j < kp; j++) qr[j] = 0;
        const int g_len = gs > 0 ? gs : kp;
        for (int g = 0; g < ngroups; g++) {
            int from = g * g_len, to = from + g_len < kp ? from + g_len : kp;
            int32_t sum = 0;
            for (int i = from; i < to; i++) sum += qr[i];
            xsum[(size_t) t * ngroups + g] = sum;
        }
    }
    free(buf);
    return 0;
}
