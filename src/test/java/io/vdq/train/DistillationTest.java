package io.vdq.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The engine as block distillation uses it: cached FP block inputs/outputs, fake-quantized linears, learnable clipping. */
class DistillationTest {
    static final WanTrainConfig CFG = new WanTrainConfig(3, 3, 1, 2, 2, 2, 12, 64, 2, 6, 16, 1e-6f, 10000);

    @Test
    void weightsRoundTripThroughAMapByDiffusersName() {
        WanTrainModel a = WanTrainModel.create(CFG, 1);
        Map<String, Tensor> saved = new java.util.HashMap<>();
        a.params().toMap().forEach((k, v) -> saved.put(k, v.copy()));
        WanTrainModel b = WanTrainModel.fromWeights(CFG, saved, "test map");
        Tensor x = Tensor.randn(2, 1, 3, 2, 4, 4), text = Tensor.randn(3, 1, 2, 6);
        assertArrayEquals(a.forward(x, new float[]{500}, text).output().data(), b.forward(x, new float[]{500}, text).output().data());
        assertTrue(saved.get("patch_embedding.weight").shape().equals(io.vdq.tensor.Shape.of(24, 3, 1, 2, 2)), "Conv3d layout");
        assertTrue(saved.get("blocks.1.scale_shift_table").shape().equals(io.vdq.tensor.Shape.of(1, 6, 24)));
    }

    @Test
    void learnableClippingReducesBlockReconstructionError() {
        WanTrainModel fp = WanTrainModel.create(CFG, 5);
        Tensor x = Tensor.randn(6, 2, 3, 2, 4, 4), text = Tensor.randn(7, 2, 3, 6);
        WanTrainModel.Cache c = fp.forward(x, new float[]{200, 800}, text);
        int block = 1, batch = 2, n = c.n(), m = c.textLen();
        float[] in = c.blockInput(block), target = c.blockOutput(block).clone();
        RopeTable rope = fp.rope(2, 4, 4);
        WanBlockLayer b = fp.blocks().get(block);

        List<Param> clip = new ArrayList<>();
        for (LinearLayer l : b.linears()) {
            Param gw = FakeQuantSTE.clipParam(l.name() + ".w_clip", l.out(), 4f).lrScale(1);
            Param ga = FakeQuantSTE.clipParam(l.name() + ".a_clip", 1, 4f);
            l.setWeightFn(FakeQuantSTE.perChannelWeight(3, gw));
            l.setInputFn(FakeQuantSTE.perTokenActivation(6, ga));
            clip.add(gw);
            clip.add(ga);
        }
        AdamW opt = AdamW.withDecay(0);
        double first = 0, last = 0;
        for (int step = 0; step < 40; step++) {
            WanBlockLayer.Cache bc = b.forward(in, c.cond().text(), c.cond().tproj(), batch, n, m, rope);
            float[] d = new float[target.length];
            double loss = FlowMatching.mseLoss(Tensor.of(bc.y(), target.length), Tensor.of(target, target.length), d);
            if (step == 0) first = loss;
            last = loss;
            for (Param p : clip) p.zeroGrad();
            fp.params().zeroGrad();
            b.backward(bc, d, new float[c.cond().text().length], new float[c.cond().tproj().length]);
            opt.step(clip, 5e-2);
        }
        assertTrue(first > 0 && last < 0.7 * first, "W3A6 block reconstruction MSE " + first + " -> " + last);
    }
}
