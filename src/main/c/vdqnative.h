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

#endif
