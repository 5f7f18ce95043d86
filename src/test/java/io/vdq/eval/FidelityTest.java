package io.vdq.eval;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.ShapeException;
import io.vdq.model.FloatLinear;
import io.vdq.model.Linear;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FidelityTest {
    @Test
    void metricsMatchHandComputedValues() {
        float[] ref = {1, 2, 3, 4};
        float[] cand = {1, 2, 3, 6};
        assertEquals(1.0, Fidelity.mse(ref, cand), 1e-12);           // (2²)/4
        assertEquals(2 / Math.sqrt(30), Fidelity.relL2(ref, cand), 1e-12);
        assertEquals(10 * Math.log10(16 / 1.0), Fidelity.psnr(ref, cand, 4), 1e-12);
        assertEquals(38 / Math.sqrt(30 * 50), Fidelity.cosine(ref, cand), 1e-12); // 1+4+9+24 = 38, ‖cand‖² = 50
    }

    @Test
    void degenerateInputsFollowTheDocumentedConventions() {
        float[] z = new float[3], a = {1, 0, 0};
        assertEquals(Double.POSITIVE_INFINITY, Fidelity.psnr(a, a, 1));
        assertEquals(1, Fidelity.cosine(z, z));
        assertEquals(0, Fidelity.cosine(z, a));
        assertEquals(1, Fidelity.relL2(z, a), 1e-12);
        assertEquals(0, Fidelity.mse(new float[0], new float[0]));
        assertThrows(ShapeException.class, () -> Fidelity.mse(a, new float[2]));
    }

    @Test
    void layerReportProbesEffectiveWeightsAndOutputs() {
        float[] w = {1, 2, 3, 4, 5, 6}, w2 = {1, 2, 3, 4, 5, 7}, b = {0.5f, -1};
        Map<String, Linear> ref = new LinkedHashMap<>(), cand = new LinkedHashMap<>();
        FloatLinear same = new FloatLinear(new float[]{1, 1}, null, 1, 2);
        ref.put("a", new FloatLinear(w, b, 2, 3));
        cand.put("a", new FloatLinear(w2, b, 2, 3));
        ref.put("same", same);
        cand.put("same", same);
        LayerErrorReport r = LayerErrorReport.compare(ref, cand, 16, 1);
        assertEquals(1, r.rows().size(), "unchanged layers are skipped");
        LayerErrorReport.Row row = r.rows().getFirst();
        assertEquals(Fidelity.relL2(w, w2), row.weight().relL2(), 1e-7);
        assertEquals(1.0 / 6, row.weight().mse(), 1e-7);
        assertTrue(row.output().relL2() > 0 && row.output().cosine() < 1);
        assertArrayEquals(w, LayerErrorReport.effectiveWeight(ref.get("a")), 1e-6f);
        assertTrue(r.table().contains("a") && r.table().contains("2×3"));
    }
}
