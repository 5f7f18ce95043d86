package io.vdq.io.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vdq.VdqException.CheckpointException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Malformed GGUF files end in one-line errors that name the file and the key or tensor at fault. */
class GgufValidationTest {
    @TempDir Path dir;

    private static String error(byte[] b) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> GgufFile.ofBytes("x.gguf", b));
        assertTrue(e.getMessage().startsWith("x.gguf: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    private static GgufTestFiles.Raw oneTensor(int type, long... ne) {
        GgufTestFiles.Raw r = new GgufTestFiles.Raw().header(1, 0).tensor("w", type, 0, ne);
        return r.padTo(32).zeros(4096);
    }

    @Test void rejectsTruncatedFileAtEveryLength() throws IOException {
        byte[] ok = GgufTestFiles.sampleBytes(dir, true);
        for (int n = 0; n < ok.length - 20; n += 7) {   // the last 20 bytes are the bias's zero padding
            String m = error(Arrays.copyOf(ok, n));
            assertTrue(m.contains("truncated") || m.contains("too short") || m.contains("runs past") || m.contains("cannot fit"), m);
        }
        Path p = dir.resolve("cut.gguf");
        Files.write(p, Arrays.copyOf(ok, ok.length - 40));
        CheckpointException e = assertThrows(CheckpointException.class, () -> GgufFile.open(p));
        assertTrue(e.getMessage().startsWith(p.toString()) && e.getMessage().contains("runs past the end"), e.getMessage());
    }

    @Test void rejectsUnknownTypeId() {
        String m = error(oneTensor(15, 256).toByteArray());
        assertTrue(m.contains("'w'") && m.contains("type id 15"), m);
        assertTrue(error(oneTensor(99, 32).toByteArray()).contains("type id 99"));
    }

    @Test void rejectsRowNotAMultipleOfTheBlock() {
        String m = error(oneTensor(GgmlType.Q4_K.id, 255, 2).toByteArray());
        assertTrue(m.contains("'w'") && m.contains("255") && m.contains("block size 256"), m);
    }

    @Test void rejectsBadHeaders() {
        assertTrue(error("GGUX0000000000000000000000000000".getBytes()).contains("not a GGUF file"));
        assertTrue(error(new GgufTestFiles.Raw().u32(GgufFile.MAGIC).u32(1).u64(0).u64(0).toByteArray()).contains("version 1"));
        assertTrue(error(new GgufTestFiles.Raw().header(Long.MAX_VALUE, 0).zeros(64).toByteArray()).contains("tensor count"));
        assertTrue(error(new GgufTestFiles.Raw().header(0, -1).zeros(64).toByteArray()).contains("key/value count"));
    }

    @Test void rejectsBadKeys() {
        GgufTestFiles.Raw dup = new GgufTestFiles.Raw().header(0, 2);
        dup.str("a").u32(4).u32(1).str("a").u32(4).u32(2);
        assertTrue(error(dup.zeros(32).toByteArray()).contains("duplicate key 'a'"));
        GgufTestFiles.Raw nested = new GgufTestFiles.Raw().header(0, 1);
        nested.str("n").u32(9).u32(9).u64(0);
        assertTrue(error(nested.zeros(32).toByteArray()).contains("array of arrays"));
        GgufTestFiles.Raw unknown = new GgufTestFiles.Raw().header(0, 1);
        unknown.str("u").u32(13).u32(0);
        assertTrue(error(unknown.zeros(32).toByteArray()).contains("unknown value type 13"));
        GgufTestFiles.Raw align = new GgufTestFiles.Raw().header(0, 1);
        align.str("general.alignment").u32(4).u32(24);
        assertTrue(error(align.zeros(32).toByteArray()).contains("power of two"));
        GgufTestFiles.Raw longString = new GgufTestFiles.Raw().header(0, 1);
        longString.str("s").u32(8).u64(1L << 40);
        assertTrue(error(longString.zeros(32).toByteArray()).contains("exceeds the limit"));
        GgufTestFiles.Raw bool = new GgufTestFiles.Raw().header(0, 1);
        bool.str("b").u32(7);
        bool.write(2);
        assertTrue(error(bool.zeros(32).toByteArray()).contains("expected 0 or 1"));
        GgufTestFiles.Raw utf = new GgufTestFiles.Raw().header(0, 1);
        utf.u64(1).write(0xff);
        utf.u32(4).u32(0);
        assertTrue(error(utf.zeros(32).toByteArray()).contains("UTF-8"));
    }

    @Test void rejectsBadTensorInfos() {
        GgufTestFiles.Raw dup = new GgufTestFiles.Raw().header(2, 0).tensor("w", 0, 0, 4).tensor("w", 0, 32, 4);
        assertTrue(error(dup.padTo(32).zeros(64).toByteArray()).contains("duplicate tensor 'w'"));
        GgufTestFiles.Raw overlap = new GgufTestFiles.Raw().header(2, 0).tensor("a", 0, 0, 16).tensor("b", 0, 32, 4);
        assertTrue(error(overlap.padTo(32).zeros(128).toByteArray()).contains("overlaps tensor 'a'"));
        GgufTestFiles.Raw misaligned = new GgufTestFiles.Raw().header(1, 0).tensor("w", 0, 4, 4);
        assertTrue(error(misaligned.padTo(32).zeros(64).toByteArray()).contains("alignment"));
        GgufTestFiles.Raw past = new GgufTestFiles.Raw().header(1, 0).tensor("w", 0, 0, 1000);
        assertTrue(error(past.padTo(32).zeros(64).toByteArray()).contains("runs past the end"));
        GgufTestFiles.Raw dims = new GgufTestFiles.Raw().header(1, 0).tensor("w", 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        assertTrue(error(dims.padTo(32).zeros(64).toByteArray()).contains("9 dims"));
        GgufTestFiles.Raw overflow = new GgufTestFiles.Raw().header(1, 0).tensor("w", 0, 0, 1L << 40, 1L << 40);
        assertTrue(error(overflow.padTo(32).zeros(64).toByteArray()).contains("overflow"));
        GgufTestFiles.Raw empty = new GgufTestFiles.Raw().header(1, 0).tensor("", 0, 0, 4);
        assertTrue(error(empty.padTo(32).zeros(64).toByteArray()).contains("empty name"));
    }

    @Test void acceptsAnEmptyFileWithOnlyAHeader() {
        try (GgufFile f = GgufFile.ofBytes("e.gguf", new GgufTestFiles.Raw().header(0, 0).toByteArray())) {
            assertEquals(0, f.names().size());
        }
    }
}
