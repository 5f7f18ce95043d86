/*
 * vdq native kernels (libvdqnative.so), called from Java through FFM (io.vdq.kernel.nat): the integer GEMMs
 * (AVX2: gemm_avx2.c; AVX-512 VNNI: gemm_avx512.c, same packed weights and bits) and quantizers, and two FP32
 * macro-kernels (sgemm_avx2.c for 16-column panels, sgemm_avx512.c for 32-column panels; documented there).
 *
 * Conventions shared by every integer function (the Java side, io.vdq.kernel.IntGemm, is the reference):
 *  - K is padded to kp = round_up(k, 4); padded activations and weights are zero.
 *  - Activations: int8 rows of stride kp, values in [-qmax, qmax] (qmax = 127 or 7); one float scale per row;
 *    xsum[row * ngroups + g] = sum of the row's quantized values over group g.
 *  - Groups: group g covers k in [g*gs, min((g+1)*gs, k)); gs is a multiple of 4 (per channel: one group).
 *  - Epilogue, per output (t, o), in exactly this order (float32, no FMA contraction):
 *        acc = 0; for g: acc += wscale[o][g] * (float)(isum_g - wzero[o][g] * xsum[t][g]);
 *        y = ascale[t] * acc; if (bias) y += bias[o];
 *    where isum_g is the int32 dot product over group g and wzero the (signed-domain) weight zero point.
 */
#ifndef VDQNATIVE_H
#define VDQNATIVE_H
#include <stdint.h>
#include <stddef.h>

#define VDQ_API __attribute__((visibility("default")))
#define VDQ_NR 16   /* output columns per packed panel */
#define VDQ_MR 4    /* activation rows per register tile (AVX2; gemm_avx512.c uses 8) */
#define VDQ_KU 4    /* k step: kp is a multiple of it */

/* Every exported function, declared once here (each .c file includes this header, so gcc checks the definitions
 * against these; the FFM bindings in io.vdq.kernel.nat.NativeLibrary follow the same signatures). */

/* pack.c: weight packing into 16-column panels, and the ABI version the Java side checks. */
VDQ_API void vdq_pack_w8(const int8_t* w, int n, int k, int kp, int8_t* out);
VDQ_API void vdq_pack_w4(const int8_t* w, int n, int k, int kp, uint8_t* out);
VDQ_API int vdq_abi_version(void);

/* quant.c: per-row dynamic activation quantization (rows m0..m1). */
VDQ_API void vdq_quantize_rows(const float* x, int ldx, int k, int kp, int qmax, int gs, int ngroups,
                               int8_t* q, float* scale, int32_t* xsum, int m0, int m1);

/* rotquant.c: ARQ's rotated activations, block maxima and quantization (0 on success). */
VDQ_API int vdq_rot_block_max(const float* x, int ldx, int k, const float* signs, int hblock, float norm, int sblock,
                              float* bmax, int m0, int m1);
VDQ_API int vdq_rot_quantize_rows(const float* x, int ldx, int k, int kp, const float* signs, int hblock, float norm,
                                  const float* inv, int sblock, float eps, int qmax, int gs, int ngroups,
                                  int8_t* q, float* scale, int32_t* xsum, int m0, int m1);

/* ref.c: the scalar reference integer GEMM (unpacked weights). */
VDQ_API void vdq_gemm_ref(const int8_t* q, int kp, const float* ascale, const int32_t* xsum,
                          const int8_t* w, int k, const float* wscale, const int32_t* wzero, const float* bias,
                          float* y, int ldy, int m, int n, int ngroups, int gs);

/* gemm_avx2.c / gemm_avx512.c: integer GEMMs on packed weights, rows m0..m1 and columns n0..n1. */
VDQ_API void vdq_gemm_w8a8_avx2(const int8_t* q, const float* ascale, const int32_t* xsum, const int8_t* wpack,
                                const float* wsp, const int32_t* wzp, const float* biasp, float* y, int ldy, int kp,
                                int ngroups, int gunits, int chunk, int m0, int m1, int n0, int n1);
VDQ_API void vdq_gemm_w4_avx2(const int8_t* q, const float* ascale, const int32_t* xsum, const uint8_t* wpack,
                              const float* wsp, const int32_t* wzp, const float* biasp, float* y, int ldy, int kp,
                              int ngroups, int gunits, int chunk, int m0, int m1, int n0, int n1);
VDQ_API void vdq_gemm_w8a8_avx512(const int8_t* q, const float* ascale, const int32_t* xsum, const int8_t* wpack,
                                  const float* wsp, const int32_t* wzp, const float* biasp, float* y, int ldy, int kp,
                                  int ngroups, int gunits, int chunk, int m0, int m1, int n0, int n1);
VDQ_API void vdq_gemm_w4_avx512(const int8_t* q, const float* ascale, const int32_t* xsum, const uint8_t* wpack,
                                const float* wsp, const int32_t* wzp, const float* biasp, float* y, int ldy, int kp,
                                int ngroups, int gunits, int chunk, int m0, int m1, int n0, int n1);

/* sgemm_avx2.c / sgemm_avx512.c: FP32 macro-kernels over packed A and 16- / 32-column B panels p0..p1. */
VDQ_API void vdq_sgemm_macro(const float* ap, int mc, int kc, const float* bp, int p0, int p1, int n,
                             float* c, int ldc, int load);
VDQ_API void vdq_sgemm_macro_avx512(const float* ap, int mc, int kc, const float* bp, int p0, int p1, int n,
                                    float* c, int ldc, int load);
/* sgemm_avx2.c (SSE only): the A block [mc, kc] (row stride lda) into the 4-row panels both macro-kernels read. */
VDQ_API void vdq_sgemm_pack_a(const float* a, int lda, int mc, int kc, float* ap);

/* attention_avx2.c / attention_avx512.c (body attention_impl.h): FP32 flash attention, one head and one block of
 * up to 96 queries per call (0, or -1 when out of memory), over K and V packed per head by vdq_attn_pack_kv
 * (key panels [p0, p1) of mr keys: 4 for the AVX2 kernel, 8 for the AVX-512 one). */
VDQ_API void vdq_attn_pack_kv(const float* k, int ldk, const float* v, int ldv, int nk, int d, int mr, float* kp, float* vp,
                              int p0, int p1);
VDQ_API int vdq_attn_block_avx2(const float* q, int ldq, int nq, const float* kp, const float* vp, int nk, int d,
                                float scale, float* out, int ldo);
/* The reduced-precision variant (attention_avx2.c): Q.K^T from int16 codes by vpmaddwd (K smoothed by its per-channel
 * mean and quantized per key by vdq_attn_pack_k16, Q per query inside the call), softmax as above, P.V in float or
 * (vq != NULL) from int16 codes of P and of V (vdq_attn_pack_v16). */
VDQ_API void vdq_attn_kmean(const float* k, int ldk, int nk, int d, float* mean);
VDQ_API void vdq_attn_pack_k16(const float* k, int ldk, int nk, int d, int mr, int qmax, float scale, const float* mean,
                               int16_t* kq, float* ksc, int p0, int p1);
VDQ_API void vdq_attn_pack_v16(const float* v, int ldv, int nk, int d, int mr, int vqmax, int16_t* vq, float* vsc);
VDQ_API int vdq_attn_block_q16_avx2(const float* q, int ldq, int nq, const int16_t* kq, const float* ksc, int qmax,
                                    const float* vp, const int16_t* vq, const float* vsc, int pqmax, int nk, int d,
                                    float* out, int ldo);
VDQ_API int vdq_attn_block_avx512(const float* q, int ldq, int nq, const float* kp, const float* vp, int nk, int d,
                                  float scale, float* out, int ldo);

#endif
