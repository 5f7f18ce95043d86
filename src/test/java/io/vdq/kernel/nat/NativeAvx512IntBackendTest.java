package io.vdq.kernel.nat;

import static org.junit.jupiter.api.Assertions.*;

import io.vdq.kernel.ActQuant;
import io.vdq.kernel.IntGemm;
import io.vdq.kernel.IntTestData;
import io.vdq.kernel.IntWeights;
import io.vdq.kernel.PackedInt;
import io.vdq.kernel.nat.NativeIntBackend.Isa;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The AVX-512 VNNI kernels: the {@link NativeIntBackendContract} tests, plus equality with the AVX2 kernels on
 * random shapes and the same packed data. Skipped (with the missing CPU flag in the reason) on hosts without
 * avx512f / avx512bw / avx512vl / avx512_vnni, or with a library built without the kernels.
 */
class NativeAvx512IntBackendTest extends NativeIntBackendContract {
    @Override Isa isa() { return Isa.AVX512_VNNI; }

    @Test
    void packsExactlyTheDataOfTheAvx2Backend() {
        NativeIntBackend avx2 = new NativeIntBackend(nat.library(), Isa.AVX2);
        Random r = new Random(41);
        for (int bits : new int[]{8, 4}) {
            IntWeights w = IntTestData.weights(r, 37, 70, bits, 12, true, true);
            PackedInt a = nat.pack(w), b = avx2.pack(w);
            assertEquals("native-avx512vnni", a.backend());
            assertEquals(avx2.packedBytes(b), nat.packedBytes(a));
            NativeIntBackend.Packed pa = (NativeIntBackend.Packed) a.data(), pb = (NativeIntBackend.Packed) b.data();
            assertArrayEquals(pb.w().toArray(ValueLayout.JAVA_BYTE), pa.w().toArray(ValueLayout.JAVA_BYTE), "W" + bits + " codes");
            assertArrayEquals(pb.scales(), pa.scales());
            assertArrayEquals(pb.zeros(), pa.zeros(), "zero points: the W8 +128 is added in the kernel, not stored");
            assertArrayEquals(pb.bias(), pa.bias());
        }
    }

    @Test
    void sameBitsAsAvx2AndJavaOnRandomShapes() {
        NativeIntBackend avx2 = new NativeIntBackend(nat.library(), Isa.AVX2);
        Random r = new Random(42);
        for (int trial = 0; trial < 120; trial++) {
            int m = 1 + r.nextInt(40), n = 1 + r.nextInt(100), k = 1 + r.nextInt(300);
            int gs = r.nextInt(3) == 0 ? 0 : 4 * (1 + r.nextInt(20));
            int bits = r.nextBoolean() ? 8 : 4, actBits = new int[]{8, 6, 4}[r.nextInt(3)];
            IntWeights w = IntTestData.weights(r, n, k, bits, gs, r.nextBoolean(), r.nextBoolean());
            ActQuant a = new ActQuant(m, k, actBits, gs);
            IntGemm.quantizeRows(IntTestData.activations(r, m, k), 0, a, 0, m);
            float[] yj = new float[m * n], y2 = new float[m * n], y5 = new float[m * n];
            float[] mul = r.nextBoolean() ? null : new float[a.groups];
            if (mul != null) for (int g = 0; g < mul.length; g++) mul[g] = 0.5f + r.nextFloat();
            IntGemm.gemmRows(a, w, mul, yj, 0, 0, m);
            avx2.gemm(a, avx2.pack(w), mul, y2, 0);
            nat.gemm(a, nat.pack(w), mul, y5, 0);
            String what = "trial " + trial + ": W" + bits + "A" + actBits + " m=" + m + " n=" + n + " k=" + k + " gs=" + gs
                    + " group scales=" + (mul != null);
            assertBitEqual(yj, y2, what + " AVX2 vs Java");
            assertBitEqual(yj, y5, what + " AVX-512 vs Java");
        }
    }
}
