package io.vdq.model.wan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.VdqException.ConfigException;
import io.vdq.io.Checkpoints;
import io.vdq.io.TensorSource;
import io.vdq.tensor.Tensor;
import io.vdq.train.FlowMatching;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code prediction_type: "sample"}: proj_out predicts x̂ and forward returns (x_t − x̂)/max(σ, floor). */
class SamplePredictionTest {
    @TempDir Path dir;

    @Test
    void forwardTurnsTheSamplePredictionIntoTheVelocity() {
        WanConfig flow = WanConfig.tiny(), sample = flow.withSamplePrediction(0.05f);
        WanModel a = WanModel.random(flow, 3), b = WanModel.random(sample, 3); // same seed: same weights
        Tensor x = Tensor.randn(5, 4, 2, 8, 8), text = Tensor.randn(6, 3, 16);
        for (float t : new float[]{700f, 20f}) { // σ 0.7 and σ 0.02 (below the floor: divided by 0.05)
            float[] raw = a.forward(x, t, text).toArray(), v = b.forward(x, t, text).toArray(), xs = x.toArray();
            double div = Math.max(t / 1000.0, 0.05);
            for (int i = 0; i < v.length; i++)
                assertEquals((xs[i] - raw[i]) / div, v[i], 1e-5 * (1 + Math.abs(v[i])), "element " + i + " at timestep " + t);
        }
    }

    @Test
    void configRoundTripsAndBadValuesAreRefusedByName() throws Exception {
        WanConfig c = WanConfig.tiny().withSamplePrediction(0.05f);
        assertTrue(c.predictsSample());
        assertFalse(WanConfig.tiny().predictsSample());
        WanConfig back = WanConfig.parse(c.toJson(), "test");
        assertEquals(c, back);
        assertFalse(WanConfig.tiny().toJson().contains("prediction_type"), "velocity models keep the plain diffusers config");
        WanModel.random(c, 1).save(dir.resolve("m"));
        try (TensorSource src = Checkpoints.open(dir.resolve("m"))) {
            assertEquals(c, WanConfig.read(Checkpoints.configFile(dir.resolve("m")).orElseThrow()));
        }
        String json = WanConfig.tiny().toJson().replace("\"rope_max_seq_len\"", "\"prediction_type\" : \"epsilon\", \"rope_max_seq_len\"");
        var e = assertThrows(ConfigException.class, () -> WanConfig.parse(json, "cfg.json"));
        assertTrue(e.getMessage().contains("cfg.json") && e.getMessage().contains("prediction_type 'epsilon'"), e.getMessage());
        String json2 = WanConfig.tiny().toJson().replace("\"rope_max_seq_len\"", "\"prediction_type\" : \"sample\", \"sample_min_sigma\" : 0, \"rope_max_seq_len\"");
        e = assertThrows(ConfigException.class, () -> WanConfig.parse(json2, "cfg.json"));
        assertTrue(e.getMessage().contains("sample_min_sigma"), e.getMessage());
    }

    @Test
    void trainingGradientOfTheSampleParametrisationMatchesFiniteDifferences() {
        // loss(x̂) = mean((v̂(x̂) − v)²) with v̂ = (x_t − x̂)/max(σ, floor); dLoss/dx̂ from mseLoss + sampleGradient
        int batch = 2, per = 6;
        Tensor xt = Tensor.randn(1, batch, per), target = Tensor.randn(2, batch, per), xhat = Tensor.randn(3, batch, per);
        float[] sig = {0.4f, 0.01f};
        float[] d = new float[batch * per];
        FlowMatching.mseLoss(FlowMatching.velocityFromSample(xt, xhat, sig, 0.05f), target, d);
        FlowMatching.sampleGradient(d, sig, 0.05f);
        float[] p = xhat.toArray();
        for (int i = 0; i < p.length; i++) {
            double h = 1e-3;
            float[] up = p.clone(), dn = p.clone();
            up[i] += (float) h;
            dn[i] -= (float) h;
            double lu = FlowMatching.mseLoss(FlowMatching.velocityFromSample(xt, Tensor.of(up, batch, per), sig, 0.05f), target, new float[p.length]);
            double ld = FlowMatching.mseLoss(FlowMatching.velocityFromSample(xt, Tensor.of(dn, batch, per), sig, 0.05f), target, new float[p.length]);
            double fd = (lu - ld) / ((up[i] - dn[i]));
            assertEquals(fd, d[i], 2e-3 * (1 + Math.abs(fd)), "element " + i);
        }
    }

    @Test
    void theXLossIsTheMseOfTheCleanSampleWithItsGradient() {
        // x_t built from x0 and ε as training does; with weights max(σ, floor)² the velocity loss becomes mean((x̂ − x0)²)
        int batch = 3, per = 8;
        Tensor x0 = Tensor.randn(4, batch, per), xhat = Tensor.randn(5, batch, per);
        float[] sig = {0.9f, 0.3f, 0.07f};
        FlowMatching.Sample s = FlowMatching.noise(x0, sig, new java.util.SplittableRandom(6));
        float[] w = FlowMatching.sampleLossWeights(sig, 0.05f);
        float[] d = new float[batch * per];
        double loss = FlowMatching.mseLoss(FlowMatching.velocityFromSample(s.xt(), xhat, sig, 0.05f), s.target(), d, w);
        double direct = 0;
        for (int i = 0; i < batch * per; i++) { double e = xhat.data()[i] - x0.data()[i]; direct += e * e / (batch * per); }
        assertEquals(direct, loss, 1e-5 * direct);
        // below the floor the weight stops at floor²: the x̂ error is then weighted by (σ/floor)²
        assertEquals(0.05f * 0.05f, FlowMatching.sampleLossWeights(new float[]{0.01f}, 0.05f)[0], 1e-9);
        FlowMatching.sampleGradient(d, sig, 0.05f);
        for (int i = 0; i < batch * per; i++) // d/dx̂ of mean((x̂ − x0)²)
            assertEquals(2 * (xhat.data()[i] - x0.data()[i]) / (batch * per), d[i], 1e-5, "element " + i);
        assertThrows(io.vdq.VdqException.ShapeException.class,
                () -> FlowMatching.mseLoss(xhat, xhat, new float[batch * per], new float[5]));
    }
}
