package io.vdq.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vdq.VdqException;
import io.vdq.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** AdamW, the cosine schedule, gradient clipping and EMA against hand-computed values. */
class OptimTest {

    @Test
    void adamWFirstStepMatchesHandComputation() {
        Param w = new Param("lin.weight", Tensor.of(new float[]{1.0f, -2.0f}, 1, 2));     // decayed (matrix .weight)
        Param b = new Param("lin.bias", Tensor.of(new float[]{0.5f}, 1));                 // not decayed
        w.g()[0] = 0.5f; w.g()[1] = -0.1f; b.g()[0] = 2f;
        AdamW opt = new AdamW(0.9, 0.999, 1e-8, 0.1);
        opt.step(List.of(w, b), 0.1);
        // t = 1: m̂ = g, v̂ = g², so the step is lr·g/(|g| + ε) = ±lr (up to ε); decay multiplies by 1 − 0.1·0.1
        assertEquals(1.0 * 0.99 - 0.1 * 0.5 / (0.5 + 1e-8), w.v()[0], 1e-6);   // 0.89
        assertEquals(-2.0 * 0.99 + 0.1 * 0.1 / (0.1 + 1e-8), w.v()[1], 1e-6);  // −1.88
        assertEquals(0.5 - 0.1, b.v()[0], 1e-6);
        // t = 2 with g = 1 for the bias: m = 0.9·0.2 + 0.1·1 = 0.28, v = 0.999·0.004 + 0.001·1 = 0.004996
        b.g()[0] = 1f;
        opt.step(List.of(b), 0.1);
        double mHat = 0.28 / (1 - 0.81), vHat = 0.004996 / (1 - 0.998001);
        assertEquals(0.4 - 0.1 * mHat / (Math.sqrt(vHat) + 1e-8), b.v()[0], 1e-6);
    }

    @Test
    void lrScaleMultipliesTheRate() {
        Param p = new Param("clip", Tensor.of(new float[]{4f}, 1)).lrScale(10);
        p.g()[0] = -3f;
        AdamW.withDecay(0.0).step(List.of(p), 5e-3);
        assertEquals(4 + 5e-2, p.v()[0], 1e-6);
    }

    @Test
    void cosineScheduleWithWarmup() {
        CosineSchedule s = new CosineSchedule(1.0, 0.1, 4, 14);
        assertEquals(0.25, s.at(0), 1e-12);
        assertEquals(1.0, s.at(3), 1e-12);
        assertEquals(1.0, s.at(4), 1e-12);                                 // decay starts at the peak
        // steps 4..13 span progress 0..1 in 9 intervals: step 8 is 4/9 of the way
        assertEquals(0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * 4 / 9.0)), s.at(8), 1e-12);
        assertEquals(0.55, new CosineSchedule(1.0, 0.1, 0, 3).at(1), 1e-12);
        assertEquals(0.1, s.at(13), 1e-12);
        assertThrows(VdqException.ConfigException.class, () -> new CosineSchedule(1, 0, 5, 4));
    }

    @Test
    void clipsGradientsByGlobalNorm() {
        ParamSet ps = new ParamSet();
        Param a = ps.add("a", 1), b = ps.add("b", 1);
        a.g()[0] = 3f; b.g()[0] = 4f;
        assertEquals(5.0, ps.clipGradNorm(1.0), 1e-12);
        assertEquals(0.6, a.g()[0], 1e-6);
        assertEquals(0.8, b.g()[0], 1e-6);
        assertEquals(1.0, ps.clipGradNorm(2.0), 1e-6); // under the bound: unchanged
        assertEquals(0.6, a.g()[0], 1e-6);
    }

    @Test
    void emaAveragesTowardsTheValues() {
        Param p = new Param("w", Tensor.of(new float[]{1f}, 1));
        Ema ema = new Ema(List.of(p), 0.9);
        p.v()[0] = 2f;
        ema.update();
        assertEquals(0.9 * 1 + 0.1 * 2, ema.toMap().get("w").data()[0], 1e-6);
        ema.update();
        assertEquals(0.9 * 1.1 + 0.1 * 2, ema.toMap().get("w").data()[0], 1e-6);
    }

    @Test
    void emaWarmUpUsesTheSmallerOfDecayAndOnePlusNOverTenPlusN() {
        Param p = new Param("w", Tensor.of(new float[]{1f}, 1));
        Ema ema = new Ema(List.of(p), 0.5, true);
        p.v()[0] = 2f;
        assertEquals(2.0 / 11, ema.nextDecay(), 1e-12);
        ema.update(); // 2/11·1 + 9/11·2 = 20/11
        assertEquals(20.0 / 11, ema.toMap().get("w").data()[0], 1e-6);
        p.v()[0] = 3f;
        assertEquals(3.0 / 12, ema.nextDecay(), 1e-12);
        ema.update(); // 1/4·20/11 + 3/4·3
        assertEquals(0.25 * 20 / 11 + 0.75 * 3, ema.toMap().get("w").data()[0], 1e-6);
        for (int n = 3; n <= 8; n++) ema.update(); // (1+n)/(10+n) reaches 0.5 at n = 8
        assertEquals(0.5, ema.nextDecay(), 1e-12);
    }

    @Test
    void refusesHeadDimsWithInconsistentDiffusersRopeSplits() {
        // 64: tables built with 2·⌊64/6⌋ = 20 channels for h and w, but split with ⌊64/3⌋ = 21
        VdqException e = assertThrows(VdqException.ConfigException.class,
                () -> new WanTrainConfig(3, 3, 1, 2, 2, 4, 64, 256, 1, 8, 16, 1e-6f, 10000));
        assertEquals(true, e.getMessage().contains("attention_head_dim 64"));
        new WanTrainConfig(3, 3, 1, 2, 2, 4, 48, 256, 1, 8, 16, 1e-6f, 10000);
        new WanTrainConfig(3, 3, 1, 2, 2, 2, 128, 256, 1, 8, 16, 1e-6f, 10000);
    }

    @Test
    void loadChecksNamesAndShapes() {
        ParamSet ps = new ParamSet();
        ps.add("proj_out.weight", 2, 3);
        assertThrows(VdqException.CheckpointException.class, () -> ps.load(java.util.Map.of(), "ckpt.safetensors"));
        VdqException e = assertThrows(VdqException.CheckpointException.class,
                () -> ps.load(java.util.Map.of("proj_out.weight", Tensor.zeros(3, 2)), "ckpt.safetensors"));
        assertEquals(true, e.getMessage().contains("proj_out.weight") && e.getMessage().contains("[2, 3]"));
        ps.load(java.util.Map.of("proj_out.weight", Tensor.of(new float[]{1, 2, 3, 4, 5, 6}, 2, 3)), "ckpt");
        assertEquals(6f, ps.get("proj_out.weight").v()[5]);
    }
}
