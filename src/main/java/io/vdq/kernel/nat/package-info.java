/**
 * Native integer GEMM kernels, AVX2 and AVX-512 VNNI ({@code src/main/c}, built by Maven into
 * {@code libvdqnative.so}) bound through FFM without jextract, and {@link io.vdq.kernel.nat.IntKernels}, which
 * picks the native kernels for the CPU or the pure-Java integer backend
 * ({@code -Dvdq.native=auto|on|avx2|avx512|off}); and {@link io.vdq.kernel.nat.NativeFloatMacro}, the C
 * macro-kernel the Vector API FP32 GEMM uses when the library is there (same bits as its Java micro-kernel;
 * {@code -Dvdq.native=off} turns it off too). Depends on {@code kernel} and {@code tensor}.
 */
package io.vdq.kernel.nat;
