/**
 * Numerical kernels behind one interface, {@link io.vdq.kernel.KernelBackend}: scalar Java (the oracle) and the
 * Vector API; the integer kernels ({@link io.vdq.kernel.IntBackend}: the Java reference here, the native C ones in
 * {@code kernel.nat}). {@link io.vdq.kernel.ExecutionContext} is the one place that chooses, once, the float backend
 * ({@code -Dvdq.backend=scalar|vector}), the integer backend ({@code -Dvdq.native}) and whether quantized layers run
 * on the integer kernels or as fake-quant ({@code -Dvdq.quant.exec}); every caller asks it. The native kernels and the
 * vector backend's native FP32 macro-kernel ({@link io.vdq.kernel.FloatMacroKernel}: identical bits; about 15 %
 * faster training steps with the AVX2 kernel, about 12 % faster GEMMs with the AVX-512 one, see BENCHMARKS.md) reach
 * it through {@link io.vdq.kernel.NativeKernels}, which {@code kernel.nat} registers: this package names no class of
 * {@code kernel.nat}. Otherwise depends only on {@code tensor}.
 */
package io.vdq.kernel;
