/**
 * Numerical kernels behind one interface, {@link io.vdq.kernel.KernelBackend}: scalar Java (the oracle),
 * Vector API, and native C via FFM. {@link io.vdq.kernel.Kernels} picks one at start-up
 * ({@code -Dvdq.backend=scalar|vector}); the integer kernels (Java reference and native C via FFM) sit beside them in {@code kernel.nat}. The
 * vector backend's FP32 GEMM takes its inner macro-kernel from {@code kernel.nat} when the native library loads
 * ({@link io.vdq.kernel.FloatMacroKernel}: identical bits; about 15 % faster training steps with the AVX2 kernel,
 * about 12 % faster GEMMs with the AVX-512 one, see BENCHMARKS.md), the only use of
 * {@code kernel.nat} from here. Otherwise depends only on {@code tensor}.
 */
package io.vdq.kernel;
