package io.vdq.kernel.nat;

import io.vdq.kernel.FlashKernel;
import io.vdq.kernel.FloatMacroKernel;
import io.vdq.kernel.Int16FlashKernel;
import io.vdq.kernel.IntBackend;
import io.vdq.kernel.NativeKernels;

/**
 * This package's kernels as {@link io.vdq.kernel.ExecutionContext} reaches them (registered in
 * {@code META-INF/services/io.vdq.kernel.NativeKernels}): {@link IntKernels}' choice of integer backend and
 * {@link NativeFloatMacro}'s FP32 macro-kernel and {@link NativeAttention}'s flash attention.
 */
public final class NativeKernelsProvider implements NativeKernels {
    @Override public IntBackend intBackend(String mode) { return IntKernels.select(mode); }
    @Override public String describe(IntBackend backend) { return IntKernels.describe(backend); }
    @Override public FloatMacroKernel floatMacro(String mode, int panelWidth) { return NativeFloatMacro.loadOrNull(mode, panelWidth); }
    @Override public FlashKernel flashAttention(String mode, int vectorBits) { return NativeAttention.loadOrNull(mode, vectorBits); }
    @Override public Int16FlashKernel int16Attention(String mode) { return NativeAttention.int16OrNull(mode); }
}
