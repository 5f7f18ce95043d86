package io.vdq.synth;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ConfigException;
import io.vdq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class TextEncoderTest {
    static final String P = "a red circle moving left quickly on a gray vertical gradient background";

    @Test
    void rowsAreSeededTokenTablePlusSinusoidalPositionAndPaddingIsZero() {
        int d = 64, len = 16;
        TextEncoder enc = new TextEncoder(d, len, 1234);
        Tensor e = enc.encode(P);
        e.requireShape("embedding", len, d);
        // independent recomputation of the documented contract: table rows 1.. are randn(seed) in id order
        Tensor table = Tensor.randn(1234, Vocabulary.size() - 1, d);
        String[] words = P.split(" ");
        for (int p = 0; p < len; p++) {
            for (int i = 0; i < d; i++) {
                float expected = 0f;
                if (p < words.length) {
                    double freq = Math.pow(10000.0, -(double) (i - i % 2) / d);
                    double pe = i % 2 == 0 ? Math.sin(p * freq) : Math.cos(p * freq);
                    expected = table.get(Vocabulary.id(words[p]) - 1, i) + (float) pe;
                }
                assertEquals(expected, e.get(p, i), 1e-6f, "row " + p + " col " + i);
            }
        }
    }

    @Test
    void wordPositionIsRecoverableFromEachRow() {
        TextEncoder enc = TextEncoder.standard();
        int[] ids = enc.tokenize(P);
        Tensor e = enc.encode(P);
        for (int p = 0; p < 12; p++) {
            float[] tok = enc.tokenEmbedding(ids[p]);
            int best = -1;
            double bestErr = Double.MAX_VALUE;
            for (int q = 0; q < enc.length(); q++) {
                float[] pos = enc.positionCode(q);
                double err = 0;
                for (int i = 0; i < enc.textDim(); i++) { double r = e.get(p, i) - tok[i] - pos[i]; err += r * r; }
                if (err < bestErr) { bestErr = err; best = q; }
            }
            assertEquals(p, best);
        }
        assertNotEquals(java.util.Arrays.toString(enc.encode("a red circle moving left").toArray()),
                java.util.Arrays.toString(enc.encode("a left circle moving red").toArray()));
    }

    @Test
    void distinctWordsHaveNearlyOrthogonalEmbeddings() {
        TextEncoder enc = TextEncoder.standard();
        for (int a = 1; a < Vocabulary.size(); a++) {
            for (int b = a + 1; b < Vocabulary.size(); b++) {
                float[] x = enc.tokenEmbedding(a), y = enc.tokenEmbedding(b);
                double dot = 0, nx = 0, ny = 0;
                for (int i = 0; i < x.length; i++) { dot += x[i] * y[i]; nx += x[i] * x[i]; ny += y[i] * y[i]; }
                assertTrue(Math.abs(dot / Math.sqrt(nx * ny)) < 0.6, Vocabulary.word(a) + " vs " + Vocabulary.word(b));
            }
        }
    }

    @Test
    void textDimIsConfigurableAndDeterministic() {
        for (int d : new int[]{16, 64, 128}) {
            TextEncoder a = new TextEncoder(d, 12, 9), b = new TextEncoder(d, 12, 9);
            assertArrayEquals(a.encode(P).toArray(), b.encode(P).toArray());
            assertEquals(12 * d, a.encode(P).size());
        }
        assertThrows(ConfigException.class, () -> new TextEncoder(63, 8, 0));
    }

    @Test
    void unknownAndTooManyWordsAreRejectedByName() {
        TextEncoder enc = new TextEncoder(32, 8, 0);
        ConfigException e = assertThrows(ConfigException.class, () -> enc.encode("a purple circle"));
        assertTrue(e.getMessage().contains("'purple'"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> enc.encode(P));
        assertTrue(e.getMessage().contains("12 words"), e.getMessage());
    }
}
