package io.vdq.pipeline;

import io.vdq.model.wan.LinearHook;
import io.vdq.model.wan.WanModel;
import io.vdq.quant.ArchitectureDefaults;
import io.vdq.quant.Calibration;
import io.vdq.quant.NamePatterns;
import io.vdq.quant.StepTag;
import io.vdq.quant.calib.LayerStats;
import io.vdq.quant.calib.Recorder;
import io.vdq.quant.calib.StatsRequest;
import io.vdq.quant.gguf.ColumnImportance;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The calibration statistics {@code vdq export-gguf} needs for its data-aware encoders: the model samples the
 * calibration prompts as {@code vdq quantize} does ({@link QuantizePipeline#calibration}), and each block linear that
 * a GGUF quantizes (Wan's attention and FFN projections) records either its Hessian Σ xxᵀ / n (for
 * {@code --method gptq}; K² doubles per layer) or only the mean square of each input channel (the
 * {@code --importance} file, {@link ColumnImportance}; K floats per layer).
 */
public final class GgufCalibration {
    private GgufCalibration() {}

    /**
     * @param hessians   per layer (diffusers prefix), Σ xxᵀ / n, row-major K×K; empty unless asked for
     * @param meanSquares per layer, the mean square of each input channel (the diagonal of the Hessian)
     * @param description what was run, for the file's {@code vdq.calibration} key
     */
    public record Result(Map<String, double[]> hessians, Map<String, float[]> meanSquares, String description) {}

    /** Runs the calibration of {@code s} (its recipe is not used) once on {@code model}. */
    public static Result run(WanModel model, QuantizePipeline.Settings s, boolean hessians, QuantizePipeline.Progress progress) {
        List<String> layers = new ArrayList<>();
        for (String n : model.linears().keySet())
            if (NamePatterns.selects(ArchitectureDefaults.WAN_INCLUDE, ArchitectureDefaults.WAN_EXCLUDE, n)) layers.add(n);
        Calibration cal = QuantizePipeline.calibration(model, s, progress);
        Map<String, double[]> h = new LinkedHashMap<>();
        Map<String, float[]> ms = new LinkedHashMap<>();
        if (hessians) {
            for (Map.Entry<String, LayerStats> e : Recorder.record(model, layers, cal, StatsRequest.hessian()).entrySet()) {
                double[] x = e.getValue().xtx();
                int k = e.getValue().inFeatures();
                double n = Math.max(1, e.getValue().xtxTokens());
                float[] d = new float[k];
                for (int i = 0; i < x.length; i++) x[i] /= n;
                for (int i = 0; i < k; i++) d[i] = (float) x[i * k + i];
                h.put(e.getKey(), x);
                ms.put(e.getKey(), d);
            }
        } else {
            ColumnImportance imp = new ColumnImportance();
            LayerRecorder only = new LayerRecorder(imp, layers);
            try (AutoCloseable c = only.install(model)) {
                cal.run(new StepTag());
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            ms.putAll(imp.meanSquares());
        }
        List<String> prompts = s.calibrationPrompts();
        String d = String.format(Locale.ROOT, "%d prompts%s (%s), unipc %d steps, shift %s, cfg %s, sample %s, noise seed %d + i",
                prompts.size(), s.prompts() == null ? " (default)" : "", String.join(" | ", prompts), s.steps(), s.shift(), s.guidance(),
                Arrays.toString(s.latentShape()), s.seed());
        return new Result(h, ms, d);
    }

    /** A {@link ColumnImportance} that only looks at the chosen layers. */
    private record LayerRecorder(ColumnImportance imp, List<String> layers) implements LinearHook {
        @Override public void input(String name, float[] x, int xOff, int rows, int in) {
            if (layers.contains(name)) imp.input(name, x, xOff, rows, in);
        }
    }
}
