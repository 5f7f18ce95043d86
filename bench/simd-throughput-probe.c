/*
 * Vector-instruction throughput probe (issue #29 item 3, on the Zen 5 host): how many 256-bit integer multiplies
 * (vpmaddubsw, vpmaddwd, vpmullw, vpmulhrsw), vpsignb, adds and FMAs one core retires per cycle, and the MAC rate of
 * the bare inner-loop mixes of the W8A8 "sign" scheme (sign + maddubs + madd + add per 32 MACs), of the W4 scheme
 * (maddubs + addw per 32 MACs) and of the int16 scheme (madd + add per 16 MACs). 12 independent registers per
 * instruction, so latency does not bound it; per CPU-second. The clock is estimated from one dependent vpaddd chain,
 * which assumes a 1-cycle vpaddd: on Zen 5 that latency is 2 cycles, so there every "per cycle" figure printed is
 * twice the true one (the FMA line, 2 per cycle on every AVX2 core we know, is the check).
 * Build and run: gcc -O2 -mavx2 -mfma -o /tmp/simd-tp bench/simd-throughput-probe.c && /tmp/simd-tp
 */
#include <stdio.h>
#include <time.h>
static double cpu(void){struct timespec a;clock_gettime(CLOCK_THREAD_CPUTIME_ID,&a);return a.tv_sec+a.tv_nsec*1e-9;}
#define N 400000000L
/* throughput of one instruction: 12 independent registers, unrolled in asm */
#define T(name, ins) static double name(void){ double t=cpu(); for(long i=0;i<N/12;i++){ __asm__ volatile( \
 ins " %%ymm15,%%ymm0,%%ymm0\n\t" ins " %%ymm15,%%ymm1,%%ymm1\n\t" ins " %%ymm15,%%ymm2,%%ymm2\n\t" ins " %%ymm15,%%ymm3,%%ymm3\n\t" \
 ins " %%ymm15,%%ymm4,%%ymm4\n\t" ins " %%ymm15,%%ymm5,%%ymm5\n\t" ins " %%ymm15,%%ymm6,%%ymm6\n\t" ins " %%ymm15,%%ymm7,%%ymm7\n\t" \
 ins " %%ymm15,%%ymm8,%%ymm8\n\t" ins " %%ymm15,%%ymm9,%%ymm9\n\t" ins " %%ymm15,%%ymm10,%%ymm10\n\t" ins " %%ymm15,%%ymm11,%%ymm11\n\t" \
 ::: "xmm0","xmm1","xmm2","xmm3","xmm4","xmm5","xmm6","xmm7","xmm8","xmm9","xmm10","xmm11"); } return N/(cpu()-t)/1e9; }
T(vfma,"vfmadd231ps") 
#undef T
#define T(name, ins) static double name(void){ double t=cpu(); for(long i=0;i<N/12;i++){ __asm__ volatile( \
 ins " %%ymm15,%%ymm0,%%ymm0\n\t" ins " %%ymm15,%%ymm1,%%ymm1\n\t" ins " %%ymm15,%%ymm2,%%ymm2\n\t" ins " %%ymm15,%%ymm3,%%ymm3\n\t" \
 ins " %%ymm15,%%ymm4,%%ymm4\n\t" ins " %%ymm15,%%ymm5,%%ymm5\n\t" ins " %%ymm15,%%ymm6,%%ymm6\n\t" ins " %%ymm15,%%ymm7,%%ymm7\n\t" \
 ins " %%ymm15,%%ymm8,%%ymm8\n\t" ins " %%ymm15,%%ymm9,%%ymm9\n\t" ins " %%ymm15,%%ymm10,%%ymm10\n\t" ins " %%ymm15,%%ymm11,%%ymm11\n\t" \
 ::: "xmm0","xmm1","xmm2","xmm3","xmm4","xmm5","xmm6","xmm7","xmm8","xmm9","xmm10","xmm11"); } return N/(cpu()-t)/1e9; }
T(maddubs,"vpmaddubsw") T(madd,"vpmaddwd") T(sign,"vpsignb") T(addd,"vpaddd") T(addw,"vpaddw") T(pand,"vpand") T(mull,"vpmullw") T(mulhrs,"vpmulhrsw") 
static double chain(void){ double t=cpu(); for(long i=0;i<N/12;i++){ __asm__ volatile(
 "vpaddd %%ymm15,%%ymm0,%%ymm0\n\tvpaddd %%ymm15,%%ymm0,%%ymm0\n\tvpaddd %%ymm15,%%ymm0,%%ymm0\n\tvpaddd %%ymm15,%%ymm0,%%ymm0\n\t"
 "vpaddd %%ymm15,%%ymm0,%%ymm0\n\tvpaddd %%ymm15,%%ymm0,%%ymm0\n\tvpaddd %%ymm15,%%ymm0,%%ymm0\n\tvpaddd %%ymm15,%%ymm0,%%ymm0\n\t"
 "vpaddd %%ymm15,%%ymm0,%%ymm0\n\tvpaddd %%ymm15,%%ymm0,%%ymm0\n\tvpaddd %%ymm15,%%ymm0,%%ymm0\n\tvpaddd %%ymm15,%%ymm0,%%ymm0\n\t" ::: "xmm0"); } return N/(cpu()-t)/1e9; }
/* mixes: sign scheme step (per 2 vectors): sign,sign,maddubs,maddubs,madd,madd,add,add (+abs shared) */
static double mix_sign(void){ double t=cpu(); for(long i=0;i<N/12;i++){ __asm__ volatile(
 "vpsignb %%ymm15,%%ymm12,%%ymm0\n\tvpsignb %%ymm15,%%ymm13,%%ymm1\n\tvpmaddubsw %%ymm0,%%ymm14,%%ymm0\n\tvpmaddubsw %%ymm1,%%ymm14,%%ymm1\n\t"
 "vpmaddwd %%ymm0,%%ymm15,%%ymm0\n\tvpmaddwd %%ymm1,%%ymm15,%%ymm1\n\tvpaddd %%ymm0,%%ymm2,%%ymm2\n\tvpaddd %%ymm1,%%ymm3,%%ymm3\n\t"
 "vpsignb %%ymm15,%%ymm12,%%ymm4\n\tvpsignb %%ymm15,%%ymm13,%%ymm5\n\tvpmaddubsw %%ymm4,%%ymm14,%%ymm4\n\tvpmaddubsw %%ymm5,%%ymm14,%%ymm5\n\t"
 "vpmaddwd %%ymm4,%%ymm15,%%ymm4\n\tvpmaddwd %%ymm5,%%ymm15,%%ymm5\n\tvpaddd %%ymm4,%%ymm6,%%ymm6\n\tvpaddd %%ymm5,%%ymm7,%%ymm7\n\t"
 "vpsignb %%ymm15,%%ymm12,%%ymm8\n\tvpsignb %%ymm15,%%ymm13,%%ymm9\n\tvpmaddubsw %%ymm8,%%ymm14,%%ymm8\n\tvpmaddubsw %%ymm9,%%ymm14,%%ymm9\n\t"
 "vpmaddwd %%ymm8,%%ymm15,%%ymm8\n\tvpmaddwd %%ymm9,%%ymm15,%%ymm9\n\tvpaddd %%ymm8,%%ymm10,%%ymm10\n\tvpaddd %%ymm9,%%ymm11,%%ymm11\n\t"
 ::: "xmm0","xmm1","xmm2","xmm3","xmm4","xmm5","xmm6","xmm7","xmm8","xmm9","xmm10","xmm11"); } return N/12.0*6*32/(cpu()-t)/1e9; }
/* nibble/W4-style step: maddubs + addw per 32 MACs */
static double mix_w4(void){ double t=cpu(); for(long i=0;i<N/12;i++){ __asm__ volatile(
 "vpmaddubsw %%ymm15,%%ymm12,%%ymm0\n\tvpaddw %%ymm0,%%ymm1,%%ymm1\n\tvpmaddubsw %%ymm15,%%ymm13,%%ymm2\n\tvpaddw %%ymm2,%%ymm3,%%ymm3\n\t"
 "vpmaddubsw %%ymm15,%%ymm12,%%ymm4\n\tvpaddw %%ymm4,%%ymm5,%%ymm5\n\tvpmaddubsw %%ymm15,%%ymm13,%%ymm6\n\tvpaddw %%ymm6,%%ymm7,%%ymm7\n\t"
 "vpmaddubsw %%ymm15,%%ymm12,%%ymm8\n\tvpaddw %%ymm8,%%ymm9,%%ymm9\n\tvpmaddubsw %%ymm15,%%ymm13,%%ymm10\n\tvpaddw %%ymm10,%%ymm11,%%ymm11\n\t"
 ::: "xmm0","xmm1","xmm2","xmm3","xmm4","xmm5","xmm6","xmm7","xmm8","xmm9","xmm10","xmm11"); } return N/12.0*6*32/(cpu()-t)/1e9; }
/* s16 madd scheme: madd + addd per 16 MACs */
static double mix_s16(void){ double t=cpu(); for(long i=0;i<N/12;i++){ __asm__ volatile(
 "vpmaddwd %%ymm15,%%ymm12,%%ymm0\n\tvpaddd %%ymm0,%%ymm1,%%ymm1\n\tvpmaddwd %%ymm15,%%ymm13,%%ymm2\n\tvpaddd %%ymm2,%%ymm3,%%ymm3\n\t"
 "vpmaddwd %%ymm15,%%ymm12,%%ymm4\n\tvpaddd %%ymm4,%%ymm5,%%ymm5\n\tvpmaddwd %%ymm15,%%ymm13,%%ymm6\n\tvpaddd %%ymm6,%%ymm7,%%ymm7\n\t"
 "vpmaddwd %%ymm15,%%ymm12,%%ymm8\n\tvpaddd %%ymm8,%%ymm9,%%ymm9\n\tvpmaddwd %%ymm15,%%ymm13,%%ymm10\n\tvpaddd %%ymm10,%%ymm11,%%ymm11\n\t"
 ::: "xmm0","xmm1","xmm2","xmm3","xmm4","xmm5","xmm6","xmm7","xmm8","xmm9","xmm10","xmm11"); } return N/12.0*6*16/(cpu()-t)/1e9; }
int main(){ for(int r=0;r<2;r++){ double g=chain();
 printf("GHz(add chain) %.2f | instr/cycle: fma %.2f maddubs %.2f madd %.2f sign %.2f addd %.2f addw %.2f and %.2f mullw %.2f mulhrs %.2f | MACs/cycle: sign-scheme %.1f w4-scheme %.1f s16-scheme %.1f (fp32 = %.1f)\n",
 g, vfma()/g, maddubs()/g, madd()/g, sign()/g, addd()/g, addw()/g, pand()/g, mull()/g, mulhrs()/g, mix_sign()/g, mix_w4()/g, mix_s16()/g, vfma()/g*8);}}
