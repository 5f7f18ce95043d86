package io.vdq.model.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.io.SafetensorsFile;
import io.vdq.tensor.Parallel;
import io.vdq.tensor.Tensor;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Decode and encode against the independent float64 torch reference {@code src/test/python/wan_vae_reference.py}
 * (base_dim 8, z_dim 4, dim_mult [1,2,2,2], 1 res block, time down [F,T,T]; 3 latent frames of 4×6, so the
 * frame cache and both temporal upsamplers run; the script checks that its chunked pass equals one causal pass
 * over the whole sequence). Fixtures under src/test/resources/vae/.
 */
class WanVaeReferenceTest {
    static Tensor latents, decoded, decodedBf16, video, mu;
    static WanVae vae;

    static Path resource(String name) {
        try {
            return Path.of(WanVaeReferenceTest.class.getResource("/vae/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @BeforeAll static void load() {
        try (SafetensorsFile f = SafetensorsFile.open(resource("cases.safetensors"))) {
            latents = f.readFloat("latents").copy();
            decoded = f.readFloat("decoded").copy();
            decodedBf16 = f.readFloat("decoded_bf16").copy();
            video = f.readFloat("video").copy();
            mu = f.readFloat("mu").copy();
        }
        vae = WanVae.load(resource("f32"));
    }

    @AfterAll static void close() { vae.close(); }

    static double relL2(Tensor ref, Tensor got) {
        assertArrayEquals(ref.shape().dims(), got.shape().dims(), "shape");
        double num = 0, den = 0;
        float[] a = ref.toArray(), b = got.toArray();
        for (int i = 0; i < a.length; i++) { double d = a[i] - b[i]; num += d * d; den += (double) a[i] * a[i]; }
        return Math.sqrt(num / den);
    }

    @Test void readsTheReferenceConfig() {
        WanVaeConfig c = vae.config();
        assertEquals(4, c.zDim());
        assertEquals(8, c.baseDim());
        assertEquals(8, c.spatialFactor());
        assertEquals(4, c.temporalFactor());
        assertEquals(1.5f, c.latentsStd()[0]);
    }

    @Test void decodeMatchesTheTorchReference() {
        Tensor out = vae.decode(latents);
        assertArrayEquals(new int[]{3, 9, 32, 48}, out.shape().dims());
        double e = relL2(decoded, out);
        assertTrue(e < 1e-4, "decode rel L2 " + e);
    }

    @Test void decodeFromBf16WeightsMatchesTheReferenceOnBf16RoundedWeights() {
        try (WanVae b = WanVae.load(resource("bf16"))) {
            double e = relL2(decodedBf16, b.decode(latents));
            assertTrue(e < 1e-4, "bf16 decode rel L2 " + e);
        }
    }

    @Test void encodeMatchesTheTorchReference() {
        Tensor out = vae.encode(video);
        assertArrayEquals(new int[]{4, 3, 4, 6}, out.shape().dims());
        double e = relL2(mu, out);
        assertTrue(e < 1e-4, "encode rel L2 " + e);
    }

    @Test void decodeNormalizedAppliesStdThenMeanPerChannel() {
        Tensor n = vae.normalize(latents);
        Tensor a = vae.decodeNormalized(n), b = vae.decode(latents);
        assertTrue(relL2(b, a) < 1e-5, "decodeNormalized(normalize(z)) vs decode(z): " + relL2(b, a));
        float[] z = latents.toArray(), nz = n.toArray();
        int per = z.length / 4;
        assertEquals((z[per] - (-0.2f)) / 0.5f, nz[per], 1e-6f);
    }

    @Test void sameBitsForOneAndTwoThreads() {
        int t = Parallel.threads();
        try {
            Parallel.setThreads(1);
            float[] one = vae.decode(latents).toArray(), e1 = vae.encode(video).toArray();
            Parallel.setThreads(2);
            float[] two = vae.decode(latents).toArray(), e2 = vae.encode(video).toArray();
            assertArrayEquals(one, two);
            assertArrayEquals(e1, e2);
        } finally {
            Parallel.setThreads(t);
        }
    }
}
