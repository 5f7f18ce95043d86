package io.vdq.model.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.VdqException.ConfigException;
import io.vdq.io.SafetensorsFile;
import io.vdq.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tiled decode (diffusers' tiled_decode) on the reference fixture's VAE. The blending is checked against the torch
 * reference's own tiled decode (which keeps every tile and blends in place, as diffusers does; vdq keeps only the
 * strips the next tiles need). Tiling is not exact: at a tile edge the convolutions see zero padding instead of the
 * neighbour, and the mid-block attention sees only its tile, so with these random weights and tiny tiles (4×4
 * latents) tiled and untiled decodes differ a lot: rel L2 0.82 on the 2×5×7 case (torch measures the same), see
 * docs/VAE.md. The bounds below are those measurements with a margin. When one tile covers the latents the result
 * is bit-identical to untiled decoding.
 */
class WanVaeTilingTest {
    static WanVae vae;
    static Tensor z, tileLatents, decodedTiled;

    @BeforeAll static void load() {
        vae = WanVae.load(WanVaeReferenceTest.resource("f32"));
        z = Tensor.randn(11, 4, 2, 6, 8);
        try (SafetensorsFile f = SafetensorsFile.open(WanVaeReferenceTest.resource("cases.safetensors"))) {
            tileLatents = f.readFloat("tile_latents").copy();
            decodedTiled = f.readFloat("decoded_tiled").copy();
        }
    }

    @AfterAll static void close() { vae.close(); }

    static double maxAbs(Tensor a, Tensor b) {
        double m = 0;
        float[] x = a.toArray(), y = b.toArray();
        for (int i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
        return m;
    }

    @Test void tiledDecodeMatchesTheTorchReferenceTiling() {
        Tensor got = vae.tiled(32, 32, 16, 16).decode(tileLatents);
        assertArrayEquals(new int[]{3, 5, 40, 56}, got.shape().dims());
        double e = WanVaeReferenceTest.relL2(decodedTiled, got);
        assertTrue(e < 1e-4, "tiled decode vs torch tiled decode rel L2 " + e);
    }

    @Test void tiledDecodeStaysWithinTheMeasuredBoundOfUntiled() {
        Tensor full = vae.decode(tileLatents);
        double small = WanVaeReferenceTest.relL2(full, vae.tiled(32, 32, 16, 16).decode(tileLatents));
        double large = WanVaeReferenceTest.relL2(full, vae.tiled(48, 48, 32, 32).decode(tileLatents));
        System.out.printf("tiled vs untiled on latents 2x5x7: tiles 32/16 rel L2 %.3f, tiles 48/32 rel L2 %.3f%n", small, large);
        assertTrue(small > 0 && small < 1.0, "tiles 32/16 vs untiled rel L2 " + small);
        assertTrue(large > 0 && large < 1.0, "tiles 48/32 vs untiled rel L2 " + large);
        assertTrue(maxAbs(full, vae.tiled(32, 32, 16, 16).decode(tileLatents)) <= 2.0);
    }

    @Test void oneTileCoveringEverythingIsExactlyUntiled() {
        float[] full = vae.decode(z).toArray();
        assertArrayEquals(full, vae.tiled(64, 64, 48, 48).decode(z).toArray());
        assertArrayEquals(full, vae.tiled().decode(z).toArray());
    }

    @Test void oneTileRowLeavesTheFirstTileColumnsBeforeTheSeamUntouchedByBlending() {
        // one tile row: tile 0 keeps its first 16 columns unblended, so they equal tile 0 decoded alone
        Tensor wide = vae.tiled(48, 32, 48, 16).decode(z);      // z is 6x8 latents: rows fit one tile
        Tensor left = vae.decode(sliceW(z, 0, 4));
        for (int c = 0; c < 3; c++)
            for (int f = 0; f < 5; f++)
                for (int y = 0; y < 48; y++)
                    for (int x = 0; x < 16; x++)
                        assertTrue(wide.get(c, f, y, x) == left.get(c, f, y, x), "pixel " + c + "," + f + "," + y + "," + x);
    }

    static Tensor sliceW(Tensor t, int x0, int x1) {
        int c = t.dim(0), f = t.dim(1), h = t.dim(2);
        Tensor o = Tensor.zeros(c, f, h, x1 - x0);
        for (int a = 0; a < c; a++) for (int b = 0; b < f; b++) for (int y = 0; y < h; y++)
            for (int x = x0; x < x1; x++) o.set(t.get(a, b, y, x), a, b, y, x - x0);
        return o;
    }

    @Test void rejectsTileSizesThatAreNotMultiplesOfEight() {
        assertThrows(ConfigException.class, () -> vae.tiled(30, 32, 16, 16));
        assertThrows(ConfigException.class, () -> vae.tiled(32, 32, 40, 16));
    }
}
