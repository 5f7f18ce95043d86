/**
 * Native integer GEMM kernels, AVX2 and AVX-512 VNNI ({@code src/main/c}, built by Maven into
 * {@code libvdqnative.so}) bound through FFM without jextract, and {@link io.vdq.kernel.nat.IntKernels}, which
 * picks the native kernels for the CPU or the pure-Java integer backend
 * ({@code -Dvdq.native=auto|on|avx2|avx512|off}); and {@link io.vdq.kernel.nat.NativeFloatMacro}, the C
 * macro-kernels the Vector API FP32 GEMM uses when the library is there (AVX2 for 256-bit vectors, AVX-512 for
 * 512-bit; same bits as its Java micro-kernel; {@code -Dvdq.native=off} turns them off too). Depends on {@code kernel} and {@code tensor}.
 */
package io.vdq.kernel.nat;
