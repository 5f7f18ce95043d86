package io.vdq.io.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Bit-exactness against ggml itself: src/test/resources/gguf/oracle holds 48 rows × 512 values (Gaussian,
 * Student-t, shifted uniform, outliers, non-negative with zeros, zero sub-blocks, one all-zero row; scales 1e-3..1e3)
 * quantized by ggml's ggml_quantize_chunk, the sha256 of ggml's decoding of them, and random blocks with ggml's
 * decoding (src/test/c/ggml-oracle.sh made them).
 */
class GgmlOracleTest {
    static final int ROWS = 48, N = 512;

    static byte[] resource(String name) {
        try (InputStream in = GgmlOracleTest.class.getResourceAsStream("/gguf/oracle/" + name)) {
            if (in == null) throw new IllegalStateException("missing fixture " + name);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static float[] floats(byte[] b) {
        float[] f = new float[b.length / 4];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }

    static String sha(float[] f) {
        ByteBuffer b = ByteBuffer.allocate(4 * f.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : f) b.putFloat(v);
        return sha(b.array());
    }

    static String sha(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, String> sums() {
        Map<String, String> m = new HashMap<>();
        for (String line : new String(resource("oracle.sha256")).split("\n")) {
            String[] p = line.trim().split("\\s+");
            if (p.length == 2) m.put(p[1], p[0]);
        }
        return m;
    }

    static String ggmlName(GgmlType t) { return t.name().replace("_K", "_k").toLowerCase().replace("_k", "_K"); }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = "F32", mode = EnumSource.Mode.EXCLUDE)
    void referenceEncoderMatchesGgmlByteForByte(GgmlType t) {
        float[] x = floats(resource("input.f32"));
        byte[] expected = resource(ggmlName(t) + ".q");
        int rowBytes = (int) t.rowBytes(N);
        for (int r = 0; r < ROWS; r++) {
            byte[] got = GgmlRefQuant.encode(t, x, r * N, N);
            byte[] want = java.util.Arrays.copyOfRange(expected, r * rowBytes, (r + 1) * rowBytes);
            assertArrayEquals(want, got, t + " row " + r);
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = "F32", mode = EnumSource.Mode.EXCLUDE)
    void decoderMatchesGgmlOnItsOwnQuantizedRows(GgmlType t) {
        float[] y = GgmlBlocks.decode(t, resource(ggmlName(t) + ".q"), ROWS * N);
        assertEquals(sums().get(ggmlName(t) + ".deq"), sha(y), t.name());
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = "F32", mode = EnumSource.Mode.EXCLUDE)
    void decoderMatchesGgmlOnRandomBlocks(GgmlType t) {
        byte[] b = resource(ggmlName(t) + ".rnd");
        float[] y = GgmlBlocks.decode(t, b, b.length / t.typeSize * t.blockSize);
        assertEquals(sums().get(ggmlName(t) + ".rnd.deq"), sha(y), t.name());
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16"}, mode = EnumSource.Mode.EXCLUDE)
    void packIsTheInverseOfUnpack(GgmlType t) {
        byte[] b = resource(ggmlName(t) + ".rnd");
        QBlock k = new QBlock(t);
        byte[] again = new byte[t.typeSize];
        for (int i = 0; i < b.length / t.typeSize; i++) {
            GgmlBlocks.unpack(b, i * t.typeSize, k);
            GgmlBlocks.pack(k, again, 0);
            assertArrayEquals(java.util.Arrays.copyOfRange(b, i * t.typeSize, (i + 1) * t.typeSize), again, t + " block " + i);
        }
    }
}
