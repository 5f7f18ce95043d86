package io.vdq.io;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException.CheckpointException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Fuzzing: over 10 000 corrupted, truncated or invented safetensors images and index files in total, the
 * reader may only throw {@link CheckpointException}: no other exception, no out-of-memory, no hang. Every
 * image is small, so each try is quick; each property has a fixed seed so the run is reproducible.
 */
class SafetensorsFuzzTest {
    private static final String[] DTYPES = {"F32", "F16", "BF16", "I8", "U8", "I32", "I64", "BOOL", "F64", "f32", "", "I16"};
    private static final AtomicInteger TRIES = new AtomicInteger(), ACCEPTED = new AtomicInteger();
    private static Path dir;
    private static List<byte[]> bases;

    @BeforeContainer
    static void setUp() throws IOException {
        dir = Files.createTempDirectory("vdq-fuzz");
        bases = List.of(handMadeAllDtypes(), writerMade(), SafetensorsBytes.image("{}", new byte[0]));
        new SafetensorsWriter().add("a", io.vdq.tensor.Tensor.randn(1, 3)).write(dir.resolve("s1.safetensors"));
        new SafetensorsWriter().add("b", io.vdq.tensor.Tensor.randn(2, 2, 2), DType.BF16).write(dir.resolve("s2.safetensors"));
    }

    @AfterContainer
    static void tearDown() throws IOException {
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        assertTrue(TRIES.get() >= 10_000, "fuzzed " + TRIES.get() + " inputs, expected at least 10 000");
        // The inputs must exercise both sides: headers that pass validation (then every tensor is read) and ones that fail.
        // Since the reader refuses data bytes no tensor covers (holes, trailing bytes), most random offset edits fail:
        // about 2 % pass, so the floor is 1 % (a few hundred accepted inputs, each read in full).
        int accepted = ACCEPTED.get();
        assertTrue(accepted > TRIES.get() / 100 && accepted < TRIES.get() * 19 / 20,
                accepted + " of " + TRIES.get() + " fuzzed inputs were accepted");
    }

    private static byte[] handMadeAllDtypes() {
        String h = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"f32\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                + "\"f16\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[16,22]},"
                + "\"bf16\":{\"dtype\":\"BF16\",\"shape\":[1,3],\"data_offsets\":[22,28]},"
                + "\"i8\":{\"dtype\":\"I8\",\"shape\":[4],\"data_offsets\":[28,32]},"
                + "\"u8\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[32,33]},"
                + "\"i32\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[33,41]},"
                + "\"i64\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[41,57]},"
                + "\"b\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[57,60]},"
                + "\"empty\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[60,60]}}";
        byte[] data = new byte[60];
        new SplittableRandom(3).nextBytes(data);
        return SafetensorsBytes.image(h, data);
    }

    private static byte[] writerMade() throws IOException {
        Path f = dir.resolve("base.safetensors");
        new SafetensorsWriter().add("w", io.vdq.tensor.Tensor.randn(4, 3, 5), DType.F16)
                .addBytes("q", DType.I8, new long[]{2, 3}, new byte[]{1, -2, 3, -4, 5, -6})
                .addInts("idx", new long[]{3}, new int[]{7, -8, 9}).metadata("quant", "w4a8").write(f);
        return Files.readAllBytes(f);
    }

    /** Opens and fully reads the image; only CheckpointException may escape. */
    private static void exercise(byte[] image) {
        TRIES.incrementAndGet();
        try (SafetensorsFile s = SafetensorsFile.ofBytes("fuzz", image)) {
            readEverything(s);
        } catch (CheckpointException expected) {
            assertTrue(expected.getMessage().startsWith("fuzz"), expected.getMessage());
            assertFalse(expected.getMessage().contains("\n"), expected.getMessage());
        }
    }

    private static void readEverything(TensorSource s) {
        ACCEPTED.incrementAndGet();
        s.metadata();
        for (String n : s.names()) {
            TensorInfo i = s.info(n);
            try {
                float[] v = s.readFloat(n).toArray();
                assertEquals(i.elements(), v.length);
                assertEquals(i.bytes(), s.segment(n).byteSize());
                if (i.dtype() != DType.F32 && i.dtype() != DType.F16 && i.dtype() != DType.BF16) {
                    assertEquals(v.length, s.readLongs(n).length);
                    s.readInts(n);
                }
            } catch (CheckpointException perTensor) {
                // a shape the float view cannot hold, or I64 values outside int range
            }
        }
    }

    @Property(tries = 4700, seed = "20261123")
    void randomByteFlipsOnlyRaiseCheckpointExceptions(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] f = bases.get(r.nextInt(bases.size())).clone();
        int headerEnd = 8 + (int) Math.min(f.length - 8, SafetensorsBytes.readLength(f));
        byte[] interesting = "\"{}[],:-0123456789eE. \\ntfu".getBytes(StandardCharsets.UTF_8);
        for (int k = 1 + r.nextInt(6); k > 0; k--) {
            int pos = r.nextInt(4) == 0 ? r.nextInt(f.length) : r.nextInt(headerEnd);
            f[pos] = r.nextBoolean() ? (byte) r.nextInt(256) : interesting[r.nextInt(interesting.length)];
        }
        exercise(f);
    }

    @Property(tries = 1500, seed = "20261124")
    void truncatedOrExtendedFilesOnlyRaiseCheckpointExceptions(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] f = bases.get(r.nextInt(bases.size()));
        int len = r.nextInt(4) == 0 ? f.length + 1 + r.nextInt(16) : r.nextInt(f.length);
        byte[] g = Arrays.copyOf(f, len);
        for (int i = f.length; i < len; i++) g[i] = (byte) r.nextInt(256);
        exercise(g);
    }

    @Property(tries = 3500, seed = "20261125")
    void randomHeaderJsonOnlyRaisesCheckpointExceptions(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder h = new StringBuilder("{");
        int entries = r.nextInt(5);
        long offset = 0;
        for (int e = 0; e < entries; e++) {
            if (e > 0) h.append(',');
            if (r.nextInt(8) == 0) { h.append("\"__metadata__\":").append(randomJson(r, 2)); continue; }
            h.append('"').append(r.nextInt(3) == 0 ? "t" : "t" + e).append("\":{");
            h.append("\"dtype\":").append(r.nextInt(10) == 0 ? randomJson(r, 1) : "\"" + DTYPES[r.nextInt(DTYPES.length)] + "\"");
            h.append(",\"shape\":[");
            int rank = r.nextInt(4);
            long n = 1;
            for (int d = 0; d < rank; d++) {
                long dim = r.nextInt(6) == 0 ? randomNumber(r) : r.nextInt(5);
                if (d > 0) h.append(',');
                h.append(dim);
                n *= dim;
            }
            h.append("],\"data_offsets\":[");
            long len = r.nextBoolean() ? n * (1 + r.nextInt(4)) : randomNumber(r);
            long begin = r.nextInt(4) == 0 ? randomNumber(r) : offset;
            h.append(begin).append(',').append(r.nextInt(6) == 0 ? randomNumber(r) : begin + len).append(']');
            if (r.nextInt(20) == 0) h.append(",\"x\":").append(randomJson(r, 2));
            h.append('}');
            offset = begin + len;
        }
        h.append('}');
        if (r.nextInt(10) == 0) h.append(randomJson(r, 1));
        int pad = r.nextInt(8);
        h.append(" ".repeat(pad));
        byte[] data = new byte[r.nextInt(r.nextBoolean() ? 8 : 80)];
        r.nextBytes(data);
        exercise(SafetensorsBytes.image(h.toString(), data));
    }

    @Property(tries = 1000, seed = "20261126")
    void hugeOrLyingHeaderLengthsOnlyRaiseCheckpointExceptions(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] body = new byte[r.nextInt(64)];
        r.nextBytes(body);
        if (r.nextBoolean() && body.length >= 2) { body[0] = '{'; body[body.length - 1] = '}'; }
        long[] lengths = {r.nextLong(), Long.MIN_VALUE, Long.MAX_VALUE, -1, 100_000_000L, 100_000_001L, 1L << 32,
                body.length, body.length + 1L, body.length - 1L, 0, 1, Integer.MAX_VALUE, 1L << 31};
        exercise(SafetensorsBytes.image(lengths[r.nextInt(lengths.length)], body, new byte[0]));
    }

    @Property(tries = 500, seed = "20261127")
    void corruptedFilesOnDiskOnlyRaiseCheckpointExceptions(@ForAll long seed) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] f = bases.get(r.nextInt(bases.size())).clone();
        if (r.nextBoolean()) f = Arrays.copyOf(f, r.nextInt(f.length + 1));
        for (int k = r.nextInt(4); k > 0 && f.length > 0; k--) f[r.nextInt(f.length)] = (byte) r.nextInt(256);
        Path p = dir.resolve("disk.safetensors");
        Files.write(p, f);
        TRIES.incrementAndGet();
        try (TensorSource s = Checkpoints.open(p)) {
            readEverything(s);
        } catch (CheckpointException expected) {
            assertTrue(expected.getMessage().startsWith(p.toString()), expected.getMessage());
        }
    }

    @Property(tries = 300, seed = "20261128")
    void corruptedIndexFilesOnlyRaiseCheckpointExceptions(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] idx = ("{\"metadata\":{\"total_size\":28},\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\"}}")
                .getBytes(StandardCharsets.UTF_8);
        byte[] interesting = "\"{}[],:./s12ab \\".getBytes(StandardCharsets.UTF_8);
        for (int k = 1 + r.nextInt(4); k > 0; k--)
            idx[r.nextInt(idx.length)] = r.nextInt(3) == 0 ? (byte) r.nextInt(256) : interesting[r.nextInt(interesting.length)];
        if (r.nextInt(5) == 0) idx = Arrays.copyOf(idx, r.nextInt(idx.length));
        Path p = dir.resolve("m.safetensors.index.json");
        try {
            Files.write(p, idx);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TRIES.incrementAndGet();
        try (TensorSource s = Checkpoints.open(p)) {
            readEverything(s);
        } catch (CheckpointException expected) {
            // the index itself, or a shard it names
            assertTrue(expected.getMessage().startsWith(dir.toString()), expected.getMessage());
        }
    }

    private static long randomNumber(SplittableRandom r) {
        return switch (r.nextInt(6)) {
            case 0 -> -1 - r.nextInt(10);
            case 1 -> r.nextLong();
            case 2 -> Long.MAX_VALUE - r.nextInt(3);
            case 3 -> (1L << 31) + r.nextInt(3) - 1;
            case 4 -> 1L << 62;
            default -> r.nextInt(200);
        };
    }

    private static String randomJson(SplittableRandom r, int depth) {
        int k = depth <= 0 ? r.nextInt(5) : r.nextInt(7);
        return switch (k) {
            case 0 -> "null";
            case 1 -> String.valueOf(r.nextBoolean());
            case 2 -> r.nextBoolean() ? String.valueOf(r.nextDouble() * 1e6) : "1e999";
            case 3 -> "\"s" + r.nextInt(100) + (r.nextBoolean() ? "\\u0000\\n" : "") + "\"";
            case 4 -> String.valueOf(randomNumber(r));
            case 5 -> {
                StringBuilder b = new StringBuilder("[");
                for (int i = r.nextInt(4); i > 0; i--) b.append(randomJson(r, depth - 1)).append(i > 1 ? "," : "");
                yield b.append(']').toString();
            }
            default -> {
                StringBuilder b = new StringBuilder("{");
                for (int i = r.nextInt(3); i > 0; i--)
                    b.append("\"k").append(i).append("\":").append(randomJson(r, depth - 1)).append(i > 1 ? "," : "");
                yield b.append('}').toString();
            }
        };
    }
}
