package io.vdq.quant;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ConfigException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class UniformQuantizerTest {

    @Test
    void symmetricPerTensorRoundsHalfToEven() {
        // absmax 7 at 4 bits: scale 7/7 = 1, so codes are rint(x): 2.5 -> 2, 3.5 -> 4, 0.5 -> 0, -0.5 -> 0, 1.5 -> 2
        float[] x = {2.5f, -7f, 3.5f, 0.5f, -0.5f, 1.5f};
        QuantParams p = UniformQuantizer.fit(x, 0, 1, 6, 4, true, Granularity.PER_TENSOR, 0);
        assertEquals(1f, p.scale()[0]);
        assertEquals(0, p.zero()[0]);
        assertArrayEquals(new int[]{2, -7, 4, 0, 0, 2}, UniformQuantizer.quantize(x, 0, 1, 6, p));
        assertEquals(-8, p.qmin());
        assertEquals(7, p.qmax());
    }

    @Test
    void asymmetricHandComputedScaleAndZeroPoint() {
        // [-1, 2] at 2 bits: scale (2 - -1)/3 = 1, zero = rint(1/1) = 1; codes rint(x)+1 clamped to [0,3]
        float[] x = {-1f, 2f, 0.5f, 1.5f, 0f};
        QuantParams p = UniformQuantizer.fit(x, 0, 1, 5, 2, false, Granularity.PER_TENSOR, 0);
        assertEquals(1f, p.scale()[0]);
        assertEquals(1, p.zero()[0]);
        assertArrayEquals(new int[]{0, 3, 1, 3, 1}, UniformQuantizer.quantize(x, 0, 1, 5, p));
        float[] y = new float[5];
        UniformQuantizer.fakeQuant(x, 0, 1, 5, p, y, 0);
        assertArrayEquals(new float[]{-1f, 2f, 0f, 2f, 0f}, y);
    }

    @Test
    void asymmetricEightBitMatchesFormula() {
        float[] x = {-0.3f, 1.2f, 0.77f, 0.01f};
        QuantParams p = UniformQuantizer.fit(x, 0, 1, 4, 8, false, Granularity.PER_TENSOR, 0);
        double s = (1.2 - -0.3) / 255;
        assertEquals(s, p.scale()[0], 1e-7);
        assertEquals(Math.rint(0.3 / s), p.zero()[0]);
        for (int i = 0; i < 4; i++) {
            int q = (int) Math.rint(x[i] / p.scale()[0]) + p.zero()[0];
            assertEquals(Math.max(0, Math.min(255, q)), UniformQuantizer.quantize(x, 0, 1, 4, p)[i]);
        }
    }

    @Test
    void perGroupHasOneScalePerRowAndGroupIncludingTheShortLastGroup() {
        int rows = 2, cols = 6, g = 4;
        float[] x = {1, -2, 3, 0.5f, 9, -1,
                     0.1f, 0.2f, -0.4f, 0.3f, 0.05f, -0.07f};
        QuantParams p = UniformQuantizer.fit(x, 0, rows, cols, 4, true, Granularity.PER_GROUP, g);
        assertEquals(4, p.scale().length);
        float[] expectedAbsMax = {3, 9, 0.4f, 0.07f};
        for (int i = 0; i < 4; i++) assertEquals(expectedAbsMax[i] / 7.0, p.scale()[i], 1e-7, "group " + i);
        assertEquals(1, p.index(0, 4));
        assertEquals(2, p.index(1, 3));
        assertEquals(3, p.index(1, 5));
    }

    @Test
    void perTokenHasOneScalePerRow() {
        float[] x = {1, -3, 2, 0, 0.5f, 0.25f, -0.125f, 0, 100, 0, 0, -1};
        QuantParams p = UniformQuantizer.fit(x, 0, 3, 4, 8, true, Granularity.PER_TOKEN, 0);
        assertArrayEquals(new float[]{3 / 127f, 0.5f / 127f, 100 / 127f}, p.scale(), 1e-9f);
    }

    @Test
    void degenerateRowsStayFinite() {
        int cols = 8;
        float[] x = new float[3 * cols];
        for (int c = 0; c < cols; c++) { x[cols + c] = 3.3f; x[2 * cols + c] = c == 5 ? 1e4f : 0.01f * (c - 3); }
        for (boolean sym : new boolean[]{true, false})
            for (int bits = 2; bits <= 8; bits++) {
                float[] y = new float[x.length];
                UniformQuantizer.fakeQuantDynamic(x, 0, 3, cols, bits, sym, Granularity.PER_TOKEN, 0, y, 0);
                for (float v : y) assertTrue(Float.isFinite(v), "finite, bits " + bits + " sym " + sym);
                for (int c = 0; c < cols; c++) assertEquals(0f, y[c], "zero row stays zero");
                // constant row: the range [0, 3.3] puts 3.3 on the top code
                for (int c = 0; c < cols; c++) assertEquals(3.3f, y[cols + c], 3.3f * 1e-6f, "constant row");
                assertEquals(1e4f, y[2 * cols + 5], 0.5 * 1e4 / ((1 << (bits - 1)) - 1) + 1e-3, "outlier within half a step");
            }
    }

    @Test
    void errorIsAtMostHalfAStepInsideTheRange() {
        SplittableRandom r = new SplittableRandom(5);
        for (int trial = 0; trial < 50; trial++) {
            int rows = 1 + r.nextInt(5), cols = 1 + r.nextInt(40), bits = 2 + r.nextInt(7), g = 1 + r.nextInt(cols);
            boolean sym = r.nextBoolean();
            Granularity gran = Granularity.values()[r.nextInt(4)];
            float[] x = new float[rows * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * Math.exp(r.nextGaussian()));
            QuantParams p = UniformQuantizer.fit(x, 0, rows, cols, bits, sym, gran, g);
            float[] y = new float[x.length];
            UniformQuantizer.fakeQuant(x, 0, rows, cols, p, y, 0);
            for (int rr = 0; rr < rows; rr++)
                for (int c = 0; c < cols; c++) {
                    float s = p.scale()[p.index(rr, c)];
                    assertTrue(Math.abs(y[rr * cols + c] - x[rr * cols + c]) <= 0.5 * s * (1 + 1e-5) + 1e-7,
                            "trial " + trial + " element " + rr + "," + c);
                }
        }
    }

    @Test
    void dequantizeOfCodesEqualsFakeQuant() {
        float[] x = io.vdq.tensor.Tensor.randn(3, 4, 16).data();
        QuantParams p = UniformQuantizer.fit(x, 0, 4, 16, 4, false, Granularity.PER_GROUP, 8);
        int[] q = UniformQuantizer.quantize(x, 0, 4, 16, p);
        float[] a = new float[64], b = new float[64];
        UniformQuantizer.dequantize(q, 0, 4, 16, p, a, 0);
        UniformQuantizer.fakeQuant(x, 0, 4, 16, p, b, 0);
        assertArrayEquals(a, b);
    }

    @Test
    void rejectsBadBits() {
        assertThrows(ConfigException.class, () -> UniformQuantizer.fit(new float[4], 0, 1, 4, 9, true, Granularity.PER_TENSOR, 0));
        assertThrows(ConfigException.class, () -> UniformQuantizer.fit(new float[4], 0, 1, 4, 1, true, Granularity.PER_TENSOR, 0));
    }

    @Test
    void packsInt4LowNibbleFirstAndInt8RoundTrips() {
        int[] q = {-8, 7, 3, -1, 5};
        byte[] p = IntPacking.packInt4(q, 0, 5, true);
        assertEquals(3, p.length);
        assertEquals((byte) 0x78, p[0]); // -8 -> 0x8 low, 7 -> 0x7 high
        assertEquals((byte) 0xF3, p[1]);
        assertEquals((byte) 0x05, p[2]);
        assertArrayEquals(q, IntPacking.unpackInt4(p, 5, true));
        int[] u = {0, 15, 9};
        assertArrayEquals(u, IntPacking.unpackInt4(IntPacking.packInt4(u, 0, 3, false), 3, false));
        int[] b = {-128, 127, 0, -5};
        assertArrayEquals(b, IntPacking.unpackInt8(IntPacking.packInt8(b, 0, 4, true), 4, true));
        int[] ub = {0, 255, 128};
        assertArrayEquals(ub, IntPacking.unpackInt8(IntPacking.packInt8(ub, 0, 3, false), 3, false));
        assertThrows(io.vdq.VdqException.ShapeException.class, () -> IntPacking.packInt4(new int[]{8}, 0, 1, true));
    }

    /**
     * A clipped dynamic per-token quantizer (S²Q's learned activation clip), by hand: row (1.1, −4, 2, 0.3) at 4 bits
     * with ratio 0.5 has scale 0.5·4/7 = 2/7, codes rint(x·7/2) = 4, −14 → −8 (clamped), 7, 1; an all-zero row stays 0.
     */
    @Test
    void clippedPerTokenActivationsFollowTheHandComputedLevels() {
        float[] x = {1.1f, -4f, 2f, 0.3f, 0, 0, 0, 0};
        new ActivationQuantizer(new ActivationBits(4), true, Granularity.PER_TOKEN, 0, null, 0.5f).apply(x, 0, 2, 4);
        assertArrayEquals(new float[]{8 / 7f, -16 / 7f, 2f, 2 / 7f, 0, 0, 0, 0}, x, 1e-6f);
        assertThrows(ConfigException.class, () -> new ActivationQuantizer(new ActivationBits(4), false, Granularity.PER_TOKEN, 0, null, 0.5f));
        assertThrows(ConfigException.class, () -> new ActivationQuantizer(new ActivationBits(4), true, Granularity.PER_TOKEN, 0, null, 1.5f));
    }
}
