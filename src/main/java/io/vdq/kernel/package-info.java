/**
 * Numerical kernels behind one interface, {@link io.vdq.kernel.KernelBackend}: scalar Java (the oracle),
 * Vector API, and native C via FFM. {@link io.vdq.kernel.Kernels} picks one at start-up
 * ({@code -Dvdq.backend=scalar|vector}); the integer kernels (Java reference and native C via FFM) sit beside them in {@code kernel.nat}. Depends only on {@code tensor}.
 */
package io.vdq.kernel;
