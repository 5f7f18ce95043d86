package io.vdq.model.vae;

import io.vdq.model.vae.Layers.Attention;
import io.vdq.model.vae.Layers.FrameCache;
import io.vdq.model.vae.Layers.ResBlock;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code WanDecoder3d} (+ {@code post_quant_conv}): conv_in, mid block (res, attention, res), one up block per
 * {@code dim_mult} entry (num_res_blocks + 1 residual blocks, then an upsampler except in the last), RMS norm,
 * SiLU, conv_out to RGB. Run one latent frame at a time with a {@link FrameCache}: the first latent frame gives
 * one video frame, each later one 2^(temporal ups) frames.
 */
final class Decoder {
    final WanVaeConfig cfg;
    final Conv postQuant, convIn, convOut;
    final ResBlock mid0, mid1;
    final Attention midAttn;
    final List<List<ResBlock>> ups = new ArrayList<>();
    final List<Resample> upsamplers = new ArrayList<>();
    final float[] normOut;
    final int outDim;

    Decoder(WanVaeConfig cfg, Params p) {
        this.cfg = cfg;
        int[] mult = cfg.dimMult();
        int n = mult.length;
        int[] dims = new int[n + 1];
        dims[0] = cfg.baseDim() * mult[n - 1];
        for (int i = 0; i < n; i++) dims[i + 1] = cfg.baseDim() * mult[n - 1 - i];
        boolean[] tup = cfg.temperalUpsample();
        postQuant = Conv.causal3d(p, "post_quant_conv", cfg.zDim(), cfg.zDim(), 1, 1);
        convIn = Conv.causal3d(p, "decoder.conv_in", dims[0], cfg.zDim(), 3, 3);
        mid0 = new ResBlock(p, "decoder.mid_block.resnets.0", dims[0], dims[0]);
        midAttn = new Attention(p, "decoder.mid_block.attentions.0", dims[0]);
        mid1 = new ResBlock(p, "decoder.mid_block.resnets.1", dims[0], dims[0]);
        int out = dims[0];
        for (int i = 0; i < n; i++) {
            int in = i > 0 ? dims[i] / 2 : dims[i];
            out = dims[i + 1];
            List<ResBlock> rs = new ArrayList<>();
            for (int j = 0; j <= cfg.numResBlocks(); j++) {
                rs.add(new ResBlock(p, "decoder.up_blocks." + i + ".resnets." + j, in, out));
                in = out;
            }
            ups.add(rs);
            upsamplers.add(i == n - 1 ? null : new Resample(p, "decoder.up_blocks." + i + ".upsamplers.0", out,
                    tup[i] ? Resample.Mode.UP3D : Resample.Mode.UP2D));
        }
        outDim = out;
        normOut = p.take("decoder.norm_out.gamma", out, 1, 1, 1);
        convOut = Conv.causal3d(p, "decoder.conv_out", 3, out, 3, 3);
    }

    /** One chunk of latent frames ({@code [z][h][w]} each, before post_quant_conv) → RGB frames, not clamped. */
    List<float[]> chunk(List<float[]> z, FrameCache cache, int h, int w) {
        List<float[]> x = postQuant.apply(z, h, w);
        x = Layers.causal(convIn, x, cache, h, w);
        x = mid0.forward(x, cache, h, w);
        x = midAttn.forward(x, h, w);
        x = mid1.forward(x, cache, h, w);
        for (int i = 0; i < ups.size(); i++) {
            for (ResBlock r : ups.get(i)) x = r.forward(x, cache, h, w);
            Resample u = upsamplers.get(i);
            if (u != null) { x = u.forward(x, cache, h, w); h *= 2; w *= 2; }
        }
        x = Layers.rmsNormAll(x, outDim, h * w, normOut, true);
        return Layers.causal(convOut, x, cache, h, w);
    }
}
