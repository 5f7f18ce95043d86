/* Plain C scalar reference of the integer GEMM (for tests): raw N x K weights, same epilogue order. */
#include "vdqnative.h"

/*
 * y[t * ldy + o] for t < m, o < n. q: m x kp int8 activations; w: n x k raw signed weights (int8 or int4
 * values, one per byte); wscale / wzero: n x ngroups (wzero may be NULL); bias may be NULL; gs = 0: one group.
 */
VDQ_API void vdq_gemm_ref(const int8_t* q, int kp, const float* ascale, const int32_t* xsum,
                          const int8_t* w, int k, const float* wscale, const int32_t* wzero, const float* bias,
                          float* y, int ldy, int m, int n, int ngroups, int gs) {
    int g_len = gs > 0 ? gs : k;
    for (int t = 0; t < m; t++)
        for (int o = 0; o < n; o++) {
            float acc = 0.0f;
            for (int g = 0; g < ngroups; g++) {
                int from = g * g_len, to = from + g_len < k ? from + g_len : k;
                int32_t isum = 0;
                for (int j = from; j < to; j++) isum += (int32_t) q[(size_t) t * kp + j] * w[(size_t) o * k + j];
                int32_t z = wzero ? wzero[(size_t) o * ngroups + g] : 0;
                int32_t corr = (int32_t) ((uint32_t) isum - (uint32_t) z * (uint32_t) xsum[(size_t) t * ngroups + g]);
                acc += wscale[(size_t) o * ngroups + g] * (float) corr;
            }
            float r = ascale[t] * acc;
            if (bias) r += bias[o];
            y[(size_t) t * ldy + o] = r;
        }
}
