package io.vdq.quant.dvd;

import io.vdq.model.FloatLinear;
import io.vdq.model.Linear;
import io.vdq.model.LinearRegistry;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.ActivationQuantizer;
import io.vdq.quant.Calibration;
import io.vdq.quant.Granularity;
import io.vdq.quant.Hadamard;
import io.vdq.quant.InputTransform;
import io.vdq.quant.Presets;
import io.vdq.quant.QuantizedLinear;
import io.vdq.quant.Recipe;
import io.vdq.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.SequencedMap;

/**
 * Not a test: a seconds-long comparison of W4A4/W4A8 methods on one DiT-like block slice (to_q and the FFN,
 * Student-t(4) weights, adaLN-modulated LayerNorm-like inputs with three outlier channels), relative L2 error of
 * the outputs against float. A stand-in until the Wan model can be quantized end to end. Run after
 * {@code mvn test-compile}: {@code java -cp target/classes:target/test-classes io.vdq.quant.dvd.DvdLayerChainExperiment}.
 */
public final class DvdLayerChainExperiment {
    private static final class Reg implements LinearRegistry {
        final SequencedMap<String, Linear> m = new LinkedHashMap<>();
        @Override public SequencedMap<String, Linear> linears() { return m; }
        @Override public void replaceLinear(String n, Linear l) { m.put(n, l); }
    }

    private static Reg model(int d) {
        Reg r = new Reg();
        r.m.put("blocks.0.attn1.to_q", DvdQuantMethodTest.Model.linear(10, d, d));
        r.m.put("blocks.0.ffn.net.0.proj", DvdQuantMethodTest.Model.linear(11, 4 * d, d));
        r.m.put("blocks.0.ffn.net.2", DvdQuantMethodTest.Model.linear(12, d, 4 * d));
        return r;
    }

    private static float[] run(Reg r, float[] x, int t, int d) {
        float[] q = new float[t * d], h = new float[t * 4 * d], y = new float[t * d];
        r.m.get("blocks.0.attn1.to_q").forward(x, 0, t, q, 0);
        r.m.get("blocks.0.ffn.net.0.proj").forward(x, 0, t, h, 0);
        for (int i = 0; i < h.length; i++) { double v = h[i]; h[i] = (float) (0.5 * v * (1 + Math.tanh(0.7978845608 * (v + 0.044715 * v * v * v)))); }
        r.m.get("blocks.0.ffn.net.2").forward(h, 0, t, y, 0);
        float[] out = new float[2 * t * d];
        System.arraycopy(q, 0, out, 0, t * d);
        System.arraycopy(y, 0, out, t * d, t * d);
        return out;
    }

    private static void rtn(Reg r, int aBits, boolean rotate) {
        ActivationBits bits = new ActivationBits(aBits);
        int i = 0;
        for (var e : new ArrayList<>(r.m.entrySet())) {
            FloatLinear f = (FloatLinear) e.getValue();
            int k = f.inFeatures();
            InputTransform tr = rotate ? InputTransform.hadamard(new Hadamard(k, Hadamard.defaultBlock(k, 1024), 1234 + i++)) : null;
            r.m.put(e.getKey(), QuantizedLinear.roundToNearest(f, 4, true, Granularity.PER_CHANNEL, 128, tr, ActivationQuantizer.perToken(bits, true)));
        }
    }

    public static void main(String[] args) {
        int t = 256;
        for (int d : new int[]{256, 1536}) {
            float[] z = Tensor.randn(1, t, d).data(), scale = BgrTest.studentT(2, d, 3), shift = BgrTest.studentT(3, d, 3);
            for (int j : new int[]{5, d / 3, d - 7}) { scale[j] *= 20; shift[j] *= 10; }
            float[] x = new float[t * d];
            for (int i = 0; i < t; i++) for (int j = 0; j < d; j++) x[i * d + j] = z[i * d + j] * (1 + 0.3f * scale[j]) + 0.3f * shift[j];
            float[] ref = run(model(d), x, t, d);
            String[] names = {"w4a4-minmax", "w4a4-quarot-rtn", "w4a4-dvd-bgr-only", "w4a4-dvd-arq-only", "w4a4-dvd",
                    "w4a4-dvd scaling=channel", "w4a4-dvd scaling=off", "w4a8-minmax", "w4a8-quarot", "w4a8-dvd"};
            for (String n : names) {
                Reg r = model(d);
                if (n.contains("minmax") || n.contains("quarot")) rtn(r, n.contains("a8") ? 8 : 4, n.contains("quarot"));
                else {
                    Recipe rec = Presets.get(n.split(" ")[0]);
                    if (n.contains("=")) rec = rec.withOption("scaling", n.substring(n.indexOf('=') + 1));
                    new DvdQuantMethod().apply(r, rec, Calibration.none());
                }
                System.out.printf("dim %4d  %-26s rel. L2 output error %.4f%n", d, n, ArqTest.relErr(toD(ref), toD(run(r, x, t, d))));
            }
        }
    }

    private static double[] toD(float[] a) { return ArqTest.toDouble(a); }
}
