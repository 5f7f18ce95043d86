package io.vdq.io.gguf;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vdq.VdqException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 12 000 mutated GGUF files (seeded, reproducible) go through the reader and every tensor through readFloat: each
 * must either load or fail with a {@link VdqException}, never another exception. Mutations: random byte flips,
 * truncations, extreme values written over 8-byte fields (counts, lengths, dims, offsets), and duplicated or
 * deleted byte ranges.
 */
class GgufFuzzTest {
    @TempDir Path dir;

    @Test void mutatedFilesFailCleanly() throws IOException {
        byte[][] seeds = {GgufTestFiles.sampleBytes(dir, true), GgufTestFiles.sampleBytes(dir, false)};
        long[] extremes = {0, 1, -1, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 32, 0xffffffffL, 1L << 62, 32, 255, 256, 1L << 30};
        SplittableRandom rnd = new SplittableRandom(20261207L);
        int loaded = 0, refused = 0;
        for (int i = 0; i < 12_000; i++) {
            byte[] b = seeds[i & 1].clone();
            int kind = rnd.nextInt(5);
            switch (kind) {
                case 0 -> { for (int k = 1 + rnd.nextInt(4); k > 0; k--) b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8)); }
                case 1 -> b = Arrays.copyOf(b, rnd.nextInt(b.length));
                case 2 -> {
                    int at = rnd.nextInt(Math.min(b.length - 8, 1200));
                    long v = extremes[rnd.nextInt(extremes.length)];
                    for (int k = 0; k < 8; k++) b[at + k] = (byte) (v >>> (8 * k));
                }
                case 3 -> {   // 4-byte field (types, dims count) set to a small or huge value
                    int at = rnd.nextInt(Math.min(b.length - 4, 1200));
                    int v = rnd.nextBoolean() ? rnd.nextInt(40) : rnd.nextInt();
                    for (int k = 0; k < 4; k++) b[at + k] = (byte) (v >>> (8 * k));
                }
                default -> {
                    int from = rnd.nextInt(b.length), len = rnd.nextInt(1, 64);
                    byte[] c = new byte[b.length + (rnd.nextBoolean() ? len : -Math.min(len, b.length - from))];
                    if (c.length > b.length) {
                        System.arraycopy(b, 0, c, 0, from);
                        System.arraycopy(b, from, c, from, Math.min(len, b.length - from));
                        System.arraycopy(b, from, c, from + len, b.length - from);
                    } else {
                        System.arraycopy(b, 0, c, 0, from);
                        System.arraycopy(b, from + (b.length - c.length), c, from, c.length - from);
                    }
                    b = c;
                }
            }
            try (GgufFile f = GgufFile.ofBytes("fuzz-" + i + ".gguf", b)) {
                for (String n : f.names()) f.readFloat(n);
                f.metadata();
                loaded++;
            } catch (VdqException e) {
                if (e.getMessage() == null || !e.getMessage().startsWith("fuzz-" + i + ".gguf: ") || e.getMessage().contains("\n"))
                    fail("case " + i + " (mutation " + kind + "): message does not name the file on one line: " + e.getMessage());
                refused++;
            } catch (RuntimeException | Error e) {
                throw new AssertionError("case " + i + " (mutation " + kind + "): " + e, e);
            }
        }
        assertTrue(refused > 1000 && loaded > 100, "loaded " + loaded + ", refused " + refused);
    }
}
