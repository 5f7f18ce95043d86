package io.vdq.model.vae;

import io.vdq.io.AtomicFiles;
import io.vdq.io.DType;
import io.vdq.io.SafetensorsWriter;
import io.vdq.tensor.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * A Wan VAE folder with seeded random weights in the real layout ({@code config.json} as diffusers writes it
 * and {@code diffusion_pytorch_model.safetensors} with diffusers' names and shapes): conv weights
 * N(0, 1/fan_in), biases N(0, 0.02²), RMS-norm gammas 1 + N(0, 0.05²). Not a useful autoencoder; for tests,
 * benchmarks and memory measurements of the real shapes.
 */
public final class SyntheticVae {
    private SyntheticVae() {}

    public static void write(Path vaeDir, WanVaeConfig c, long seed, DType dtype) {
        if (dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F16)
            throw new IllegalArgumentException("VAE weights are F32, BF16 or F16, not " + dtype);
        try {
            Files.createDirectories(vaeDir);
        } catch (IOException e) {
            throw new io.vdq.VdqException(vaeDir + ": cannot create folder: " + e.getMessage(), e);
        }
        SplittableRandom rng = new SplittableRandom(seed);
        SafetensorsWriter sw = new SafetensorsWriter();
        WanVaeLayout.shapes(c).forEach((name, shape) -> {
            Tensor t = Tensor.zeros(shape);
            float[] a = t.data();
            if (name.endsWith(".gamma")) {
                Tensor.fillGaussian(rng, a, 0, a.length);
                for (int i = 0; i < a.length; i++) a[i] = 1f + 0.05f * a[i];
            } else if (name.endsWith(".bias")) {
                Tensor.fillGaussian(rng, a, 0, a.length);
                for (int i = 0; i < a.length; i++) a[i] *= 0.02f;
            } else {
                int fanIn = a.length / shape[0];
                float s = (float) (1.0 / Math.sqrt(fanIn));
                Tensor.fillGaussian(rng, a, 0, a.length);
                for (int i = 0; i < a.length; i++) a[i] *= s;
            }
            sw.add(name, t, dtype);
        });
        sw.metadata("format", "pt");
        sw.write(vaeDir.resolve("diffusion_pytorch_model.safetensors"));
        AtomicFiles.writeBytes(vaeDir.resolve("config.json"), (c.toJson() + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
