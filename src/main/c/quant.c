/* Per-token dynamic symmetric activation quantizer: float row -> int8 + scale + group sums. */
#include <immintrin.h>
#include <math.h>
#include "vdqnative.h"

/*
 * For rows [m0, m1): scale = max|x| / qmax; q = clamp(rint(x / scale), -qmax, qmax) with round half to even
 * (Math.rint); a row of zeros gets scale 0 and q = 0. Writes q[row * kp ..] (zero padding up to kp),
 * scale[row] and xsum[row * ngroups + g]. gs = 0 means one group over the whole row.
 */
VDQ_API void vdq_quantize_rows(const float* x, int ldx, int k, int kp, int qmax, int gs, int ngroups,
                               int8_t* q, float* scale, int32_t* xsum, int m0, int m1) {
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    const __m256 hi = _mm256_set1_ps((float) qmax), lo = _mm256_set1_ps((float) -qmax);
    for (int t = m0; t < m1; t++) {
        const float* xr = x + (size_t) t * ldx;
        int8_t* qr = q + (size_t) t * kp;
        __m256 mv = _mm256_setzero_ps();
        int i = 0;
        for (; i + 8 <= k; i += 8) mv = _mm256_max_ps(mv, _mm256_and_ps(absmask, _mm256_loadu_ps(xr + i)));
        float lanes[8];
        _mm256_storeu_ps(lanes, mv);
        float maxabs = 0.0f;
        for (int j = 0; j < 8; j++) maxabs = lanes[j] > maxabs ? lanes[j] : maxabs;
        for (; i < k; i++) { float a = fabsf(xr[i]); maxabs = a > maxabs ? a : maxabs; }
        float s = maxabs / (float) qmax;
        scale[t] = s;
        if (s == 0.0f) {
            for (i = 0; i < kp; i++) qr[i] = 0;
        } else {
            const __m256 sv = _mm256_set1_ps(s);
            for (i = 0; i + 8 <= k; i += 8) {
                __m256 r = _mm256_round_ps(_mm256_div_ps(_mm256_loadu_ps(xr + i), sv),
                                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
                __m256i v = _mm256_cvttps_epi32(_mm256_min_ps(hi, _mm256_max_ps(lo, r)));
                __m128i w16 = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
                _mm_storel_epi64((__m128i*) (qr + i), _mm_packs_epi16(w16, w16));
            }
            for (; i < k; i++) {
                float r = nearbyintf(xr[i] / s);
                r = r > (float) qmax ? (float) qmax : (r < (float) -qmax ? (float) -qmax : r);
                qr[i] = (int8_t) r;
            }
            for (; i < kp; i++) qr[i] = 0;
        }
        int g_len = gs > 0 ? gs : kp;
        for (int g = 0; g < ngroups; g++) {
            int from = g * g_len, to = from + g_len < kp ? from + g_len : kp;
            int32_t sum = 0;
            for (int j = from; j < to; j++) sum += qr[j];
            xsum[(size_t) t * ngroups + g] = sum;
        }
    }
}
