package io.vdq.io.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/** Small GGUF files for the tests: a valid one written by {@link GgufWriter}, and a raw byte builder for broken ones. */
final class GgufTestFiles {
    private GgufTestFiles() {}

    static float[] randn(long seed, int n, float scale) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian() * scale;
        return v;
    }

    /** A writer holding one tensor of each type plus every scalar key type and one array. */
    static GgufWriter sampleWriter(boolean withArray) {
        GgufWriter w = new GgufWriter();
        w.put("general.architecture", GgufValue.string("wan"));
        w.put("vdq.u8", new GgufValue(GgufValue.Type.UINT8, 200L, null));
        w.put("vdq.i8", new GgufValue(GgufValue.Type.INT8, -5L, null));
        w.put("vdq.u16", new GgufValue(GgufValue.Type.UINT16, 65000L, null));
        w.put("vdq.i16", new GgufValue(GgufValue.Type.INT16, -300L, null));
        w.put("vdq.u32", GgufValue.u32(4_000_000_000L));
        w.put("vdq.i32", GgufValue.i32(-7));
        w.put("vdq.f32", GgufValue.f32(1.5f));
        w.put("vdq.bool", GgufValue.bool(true));
        w.put("vdq.u64", GgufValue.u64(-1L));
        w.put("vdq.i64", new GgufValue(GgufValue.Type.INT64, Long.MIN_VALUE, null));
        w.put("vdq.f64", GgufValue.f64(Math.PI));
        w.put("vdq.text", GgufValue.string("héllo"));
        if (withArray) w.put("vdq.list", GgufValue.array(GgufValue.Type.STRING, List.of("a", "bc")));
        int k = 0;
        for (GgmlType t : GgmlType.values()) {
            int cols = t.blockSize == 1 ? 8 : t.blockSize;
            float[] x = randn(k, 2 * cols, 0.5f);
            w.tensor("t." + t.name().toLowerCase(), t, new long[]{2, cols}, GgmlRefQuant.encode(t, x, 0, 2 * cols));
            k++;
        }
        w.tensor("bias", GgmlType.F32, new long[]{3}, GgmlRefQuant.encode(GgmlType.F32, new float[]{1, 2, 3}, 0, 3));
        return w;
    }

    static byte[] sampleBytes(Path dir, boolean withArray) throws java.io.IOException {
        Path p = dir.resolve("sample-" + withArray + ".gguf");
        sampleWriter(withArray).write(p);
        return Files.readAllBytes(p);
    }

    /** Little-endian byte builder for hand-made headers. */
    static final class Raw extends ByteArrayOutputStream {
        Raw u32(long v) { for (int i = 0; i < 4; i++) write((int) (v >>> (8 * i))); return this; }

        Raw u64(long v) { for (int i = 0; i < 8; i++) write((int) (v >>> (8 * i))); return this; }

        Raw str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            write(b, 0, b.length);
            return this;
        }

        Raw header(long tensors, long kvs) { return u32(GgufFile.MAGIC).u32(3).u64(tensors).u64(kvs); }

        Raw tensor(String name, int type, long offset, long... ne) {
            str(name).u32(ne.length);
            for (long d : ne) u64(d);
            return u32(type).u64(offset);
        }

        Raw padTo(int alignment) { while (size() % alignment != 0) write(0); return this; }

        Raw zeros(int n) { for (int i = 0; i < n; i++) write(0); return this; }
    }
}
