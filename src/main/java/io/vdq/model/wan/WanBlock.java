package io.vdq.model.wan;

import io.vdq.kernel.KernelBackend;
import io.vdq.kernel.Kernels;
import io.vdq.model.AttentionKernel;
import io.vdq.model.Linear;
import io.vdq.tensor.Parallel;

/**
 * One {@code WanTransformerBlock}: modulated self-attention with QK RMSNorm across heads and 3D RoPE, affine-norm
 * cross-attention to the text, modulated GELU-tanh feed-forward; the three residuals in float32 as diffusers does.
 * The ten linears are indexed as in {@link WanParameters#BLOCK_LINEARS}.
 */
final class WanBlock {
    static final int Q1 = 0, K1 = 1, V1 = 2, O1 = 3, Q2 = 4, K2 = 5, V2 = 6, O2 = 7, FF1 = 8, FF2 = 9;

    final Linear[] linears = new Linear[10];
    final float[] scaleShiftTable; // 6 × dim: shift, scale, gate (attention); c_shift, c_scale, c_gate (ffn)
    final float[] normQ1, normK1, normQ2, normK2;
    final float[] norm2Weight, norm2Bias; // null without cross_attn_norm
    private final WanConfig c;
    /** Self-attention kernel replacing the backend's (int8 attention), or null. */
    volatile AttentionKernel selfAttention;

    WanBlock(WanConfig c, float[] scaleShiftTable, float[] normQ1, float[] normK1, float[] normQ2, float[] normK2,
             float[] norm2Weight, float[] norm2Bias) {
        this.c = c;
        this.scaleShiftTable = scaleShiftTable;
        this.normQ1 = normQ1;
        this.normK1 = normK1;
        this.normQ2 = normQ2;
        this.normK2 = normK2;
        this.norm2Weight = norm2Weight;
        this.norm2Bias = norm2Bias;
    }

    /** Scratch buffers sized for one forward (tokens n, text length l). */
    static final class Workspace {
        final float[] norm, q, k, v, attn, out, ffn, kText, vText;

        Workspace(WanConfig c, int n, int l) {
            int d = c.dim();
            norm = new float[n * d];
            q = new float[n * d];
            k = new float[n * d];
            v = new float[n * d];
            attn = new float[n * d];
            out = new float[n * d];
            ffn = new float[n * c.ffnDim()];
            kText = new float[l * d];
            vText = new float[l * d];
        }
    }

    /**
     * Runs the block in place on {@code h} ({@code n × dim}); {@code ctx} is the projected text ({@code l × dim}),
     * {@code tproj} the timestep projection ({@code 6 × dim}).
     */
    void forward(float[] h, int n, float[] ctx, int l, float[] tproj, WanRope.Table rope, Workspace ws) {
        KernelBackend kb = Kernels.get();
        int d = c.dim();
        float[] mod = new float[6 * d];
        for (int i = 0; i < 6 * d; i++) mod[i] = scaleShiftTable[i] + tproj[i];

        // 1. self-attention
        kb.layerNorm(h, 0, ws.norm, 0, n, d, null, null, c.eps());
        modulate(ws.norm, n, d, mod, 0, d);
        linears[Q1].forward(ws.norm, 0, n, ws.q, 0);
        linears[K1].forward(ws.norm, 0, n, ws.k, 0);
        linears[V1].forward(ws.norm, 0, n, ws.v, 0);
        rmsNormAcrossHeads(ws.q, n, d, normQ1, c.eps());
        rmsNormAcrossHeads(ws.k, n, d, normK1, c.eps());
        kb.rope(ws.q, 0, n, c.numAttentionHeads(), c.attentionHeadDim(), d, rope.cos(), rope.sin());
        kb.rope(ws.k, 0, n, c.numAttentionHeads(), c.attentionHeadDim(), d, rope.cos(), rope.sin());
        float scale = (float) (1.0 / Math.sqrt(c.attentionHeadDim()));
        AttentionKernel sa = selfAttention;
        if (sa != null) sa.attention(ws.q, 0, d, ws.k, 0, d, ws.v, 0, d, ws.attn, 0, d, n, n, c.numAttentionHeads(), c.attentionHeadDim(), scale);
        else kb.attention(ws.q, 0, d, ws.k, 0, d, ws.v, 0, d, ws.attn, 0, d, n, n, c.numAttentionHeads(), c.attentionHeadDim(), scale);
        linears[O1].forward(ws.attn, 0, n, ws.out, 0);
        gatedResidual(h, ws.out, n, d, mod, 2 * d);

        // 2. cross-attention (no modulation, no gate)
        if (norm2Weight != null) kb.layerNorm(h, 0, ws.norm, 0, n, d, norm2Weight, norm2Bias, c.eps());
        else System.arraycopy(h, 0, ws.norm, 0, n * d);
        linears[Q2].forward(ws.norm, 0, n, ws.q, 0);
        linears[K2].forward(ctx, 0, l, ws.kText, 0);
        linears[V2].forward(ctx, 0, l, ws.vText, 0);
        rmsNormAcrossHeads(ws.q, n, d, normQ2, c.eps());
        rmsNormAcrossHeads(ws.kText, l, d, normK2, c.eps());
        kb.attention(ws.q, 0, d, ws.kText, 0, d, ws.vText, 0, d, ws.attn, 0, d, n, l, c.numAttentionHeads(), c.attentionHeadDim(), scale);
        linears[O2].forward(ws.attn, 0, n, ws.out, 0);
        kb.add(h, 0, ws.out, 0, h, 0, n * d);

        // 3. feed-forward
        kb.layerNorm(h, 0, ws.norm, 0, n, d, null, null, c.eps());
        modulate(ws.norm, n, d, mod, 3 * d, 4 * d);
        linears[FF1].forward(ws.norm, 0, n, ws.ffn, 0);
        kb.geluTanh(ws.ffn, 0, n * c.ffnDim());
        linears[FF2].forward(ws.ffn, 0, n, ws.out, 0);
        gatedResidual(h, ws.out, n, d, mod, 5 * d);
    }

    /**
     * Wan's QK-norm ("rms_norm_across_heads"): one RMSNorm over the whole inner dimension of each token, all
     * heads together, before the heads are split; in place.
     */
    static void rmsNormAcrossHeads(float[] x, int rows, int dim, float[] weight, float eps) {
        Kernels.get().rmsNorm(x, 0, x, 0, rows, dim, weight, eps);
    }

    /** x ← x·(1 + scale) + shift per row; shift at {@code mod[shiftOff..]}, scale at {@code mod[scaleOff..]}. */
    static void modulate(float[] x, int rows, int d, float[] mod, int shiftOff, int scaleOff) {
        Parallel.range(rows, (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * d;
                for (int j = 0; j < d; j++) x[o + j] = x[o + j] * (1f + mod[scaleOff + j]) + mod[shiftOff + j];
            }
        });
    }

    /** h ← h + y·gate per row; gate at {@code mod[gateOff..]}. */
    static void gatedResidual(float[] h, float[] y, int rows, int d, float[] mod, int gateOff) {
        Parallel.range(rows, (from, to) -> {
            for (int r = from; r < to; r++) {
                int o = r * d;
                for (int j = 0; j < d; j++) h[o + j] += y[o + j] * mod[gateOff + j];
            }
        });
    }
}
