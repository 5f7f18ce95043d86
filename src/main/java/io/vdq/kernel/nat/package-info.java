/**
 * Native AVX2 integer GEMM kernels ({@code src/main/c}, built by Maven into {@code libvdqnative.so}) bound
 * through FFM without jextract, and {@link io.vdq.kernel.nat.IntKernels}, which picks the native or the
 * pure-Java integer backend ({@code -Dvdq.native=off|on|auto}); and {@link io.vdq.kernel.nat.NativeFloatMacro}, the C
 * macro-kernel the Vector API FP32 GEMM uses when the library is there (same bits as its Java micro-kernel;
 * {@code -Dvdq.native=off} turns it off too). Depends on {@code kernel} and {@code tensor}.
 */
package io.vdq.kernel.nat;
