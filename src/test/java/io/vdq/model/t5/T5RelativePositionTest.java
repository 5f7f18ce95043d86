package io.vdq.model.t5;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Buckets worked out by hand from T5's formula (bucket = max_exact + floor(ln(n/max_exact) / ln(max_distance /
 * max_exact) · (half − max_exact)), capped at half − 1; +half for keys after the query), and checked against
 * PyTorch's float32 evaluation in transformers' code.
 */
class T5RelativePositionTest {
    @Test void umt5DefaultsThirtyTwoBucketsMaxDistance128() {
        // half 16, max_exact 8, ln(128/8) = ln 16
        int[][] cases = {
                {0, 0}, {-1, 1}, {1, 17}, {-7, 7}, {7, 23}, {-8, 8}, {-11, 8},   // 8..11: 8·ln(n/8)/ln16 < 1
                {-12, 9},                                                        // 8·ln1.5/ln16 = 1.17
                {-16, 10}, {16, 26},                                             // 8·ln2/ln16 = 2 exactly
                {-22, 10}, {-23, 11},                                            // 2.92 and 3.05
                {-32, 12}, {-64, 14}, {-127, 15}, {-128, 15}, {-1000, 15}, {128, 31}, {511, 31}};
        for (int[] c : cases) assertEquals(c[1], RelativePosition.bucket(c[0], 32, 128), "relative position " + c[0]);
    }

    @Test void sixteenBucketsMaxDistance16() {
        // half 8, max_exact 4, ln(16/4) = ln 4: n = 5 → 4·ln1.25/ln4 = 0.64; 6 → 1.17; 8 → 2; 12 → 3.17; 15 → 3.81
        int[] want = {0, 1, 2, 3, 4, 4, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7};
        for (int n = 0; n < want.length; n++) {
            assertEquals(want[n], RelativePosition.bucket(-n, 16, 16), "relative position " + -n);
            assertEquals(n == 0 ? 0 : want[n] + 8, RelativePosition.bucket(n, 16, 16), "relative position " + n);
        }
    }

    @Test void tableIsIndexedByKeyMinusQueryPlusLengthMinusOne() {
        int[] t = RelativePosition.table(3, 32, 128);
        assertArrayEquals(new int[]{2, 1, 0, 17, 18}, t);
    }
}
