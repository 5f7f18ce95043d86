package io.vdq.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.vdq.quant.Presets;
import io.vdq.quant.Recipe;
import io.vdq.quant.RecipeJson;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import java.util.Map;
import io.vdq.kernel.ExecutionContext;
import io.vdq.kernel.ExecutionContext.QuantExec;
import org.junit.jupiter.api.Test;

/** What another runner (vdq-spark) relies on: a sweep's plan survives Java serialization, and every preset can be shipped as JSON. */
class SweepSpecTest {
    private static Sweep.Spec spec(int steps) {
        List<String> eval = List.of("a red circle moving left");
        List<String> names = List.of("w4a8-minmax", "w4a4-dvd");
        return new Sweep.Spec(null, 4, 2, 12, 48, 1, 4, 16, steps, 5.0f, true, eval, List.of(Sweep.calibrationPool(eval).subList(0, 2)),
                names, names.stream().map(n -> Sweep.recipeJson(n, Presets.resolve(n))).toList(), 2, "w4a8-minmax", null);
    }

    @Test
    void theSpecSurvivesSerializationAndGivesTheSameCells() throws Exception {
        Sweep.Spec s = spec(2);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) { out.writeObject(s); }
        Sweep.Spec back;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) { back = (Sweep.Spec) in.readObject(); }
        assertEquals(s, back);
        List<Sweep.CellKey> a = new Sweep(s).cells(), b = new Sweep(back).cells();
        assertEquals(a, b);
        assertEquals(4, a.size(), "2 recipes × 2 seeds × 1 calibration set");
        // sweep order: seed, then calibration set, then recipe
        assertEquals(List.of(0, 1, 0, 1), a.stream().map(Sweep.CellKey::recipe).toList());
        assertEquals(List.of(0, 0, 1, 1), a.stream().map(Sweep.CellKey::seed).toList());
        assertEquals(List.of(0, 1, 2, 3), a.stream().map(Sweep.CellKey::index).toList());
        assertNotEquals(a.getFirst().id(), new Sweep(spec(3)).cells().getFirst().id(), "another step count, another id");
    }

    /**
     * A cell's id includes the quantized execution, so a sweep --out reused with -Dvdq.quant.exec=fakequant does not
     * pick up the integer kernels' cells (nor the other way round); with the integer kernels (the default) the id is
     * the one sweeps had before the mode was part of it: the hash of the settings, recipe, seed and calibration prompts.
     */
    @Test
    void cellIdsDependOnTheQuantizedExecution() {
        Sweep.Spec s = spec(2);
        QuantExec before = ExecutionContext.quantExec();
        try {
            ExecutionContext.setQuantExec(QuantExec.INT);
            Sweep integer = new Sweep(s);
            ExecutionContext.setQuantExec(QuantExec.FAKEQUANT);
            Sweep fake = new Sweep(s);
            assertEquals(QuantExec.FAKEQUANT, fake.quantExec());
            assertEquals(integer.fingerprint(), fake.fingerprint());
            for (int i = 0; i < integer.cells().size(); i++) {
                Sweep.CellKey a = integer.cells().get(i), b = fake.cells().get(i);
                assertNotEquals(a.id(), b.id(), "cell " + i);
                assertEquals(SweepCells.id(integer.fingerprint(), s.recipes().get(a.recipe()), a.seed(), s.calibSets().get(a.calib())), a.id());
                assertEquals(SweepCells.id(integer.fingerprint() + "\nquant_exec=fakequant", s.recipes().get(b.recipe()), b.seed(),
                        s.calibSets().get(b.calib())), b.id());
            }
        } finally {
            ExecutionContext.setQuantExec(before);
        }
    }

    @Test
    void everyPresetReadsBackFromItsJsonAsTheSameRecipe() {
        for (Map.Entry<String, ?> e : Presets.all().entrySet()) {
            Recipe r = Presets.resolve(e.getKey());
            assertEquals(r, RecipeJson.parse(Sweep.recipeJson(e.getKey(), r), e.getKey()), e.getKey());
        }
    }
}
