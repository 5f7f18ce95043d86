package io.vdq.tensor;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ShapeException;
import org.junit.jupiter.api.Test;

class TensorTest {
    @Test
    void viewsShareDataAndIndexRowMajor() {
        Tensor t = Tensor.zeros(2, 3, 4);
        t.set(5f, 1, 2, 3);
        assertEquals(23, 1 * 12 + 2 * 4 + 3);
        assertEquals(5f, t.data()[23]);
        Tensor r = t.row(1);
        assertEquals(Shape.of(3, 4), r.shape());
        assertEquals(5f, r.get(2, 3));
        Tensor v = t.reshape(6, -1);
        assertEquals(Shape.of(6, 4), v.shape());
        assertEquals(5f, v.get(5, 3));
        Tensor s = v.slice(5, 6);
        s.fill(1f);
        assertEquals(1f, t.get(1, 2, 0));
        assertEquals(0f, t.get(1, 1, 3));
    }

    @Test
    void badShapesAreRefusedWithTheShapeInTheMessage() {
        Tensor t = Tensor.zeros(2, 3);
        ShapeException e = assertThrows(ShapeException.class, () -> t.reshape(4, 2));
        assertTrue(e.getMessage().contains("[2, 3]"), e.getMessage());
        assertThrows(ShapeException.class, () -> t.get(2, 0));
        assertThrows(ShapeException.class, () -> Tensor.of(new float[5], 2, 3));
    }

    @Test
    void randnIsSeededAndStandardNormal() {
        Tensor a = Tensor.randn(42, 20000), b = Tensor.randn(42, 20000);
        assertArrayEquals(a.data(), b.data());
        double m = 0, v = 0;
        for (float x : a.data()) m += x;
        m /= a.size();
        for (float x : a.data()) v += (x - m) * (x - m);
        v /= a.size();
        assertEquals(0.0, m, 0.03);
        assertEquals(1.0, v, 0.05);
    }
}
