package io.vdq.quant.dvd;

import io.vdq.kernel.ExecutionContext;
import io.vdq.kernel.KernelBackend;
import io.vdq.kernel.Kernels;
import io.vdq.kernel.PackedWeights;
import io.vdq.quant.ActivationBits;
import io.vdq.quant.IntExec;
import io.vdq.tensor.Tensor;
import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * Cost of the ten linears of one Wan2.1-1.3B-shaped block (dim 1536, FFN 8960; self-attention and FFN layers on
 * {@code tokens} video tokens, cross-attention K/V on 512 text tokens) per ARQ variant, as process CPU seconds
 * (a fairer figure than wall time on a shared host): FP32 GEMM, w4a4-dvd-paper (block Λ, integer), w4a4-dvd
 * (centred except the text inputs, per-channel Λ) on the integer kernels and on the fake-quant path. Not a test:
 * {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp 'target/classes:target/test-classes:target/lib/*'
 * io.vdq.quant.dvd.ArqCostExperiment [tokens=4096] [reps=3]}. Prints the median CPU seconds per block pass.
 */
public final class ArqCostExperiment {
    private ArqCostExperiment() {}

    /** name, in, out, text input? */
    static final Object[][] LAYERS = {{"attn1.q", 1536, 1536, false}, {"attn1.k", 1536, 1536, false}, {"attn1.v", 1536, 1536, false},
            {"attn1.o", 1536, 1536, false}, {"attn2.q", 1536, 1536, false}, {"attn2.k", 1536, 1536, true}, {"attn2.v", 1536, 1536, true},
            {"attn2.o", 1536, 1536, false}, {"ffn.0", 1536, 8960, false}, {"ffn.2", 8960, 1536, false}};

    public static void main(String[] args) {
        int tokens = args.length > 0 ? Integer.parseInt(args[0]) : 4096, reps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        Arq.Options paper = Arq.Options.DEFAULTS, dvd = Arq.Options.DEFAULTS.withScaling(Arq.Scaling.CHANNEL).withCenter(true);
        String[] names = {"fp32", "w4a4-dvd-paper int", "w4a4-dvd int", "w4a4-dvd fakequant"};
        System.out.printf(Locale.ROOT, "one 1.3B-shaped block's linears, %d video / 512 text tokens, integer backend %s, float %s, load %s%n",
                tokens, ExecutionContext.intBackend().name(), Kernels.get().name(), load());
        float[][] x = new float[LAYERS.length][];
        for (int i = 0; i < LAYERS.length; i++) {
            int in = (int) LAYERS[i][1], rows = (boolean) LAYERS[i][3] ? 512 : tokens;
            x[i] = Tensor.randn(10 + i, rows, in).data();
            if (!(boolean) LAYERS[i][3]) for (int t = 0; t < rows; t++) for (int j = 0; j < in; j += 97) x[i][t * in + j] += 20f; // shared offsets
        }
        for (int v = 0; v < names.length; v++) {
            Runnable[] calls = new Runnable[LAYERS.length];
            for (int i = 0; i < LAYERS.length; i++) {
                int in = (int) LAYERS[i][1], out = (int) LAYERS[i][2], rows = (boolean) LAYERS[i][3] ? 512 : tokens;
                float[] w = Tensor.randn(100 + i, out, in).data(), b = Tensor.randn(200 + i, out).data(), y = new float[rows * out], xi = x[i];
                if (v == 0) {
                    KernelBackend kb = Kernels.get();
                    PackedWeights p = kb.pack(w, 0, out, in);
                    calls[i] = () -> kb.gemm(xi, 0, rows, p, b, y, 0);
                } else {
                    Arq.Options o = v == 1 ? paper : (boolean) LAYERS[i][3] ? dvd.withCenter(false) : dvd;
                    Arq arq = new Arq(in, o, 1234 + i);
                    ArqLinear l = new ArqLinear(arq, DvdQuantMethod.quantizeWeights(arq, w, out, Bgr.Options.DEFAULTS.withBits(4).withMaxIterations(2)),
                            b, new ActivationBits(4), false);
                    calls[i] = () -> l.forward(xi, 0, rows, y, 0);
                }
            }
            ExecutionContext.setQuantExec(v == 3 ? ExecutionContext.QuantExec.FAKEQUANT : ExecutionContext.QuantExec.INT);
            for (Runnable c : calls) c.run(); // warm-up, packing
            double[] cpu = new double[reps], wall = new double[reps];
            double[] perLayer = new double[LAYERS.length];
            for (int r = 0; r < reps; r++) {
                long c0 = os.getProcessCpuTime(), t0 = System.nanoTime();
                for (int i = 0; i < calls.length; i++) {
                    long ci = os.getProcessCpuTime();
                    calls[i].run();
                    perLayer[i] += (os.getProcessCpuTime() - ci) / 1e9 / reps;
                }
                cpu[r] = (os.getProcessCpuTime() - c0) / 1e9;
                wall[r] = (System.nanoTime() - t0) / 1e9;
            }
            java.util.Arrays.sort(cpu);
            java.util.Arrays.sort(wall);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < LAYERS.length; i++) sb.append(String.format(Locale.ROOT, " %s %.2f", LAYERS[i][0], perLayer[i]));
            System.out.printf(Locale.ROOT, "%-20s CPU s %.2f (median of %d), wall s %.2f |%s%n", names[v], cpu[reps / 2], reps, wall[reps / 2], sb);
        }
        ExecutionContext.setQuantExec(ExecutionContext.QuantExec.INT);
        System.out.printf("load at the end: %s%n", load());
    }

    static String load() {
        try { return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim(); } catch (Exception e) { return "?"; }
    }
}
