package io.vdq.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The trainable model computes diffusers' WanTransformer3DModel function (checked against {@link WanReference}). */
class WanSemanticsTest {

    @Test
    void forwardMatchesNaiveDiffusersReference() {
        // pt = 2 and unequal ph/pw and in/out channels so that every index order is exercised
        WanTrainConfig cfg = new WanTrainConfig(3, 2, 2, 2, 1, 2, 12, 24, 2, 5, 16, 1e-6f, 10000);
        WanTrainModel m = WanTrainModel.create(cfg, 100);
        GradCheck.randomize(m.params(), 101, 0.3);
        Tensor x = Tensor.randn(102, 2, 3, 4, 4, 3), text = Tensor.randn(103, 2, 4, 5);
        float[] ts = {37.5f, 912f};
        float[] y = m.forward(x, ts, text).output().data();
        double[] ref = new WanReference(cfg, m.params().toMap()).forward(x, ts, text);
        double num = 0, den = 0, worst = 0;
        for (int i = 0; i < ref.length; i++) {
            num += (y[i] - ref[i]) * (y[i] - ref[i]);
            den += ref[i] * ref[i];
            worst = Math.max(worst, Math.abs(y[i] - ref[i]));
        }
        double rel = Math.sqrt(num / den);
        assertTrue(rel < 1e-5, "relative L2 difference " + rel + " (max abs " + worst + ")");
    }
}
