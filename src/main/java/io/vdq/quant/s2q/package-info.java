/**
 * S²Q-VDiT: Hessian-aware salient data selection of calibration samples ({@link io.vdq.quant.s2q.SalientDataSelection}),
 * attention-guided token importance for sparse token distillation ({@link io.vdq.quant.s2q.TokenImportance}), and
 * the block-wise reconstruction built on them. Depends on {@code quant}, {@code model} and {@code kernel} only.
 */
package io.vdq.quant.s2q;
