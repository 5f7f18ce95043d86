package io.vdq.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SweepCellsTest {
    @TempDir Path dir;
    private final ObjectMapper json = new ObjectMapper();

    private static SweepCells.Cell cell(String id, double psnr) {
        return new SweepCells.Cell(id, "w4a8-minmax", 1, 0, psnr, 0.1, 0.99, Double.NaN, 1.5, new double[]{psnr, Double.POSITIVE_INFINITY},
                2.0, 3.0, null);
    }

    @Test
    void cellsRoundTripExactlyAndATornLineIsSkippedNotGlued() throws Exception {
        Path f = dir.resolve("cells.jsonl");
        SweepCells.append(f, json, cell("a", 29.123456789012345));
        Files.writeString(f, "{\"id\":\"b\",\"recipe\":\"w4a8", StandardOpenOption.APPEND); // a write cut short
        SweepCells.append(f, json, cell("c", 31.5));
        var read = SweepCells.read(f, json);
        assertEquals(List.of("a", "c"), List.copyOf(read.keySet()), "the torn cell is dropped and the next one is intact");
        SweepCells.Cell a = read.get("a");
        assertEquals(29.123456789012345, a.psnr(), 0, "doubles survive the JSON round trip bit for bit");
        assertTrue(Double.isNaN(a.stepSnr()), "not measured: written as null, read as NaN");
        assertArrayEquals(new double[]{29.123456789012345, Double.NaN}, a.perPromptPsnr(), 0);
        assertEquals(3, Files.readAllLines(f).size());
    }

    @Test
    void idsChangeWithEveryCoordinate() {
        String base = SweepCells.id("steps=10", "w4a8-dvd", 0, List.of("a red circle moving up"));
        assertEquals(base, SweepCells.id("steps=10", "w4a8-dvd", 0, List.of("a red circle moving up")));
        assertNotEquals(base, SweepCells.id("steps=6", "w4a8-dvd", 0, List.of("a red circle moving up")));
        assertNotEquals(base, SweepCells.id("steps=10", "w4a8-minmax", 0, List.of("a red circle moving up")));
        assertNotEquals(base, SweepCells.id("steps=10", "w4a8-dvd", 1, List.of("a red circle moving up")));
        assertNotEquals(base, SweepCells.id("steps=10", "w4a8-dvd", 0, List.of("a blue circle moving up")));
    }

    @Test
    void aPlantedCellsFileLinkIsRefusedAndItsTargetLeftAlone() throws Exception {
        Path victim = dir.resolve("victim.txt");
        Files.writeString(victim, "keep me\n");
        Path f = dir.resolve("cells.jsonl");
        Files.createSymbolicLink(f, victim);
        var e = org.junit.jupiter.api.Assertions.assertThrows(java.io.UncheckedIOException.class, () -> SweepCells.append(f, json, cell("a", 30)));
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        assertEquals("keep me\n", Files.readString(victim));
    }
}
