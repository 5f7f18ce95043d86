package io.vdq.io;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.VdqException;
import io.vdq.VdqException.CheckpointException;
import io.vdq.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {
    @TempDir Path dir;

    /** Independent nearest-even rounding of x to a binary format with {@code mant} stored mantissa bits. */
    static double nearestEven(float x, int mant, int minExp, double maxFinite) {
        if (Float.isNaN(x) || Float.isInfinite(x)) return x;
        double a = Math.abs((double) x);
        if (a == 0) return x;
        int e = Math.max(Math.getExponent(a), minExp);      // subnormals share the smallest normal exponent's quantum
        double q = Math.scalb(1.0, e - mant);
        double r = Math.rint(a / q) * q;                      // a/q is exact (power-of-two scaling); rint ties to even
        double halfwayToInf = maxFinite + Math.scalb(1.0, Math.getExponent(maxFinite) - mant - 1);
        if (a >= halfwayToInf) r = Double.POSITIVE_INFINITY;
        return Math.copySign(r, x);
    }

    static double nearestF16(float x) { return nearestEven(x, 10, -14, 65504.0); }

    static double nearestBf16(float x) { return nearestEven(x, 7, -126, Math.scalb(2.0 - Math.scalb(1.0, -7), 127)); }

    /** Independent decoder of IEEE binary16 bits. */
    static double decodeF16(short bits) {
        int b = bits & 0xFFFF, s = b >>> 15, e = (b >>> 10) & 0x1F, m = b & 0x3FF;
        double v = e == 0 ? Math.scalb((double) m, -24) : e == 31 ? (m == 0 ? Double.POSITIVE_INFINITY : Double.NaN)
                : Math.scalb(1024.0 + m, e - 25);
        return s == 1 ? -v : v;
    }

    static float[] randomFloatsOfEveryKind(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (i % 4) {
                case 0 -> (float) r.nextGaussian();
                case 1 -> Float.intBitsToFloat(r.nextInt());                    // any bit pattern
                case 2 -> (float) (r.nextGaussian() * Math.scalb(1.0, r.nextInt(-30, 20)));
                default -> Float.intBitsToFloat(r.nextInt() & 0x807FFFFF | (r.nextInt(100, 145) << 23)); // near F16 range
            };
            if (Float.isNaN(v[i])) v[i] = 0.5f;
        }
        return v;
    }

    @Test
    void everyWritableDtypeRoundTripsExactlyRepresentableValues() {
        SplittableRandom r = new SplittableRandom(7);
        int n = 3 * 67;
        float[] f32 = new float[n], f16 = new float[n], bf16 = new float[n], i8 = new float[n], u8 = new float[n], i32 = new float[n];
        for (int i = 0; i < n; i++) {
            f32[i] = Float.intBitsToFloat(r.nextInt() & 0xBF7FFFFF);            // finite
            f16[i] = r.nextInt(-2048, 2049) / 64f;
            bf16[i] = r.nextInt(-256, 257) / 8f;
            i8[i] = r.nextInt(-128, 128);
            u8[i] = r.nextInt(0, 256);
            i32[i] = r.nextInt(-(1 << 24), (1 << 24) + 1);
        }
        i8[0] = -128; i8[1] = 127; u8[0] = 0; u8[1] = 255;
        Map<DType, float[]> values = Map.of(DType.F32, f32, DType.F16, f16, DType.BF16, bf16, DType.I8, i8, DType.U8, u8, DType.I32, i32);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt").metadata("note", "ünïcode");
        values.forEach((dt, v) -> w.add("t." + dt, Tensor.of(v, 3, 67), dt));
        Path f = dir.resolve("all.safetensors");
        w.write(f);
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            assertEquals(Map.of("format", "pt", "note", "ünïcode"), s.metadata());
            for (var e : values.entrySet()) {
                String name = "t." + e.getKey();
                TensorInfo info = s.info(name);
                assertEquals(e.getKey(), info.dtype());
                assertArrayEquals(new long[]{3, 67}, info.shape());
                assertEquals((long) n * e.getKey().bytes, info.bytes());
                Tensor t = s.readFloat(name);
                assertEquals(io.vdq.tensor.Shape.of(3, 67), t.shape());
                assertArrayEquals(e.getValue(), t.toArray(), name);
            }
            int[] ints = s.readInts("t.I8");
            for (int i = 0; i < n; i++) assertEquals((int) i8[i], ints[i]);
            long[] longs = s.readLongs("t.U8");
            for (int i = 0; i < n; i++) assertEquals((long) u8[i], longs[i]);
            byte[] raw = s.readBytes("t.I32");
            ByteBuffer bb = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) assertEquals((int) i32[i], bb.getInt(4 * i));
            assertEquals(n * 4L, s.segment("t.F32").byteSize());
        }
    }

    @Test
    void f16AndBf16RoundToNearestEvenAsTheBitLevelFormulaSays() {
        float[] v = randomFloatsOfEveryKind(11, 40_000);
        float[] ties = {1f + 0x1p-11f, 1f + 3 * 0x1p-11f, 65520f, 65519.996f, -1f - 0x1p-11f, 0x1p-25f, 3 * 0x1p-25f,
                1f + 0x1p-8f, 1f + 3 * 0x1p-8f, 0x1p-133f, Float.MAX_VALUE, Float.MIN_VALUE, -0f, Float.POSITIVE_INFINITY};
        float[] all = Arrays.copyOf(v, v.length + ties.length);
        System.arraycopy(ties, 0, all, v.length, ties.length);
        // A few hand-checked anchors of the independent formula itself.
        assertEquals(1.0, nearestF16(1f + 0x1p-11f));                         // tie -> even mantissa 0
        assertEquals(1.0 + 0x1p-9, nearestF16(1f + 3 * 0x1p-11f));            // tie -> even mantissa 2
        assertEquals(Double.POSITIVE_INFINITY, nearestF16(65520f));
        assertEquals(65504.0, nearestF16(65519.996f));
        assertEquals(0.0, nearestF16(0x1p-25f));                              // tie between 0 and the smallest subnormal
        assertEquals(0x1p-23, nearestF16(3 * 0x1p-25f));
        assertEquals(1.0, nearestBf16(1f + 0x1p-8f));
        assertEquals(1.0 + 0x1p-6, nearestBf16(1f + 3 * 0x1p-8f));

        SafetensorsWriter w = new SafetensorsWriter()
                .add("h", Tensor.of(all, all.length), DType.F16)
                .add("b", Tensor.of(all, all.length), DType.BF16);
        Path f = dir.resolve("round.safetensors");
        w.write(f);
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            float[] h = s.readFloat("h").toArray(), b = s.readFloat("b").toArray();
            var hs = s.segment("h");
            for (int i = 0; i < all.length; i++) {
                short bits = hs.get(TensorCodec.I16, 2L * i);
                double f16 = nearestF16(all[i]), bf16 = nearestBf16(all[i]);
                // Double.compare: exact, and -0.0 must stay -0.0
                if (Double.compare(f16, decodeF16(bits)) != 0 || Double.compare(f16, h[i]) != 0)
                    fail("F16 of " + all[i] + ": want " + f16 + ", bits decode to " + decodeF16(bits) + ", read " + h[i]);
                if (Double.compare(bf16, b[i]) != 0) fail("BF16 of " + all[i] + ": want " + bf16 + ", read " + b[i]);
            }
        }
        assertTrue(Float.isNaN(TensorCodec.bf16ToFloat(TensorCodec.floatToBf16(Float.NaN))));
        assertTrue(Float.isNaN(TensorCodec.bf16ToFloat(TensorCodec.floatToBf16(Float.intBitsToFloat(0x7F800001)))));
    }

    @Test
    void readsI64AndBoolFromHandMadeBytes() {
        String h = "{\"ids\":{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[0,24]},"
                + "\"mask\":{\"dtype\":\"BOOL\",\"shape\":[2,2],\"data_offsets\":[24,28]}}";
        byte[] data = new byte[28];
        System.arraycopy(SafetensorsBytes.le(-5, 1L << 40, 7), 0, data, 0, 24);
        data[24] = 1; data[25] = 0; data[26] = 0; data[27] = 1;
        try (SafetensorsFile s = SafetensorsFile.ofBytes("mem", SafetensorsBytes.image(h, data))) {
            assertArrayEquals(new long[]{-5, 1L << 40, 7}, s.readLongs("ids"));
            assertArrayEquals(new float[]{-5f, (float) (1L << 40), 7f}, s.readFloat("ids").toArray());
            assertArrayEquals(new float[]{1, 0, 0, 1}, s.readFloat("mask").toArray());
            assertArrayEquals(new int[]{1, 0, 0, 1}, s.readInts("mask"));
            CheckpointException e = assertThrows(CheckpointException.class, () -> s.readInts("ids"));
            assertTrue(e.getMessage().contains("mem: tensor 'ids'") && e.getMessage().contains("1099511627776"), e.getMessage());
        }
    }

    @Test
    void outputIsDeterministicSortedAndHeaderPaddedWithSpacesToEightBytes() throws IOException {
        Path a = dir.resolve("a.safetensors"), b = dir.resolve("b.safetensors");
        new SafetensorsWriter().add("z", Tensor.randn(1, 5)).add("a", Tensor.randn(2, 2, 3), DType.BF16)
                .addBytes("m", DType.U8, new long[]{3}, new byte[]{1, 2, 3}).metadata("k", "v").write(a);
        new SafetensorsWriter().metadata("k", "v").addBytes("m", DType.U8, new long[]{3}, new byte[]{1, 2, 3})
                .add("a", Tensor.randn(2, 2, 3), DType.BF16).add("z", Tensor.randn(1, 5)).write(b);
        byte[] x = Files.readAllBytes(a);
        assertArrayEquals(x, Files.readAllBytes(b));
        long n = ByteBuffer.wrap(x).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, n % 8);
        String header = new String(x, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\":{\"k\":\"v\"},\"a\":"), header);
        assertTrue(header.indexOf("\"a\"") < header.indexOf("\"m\"") && header.indexOf("\"m\"") < header.indexOf("\"z\""));
        assertTrue(header.stripTrailing().endsWith("}"));
        assertEquals(header.stripTrailing().length() + (header.length() - header.stripTrailing().length()), header.length());
        assertTrue(header.substring(header.stripTrailing().length()).chars().allMatch(c -> c == ' '));
        // Data laid out in name order: a (6 BF16 = 12 bytes), m (3), z (5 F32 = 20).
        assertEquals(8 + n + 12 + 3 + 20, x.length);
        try (SafetensorsFile s = SafetensorsFile.open(a)) {
            assertEquals(0, s.info("a").begin());
            assertEquals(12, s.info("m").begin());
            assertEquals(15, s.info("z").begin());
            assertArrayEquals(new int[]{1, 2, 3}, s.readInts("m"));
        }
    }

    @Test
    void writesAtomicallyAndLeavesTheOldFileWhenEncodingFails() throws IOException {
        Path f = dir.resolve("w.safetensors");
        new SafetensorsWriter().add("x", Tensor.of(new float[]{1, 2}, 2), DType.I8).write(f);
        byte[] before = Files.readAllBytes(f);
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> new SafetensorsWriter().add("x", Tensor.of(new float[]{1, 200}, 2), DType.I8).write(f));
        assertTrue(e.getMessage().startsWith(f + ": tensor 'x': value 200.0 at index 1"), e.getMessage());
        assertThrows(CheckpointException.class,
                () -> new SafetensorsWriter().add("y", Tensor.of(new float[]{0.5f}, 1), DType.U8).write(f));
        assertArrayEquals(before, Files.readAllBytes(f));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(java.util.List.of(f), s.toList(), "no temporary files left behind");
        }
    }

    @Test
    void copiesTensorsVerbatimFromAnOpenSource() throws IOException {
        Path src = dir.resolve("src.safetensors"), dst = dir.resolve("dst.safetensors");
        new SafetensorsWriter().add("norm", Tensor.randn(9, 7), DType.BF16).add("w", Tensor.randn(8, 3, 4), DType.F16).write(src);
        try (SafetensorsFile s = SafetensorsFile.open(src)) {
            new SafetensorsWriter().copy(s, "norm").copy(s, "w", "renamed").add("q", Tensor.of(new float[]{-1, 2}, 2), DType.I8).write(dst);
            try (SafetensorsFile d = SafetensorsFile.open(dst)) {
                assertEquals(java.util.Set.of("norm", "renamed", "q"), d.names());
                assertArrayEquals(s.readBytes("norm"), d.readBytes("norm"));
                assertArrayEquals(s.readBytes("w"), d.readBytes("renamed"));
                assertEquals(DType.F16, d.info("renamed").dtype());
                assertArrayEquals(new long[]{3, 4}, d.info("renamed").shape());
            }
        }
    }

    @Test
    void writerRefusesUnwritableTypesDuplicatesAndWrongSizes() {
        SafetensorsWriter w = new SafetensorsWriter().add("a", Tensor.zeros(2));
        assertThrows(CheckpointException.class, () -> w.add("a", Tensor.zeros(2)));
        assertThrows(CheckpointException.class, () -> w.add("__metadata__", Tensor.zeros(2)));
        assertThrows(CheckpointException.class, () -> w.add("b", Tensor.zeros(2), DType.I64));
        assertThrows(CheckpointException.class, () -> w.add("b", Tensor.zeros(2), DType.BOOL));
        VdqException e = assertThrows(CheckpointException.class, () -> w.addBytes("c", DType.F16, new long[]{3}, new byte[5]));
        assertTrue(e.getMessage().contains("tensor 'c': 5 bytes given but shape [3] of F16 needs 6"), e.getMessage());
        assertThrows(CheckpointException.class, () -> w.addInts("d", new long[]{2, 2}, new int[3]));
    }

    @Test
    void readsLargeTensorsInParallelChunksIdenticallyToElementwiseDecoding() {
        int n = (1 << 17) + 3;
        float[] v = randomFloatsOfEveryKind(5, n);
        for (DType dt : new DType[]{DType.F32, DType.F16, DType.BF16}) {
            Path f = dir.resolve("big-" + dt + ".safetensors");
            new SafetensorsWriter().add("x", Tensor.of(v, n), dt).write(f);
            try (SafetensorsFile s = SafetensorsFile.open(f)) {
                float[] got = s.readFloat("x").toArray();
                var seg = s.segment("x");
                for (int i = 0; i < n; i++) {
                    float want = switch (dt) {
                        case F32 -> seg.get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * i);
                        case F16 -> (float) decodeF16(seg.get(TensorCodec.I16, 2L * i));
                        default -> Float.intBitsToFloat((seg.get(TensorCodec.I16, 2L * i) & 0xFFFF) << 16);
                    };
                    if (Float.compare(want, got[i]) != 0) fail(dt + " element " + i + ": want " + want + ", got " + got[i]);
                }
            }
        }
    }

    @Test
    void mapsFilesLargerThanTwoGigabytes() throws IOException {
        // A sparse 2 GiB + 24 byte file: a U8 tensor spanning 2^31 + 8 bytes, then an F32 pair past the 2 GiB mark.
        long big = (1L << 31) + 8;
        String h = "{\"big\":{\"dtype\":\"U8\",\"shape\":[" + big + "],\"data_offsets\":[0," + big + "]},"
                + "\"tail\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[" + big + "," + (big + 8) + "]}}";
        byte[] head = SafetensorsBytes.image(h, new byte[0]);
        Path f = dir.resolve("big.safetensors");
        try (var raf = new java.io.RandomAccessFile(f.toFile(), "rw")) {
            raf.write(head);
            raf.seek(head.length + big);
            raf.write(SafetensorsBytes.leFloats(3.25f, -7f));
        }
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            assertEquals(head.length + big + 8, s.fileSize());
            assertArrayEquals(new float[]{3.25f, -7f}, s.readFloat("tail").toArray());
            assertEquals(big, s.segment("big").byteSize());
            assertEquals(0, s.segment("big").get(ValueLayout.JAVA_BYTE, big - 1));
            CheckpointException e = assertThrows(CheckpointException.class, () -> s.readFloat("big"));
            assertTrue(e.getMessage().contains("more than one float array holds; use segment()"), e.getMessage());
            assertThrows(CheckpointException.class, () -> s.readBytes("big"));
        }
    }

    @Test
    void inMemorySourceExposesF32BytesThroughTheDefaultAccessors() {
        var src = new InMemoryTensorSource(Map.of("w", Tensor.of(new float[]{1.5f, -2f}, 2)));
        byte[] raw = src.readBytes("w");
        assertArrayEquals(SafetensorsBytes.leFloats(1.5f, -2f), raw);
        assertThrows(CheckpointException.class, () -> src.readInts("w"));
    }
}
