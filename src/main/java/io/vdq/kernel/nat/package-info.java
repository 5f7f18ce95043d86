/**
 * The FFM bindings of the native kernels ({@code src/main/c}, built by Maven into {@code libvdqnative.so}, bound
 * without jextract; prototypes in {@code vdqnative.h}): the integer GEMMs, AVX2 and AVX-512 VNNI, with
 * {@link io.vdq.kernel.nat.IntKernels}' choice among them and the Java reference for a {@code -Dvdq.native} mode
 * ({@code auto|on|avx2|avx512|off}); {@link io.vdq.kernel.nat.NativeFloatMacro}, the C macro-kernels the Vector API
 * FP32 GEMM uses when the library is there (AVX2 for 256-bit vectors, AVX-512 for 512-bit; same bits as its Java
 * micro-kernel; {@code -Dvdq.native=off} turns them off too); and the system OpenBLAS for {@code vdq bench gemm
 * --anchor}. {@link io.vdq.kernel.nat.NativeKernelsProvider} hands them to {@link io.vdq.kernel.ExecutionContext}
 * (a service), so only {@code kernel.nat} itself and the benchmark commands name them. Depends on {@code kernel} and
 * {@code tensor}.
 */
package io.vdq.kernel.nat;
