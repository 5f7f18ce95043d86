package io.vdq.io.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Golden vectors made with ggml's C reference ({@code ggml_quantize_chunk} without importance matrix, then
 * {@code to_float}) on one row x_j = (((37·j) mod 64) − 31)/8 · (1 + j/64), j = 0..255 (integer division).
 */
class GgmlGoldenTest {
    record Golden(GgmlType type, int bytes, String quantSha, String dequantSha, float maxErr) {}

    static final Golden[] GOLDEN = {
            new Golden(GgmlType.Q4_0, 144, "f3e9418ed2d092a7bf3240342cc6a4e9a9bf11878c500d5cb5e61f6ea434c2c6", "085a4fcf3d52fb243c1339caaaba5f8c33832d7729fe31630334dd5bfbe3d8bf", 1.5f),
            new Golden(GgmlType.Q4_1, 160, "69d8ab29d3022a8508ac224e8668fccf90dd6f816d01f2eefd442f3f9cb7ca4c", "2dbd90b8b02a72de843a88ed940ed62d9d44389529ee5c3ddcce6c709485d642", 1.00195f),
            new Golden(GgmlType.Q5_0, 176, "9e0045a95484c66e640033acd9403c2e6672b5b3205b1a3f621eff4ac74357c1", "de23169f52bb8a18a5d946e6d8e58fcab47d342fd91a4502f4b30d5687750335", 0.5f),
            new Golden(GgmlType.Q5_1, 192, "b44192fa9eaaf5bc237b75fddb55d18b642130b62d1eabc49d7afecbb7b6a58b", "95cfbb80d79b762195ca074b8486c65cd4df3b1c8d21a2821a1bf596645781f6", 0.49805f),
            new Golden(GgmlType.Q8_0, 272, "07b6c0c39bf923a11ce982c5b8b1251fb5ffe2187e3dd31291bac2419c046886", "fc913534cd63d82049e8e558619a831e22a9d10bc8a5d11158b05cdbcb9a7717", 0.0625f),
            new Golden(GgmlType.Q4_K, 144, "e626f99d9a384781696780bda3cb92c0345137abb1bc985fd0999c6536e4e11b", "15d3eea31b0a2636cf23fbde14e266f8dbc05e920f6af8ff1871564a2e053e07", 0.97168f),
            new Golden(GgmlType.Q5_K, 176, "3dc686a9a9ac281151d6d1c421cc1f32b8b46105e52360ff66ef3fbd10d19040", "51aee9a39588af06ff4c50b8c83e511e525b8423e37a85fe92284188036dbadc", 0.41199f),
            new Golden(GgmlType.Q6_K, 210, "9a6df78051eade3790bc78352cf3ada4665337dbc7b89a37488708825947f8e9", "07459387cbbe5fe067fcf8307770b2898639526538efae751fa1e7b9d9693ba6", 0.22656f),
            new Golden(GgmlType.F16, 512, "b7ed7ebd5c49a0b9a5678ffdeeffb81e358933a4048942a2ae79dbc323f22219", null, 0f),
            new Golden(GgmlType.BF16, 512, "518708f37e60231b3db994fe2629b7ec951a30525404721f7a8c8a179aa24122", null, 0f),
    };

    /** One ggml-made super-block each, for the decoders. */
    static final Map<GgmlType, String> BLOCKS = Map.of(
            GgmlType.Q4_K, "4d28bb33908fe0de908fdfdfffedffdc7019a23bc56df78119b34cd56e08912ab45ce67f08a23bc45df78019a34bd56e8018a23bd46df78029b34bd57e07912ac35ce67e18a23ac46df78019b34bd56d8019a23bd56df78129b34cd57e08912ac45ce67f18a23bc46df78019b34bd56e8019a23bd56df78129b34cd57e08912ac45ce67f18a23bc46df78019b34bd56e",
            GgmlType.Q5_K, "1624cb339090e0df9090e0dfffffffeeaa55aa55aa55aaaa55aa55aa5555aa55aa55aa5555aa55aa55aaaa55aa55aa5500325577aaccef12446699bbed10335588aacdff22447799cbee11436688bbdd00225577aaccff12446699bbed00335588aaddff22447799cbee11336688bbdd00225577aaccff11446699bbee00335588aaddff22447799ccee11336688bbdd00225577aaccff11446699bbee00335588aaddff22447799ccee11336688bbdd",
            GgmlType.Q6_K, "1166bb0055aaff4499ee3388dd2277ccffaa5500bb6611cc7722dd8833ee9944ffaa5500bb6611cc7722dd8833ee9944eeaa4400cc6622bb7711dd9933ee88441166bb0055aaff4499ee3388dd2277ccffaa5500bb6611cc7722dd8833ee9944ffaa5500bb6611cc7722dd8833ee9944eeaa4400cc6622bb7711dd9922ff884444ee44ff11bb1144ee44bb11bbee44ee22882288dd77dd22882277dd7788228844ee44ff11bb1144ee44bb11bbee44ee22882288dd77dd22882277dd77882288e020201fc040403ea060605c807f7f7b009c");

    static float[] input() {
        float[] x = new float[256];
        for (int j = 0; j < 256; j++) x[j] = (float) (((j * 37) % 64) - 31) / 8 * (1 + j / 64);
        return x;
    }

    @Test void inputIsTheDocumentedRow() {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1024).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float v : input()) b.putFloat(v);
        assertEquals("6bfece6151ab491af0007017d8f9a52a6d4f06e0b6f7c8dce8d6cc9b0fea860a", GgmlOracleTest.sha(b.array()));
    }

    @Test void encodersAndDecodersReproduceTheGoldenHashes() {
        float[] x = input();
        for (Golden g : GOLDEN) {
            byte[] q = GgmlRefQuant.encode(g.type(), x, 0, 256);
            assertEquals(g.bytes(), q.length, g.type().name());
            assertEquals(g.quantSha(), GgmlOracleTest.sha(q), g.type() + " quantized bytes");
            float[] y = GgmlBlocks.decode(g.type(), q, 256);
            if (g.dequantSha() == null) assertArrayEquals(x, y, 0f, g.type().name());
            else assertEquals(g.dequantSha(), GgmlOracleTest.sha(y), g.type() + " dequantized");
            float err = 0;
            for (int i = 0; i < 256; i++) err = Math.max(err, Math.abs(x[i] - y[i]));
            assertEquals(g.maxErr(), err, 1e-5f, g.type() + " max abs error");
        }
    }

    @Test void decodersReproduceTheGoldenBlocks() {
        float[] x = input();
        for (var e : BLOCKS.entrySet()) {
            byte[] b = HexFormat.of().parseHex(e.getValue());
            assertEquals(e.getKey().typeSize, b.length);
            float[] y = GgmlBlocks.decode(e.getKey(), b, 256);
            Golden g = java.util.Arrays.stream(GOLDEN).filter(gg -> gg.type() == e.getKey()).findFirst().orElseThrow();
            assertEquals(g.dequantSha(), GgmlOracleTest.sha(y), e.getKey() + " golden block");
            assertArrayEquals(b, GgmlRefQuant.encode(e.getKey(), x, 0, 256), e.getKey() + " encoder");
        }
    }

    @Test void q4_0NibbleOrderIsHalvesNotPairs() {
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) x[j] = j - 12;
        byte[] q = GgmlRefQuant.encode(GgmlType.Q4_0, x, 0, 32);
        assertEquals("c0c06d6d5c5c5b4b4b3a3a39292818180707", HexFormat.of().formatHex(q));
        float[] y = GgmlBlocks.decode(GgmlType.Q4_0, q, 32);
        assertEquals(-11.875f, y[0]);
        assertEquals(4.75f, y[16]);
        assertEquals(19f, y[31]);
    }

    @Test void nearestIntRoundsHalfToEven() {
        assertEquals(2, GgmlRefQuant.nearestInt(2.5f));
        assertEquals(4, GgmlRefQuant.nearestInt(3.5f));
        assertEquals(-2, GgmlRefQuant.nearestInt(-2.5f));
        assertTrue(GgmlRefQuant.nearestInt(-0.4f) == 0);
    }
}
