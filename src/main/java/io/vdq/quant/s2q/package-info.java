/**
 * S²Q-VDiT ({@link io.vdq.quant.s2q.S2qMethod}): salient data selection over a candidate pool
 * ({@link io.vdq.quant.s2q.CandidatePool}, {@link io.vdq.quant.s2q.SalientDataSelection}), attention-guided token
 * weights ({@link io.vdq.quant.s2q.TokenImportance}) and block-wise reconstruction with learnable scales, Kronecker
 * rotations and clipping ({@link io.vdq.quant.s2q.BlockCalibrator}) followed by GPTQ. Depends on {@code quant},
 * {@code model}, {@code kernel}, {@code tensor}, the training engine {@code train} (block forward/backward) and
 * {@code quant.ckpt} (the Kronecker transform's checkpoint codec).
 */
package io.vdq.quant.s2q;
