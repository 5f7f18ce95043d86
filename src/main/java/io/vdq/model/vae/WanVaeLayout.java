package io.vdq.model.vae;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.SequencedMap;

/** Every tensor a Wan VAE of a given config has, by diffusers name, with its PyTorch shape, in build order. */
public final class WanVaeLayout {
    private WanVaeLayout() {}

    public static SequencedMap<String, int[]> shapes(WanVaeConfig c) {
        SequencedMap<String, int[]> m = new LinkedHashMap<>();
        Params rec = (name, shape) -> { m.put(name, shape.clone()); return null; };
        new Decoder(c, rec);
        new Encoder(c, rec);
        return Collections.unmodifiableSequencedMap(m);
    }

    /** Number of parameters (floats) in the VAE. */
    public static long parameters(WanVaeConfig c) {
        long n = 0;
        for (int[] s : shapes(c).values()) {
            long e = 1;
            for (int d : s) e *= d;
            n += e;
        }
        return n;
    }
}
