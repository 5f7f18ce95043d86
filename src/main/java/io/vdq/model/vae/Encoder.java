package io.vdq.model.vae;

import io.vdq.model.vae.Layers.Attention;
import io.vdq.model.vae.Layers.FrameCache;
import io.vdq.model.vae.Layers.ResBlock;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code WanEncoder3d} (+ {@code quant_conv}): conv_in, {@code down_blocks} as diffusers numbers them (a flat
 * list: num_res_blocks residual blocks per stage, then a downsampler except after the last stage), mid block,
 * RMS norm, SiLU, conv_out to 2·z channels, quant_conv. Run on 1 frame, then chunks of 2^(temporal downs) frames.
 */
final class Encoder {
    private sealed interface Layer permits Res, Down {}
    private record Res(ResBlock b) implements Layer {}
    private record Down(Resample r) implements Layer {}

    final WanVaeConfig cfg;
    final Conv convIn, convOut, quant;
    final List<Layer> down = new ArrayList<>();
    final ResBlock mid0, mid1;
    final Attention midAttn;
    final float[] normOut;
    final int outDim;

    Encoder(WanVaeConfig cfg, Params p) {
        this.cfg = cfg;
        int[] mult = cfg.dimMult();
        int n = mult.length;
        int[] dims = new int[n + 1];
        dims[0] = cfg.baseDim();
        for (int i = 0; i < n; i++) dims[i + 1] = cfg.baseDim() * mult[i];
        convIn = Conv.causal3d(p, "encoder.conv_in", dims[0], 3, 3, 3);
        int idx = 0;
        for (int i = 0; i < n; i++) {
            int in = dims[i], out = dims[i + 1];
            for (int j = 0; j < cfg.numResBlocks(); j++) {
                down.add(new Res(new ResBlock(p, "encoder.down_blocks." + idx++, in, out)));
                in = out;
            }
            if (i != n - 1)
                down.add(new Down(new Resample(p, "encoder.down_blocks." + idx++, out,
                        cfg.temperalDownsample()[i] ? Resample.Mode.DOWN3D : Resample.Mode.DOWN2D)));
        }
        outDim = dims[n];
        mid0 = new ResBlock(p, "encoder.mid_block.resnets.0", outDim, outDim);
        midAttn = new Attention(p, "encoder.mid_block.attentions.0", outDim);
        mid1 = new ResBlock(p, "encoder.mid_block.resnets.1", outDim, outDim);
        normOut = p.take("encoder.norm_out.gamma", outDim, 1, 1, 1);
        convOut = Conv.causal3d(p, "encoder.conv_out", 2 * cfg.zDim(), outDim, 3, 3);
        quant = Conv.causal3d(p, "quant_conv", 2 * cfg.zDim(), 2 * cfg.zDim(), 1, 1);
    }

    /** One chunk of RGB frames ({@code [3][h][w]}) → posterior parameters {@code [2z][h/8][w/8]} (mean, then log-variance). */
    List<float[]> chunk(List<float[]> video, FrameCache cache, int h, int w) {
        List<float[]> x = Layers.causal(convIn, video, cache, h, w);
        for (Layer l : down) {
            switch (l) {
                case Res r -> x = r.b().forward(x, cache, h, w);
                case Down d -> {
                    x = d.r().forward(x, cache, h, w);
                    h = d.r().conv.outH(h);
                    w = d.r().conv.outW(w);
                }
            }
        }
        x = mid0.forward(x, cache, h, w);
        x = midAttn.forward(x, h, w);
        x = mid1.forward(x, cache, h, w);
        x = Layers.rmsNormAll(x, outDim, h * w, normOut, true);
        x = Layers.causal(convOut, x, cache, h, w);
        return quant.apply(x, h, w);
    }
}
