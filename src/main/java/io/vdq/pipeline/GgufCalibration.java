package io.vdq.pipeline;

import io.vdq.model.wan.LinearHook;
import io.vdq.model.wan.WanModel;
import io.vdq.quant.ArchitectureDefaults;
import io.vdq.quant.Calibration;
import io.vdq.quant.NamePatterns;
import io.vdq.quant.StepTag;
import io.vdq.quant.calib.ColumnImportance;
import io.vdq.quant.calib.LayerStats;
import io.vdq.quant.calib.Recorder;
import io.vdq.quant.calib.StatsRequest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SequencedMap;

/**
 * The calibration statistics {@code vdq export-gguf} needs for its data-aware encoders: the model samples the
 * calibration prompts as {@code vdq quantize} does ({@link QuantizePipeline#calibration}), and each block linear that
 * a GGUF quantizes (Wan's attention and FFN projections) records either its Hessian Σ xxᵀ / n (for
 * {@code --method gptq}; K² doubles per layer, recorded in passes of bounded memory, {@link Hessians}) or only the mean square of each input channel (the
 * {@code --importance} file, {@link ColumnImportance}; K floats per layer).
 */
public final class GgufCalibration {
    private GgufCalibration() {}

    /**
     * @param hessians    the layers' Hessians Σ xxᵀ / n (row-major K×K), computed in passes on demand; null unless asked for
     * @param importance  per layer, the mean square of each input channel (without Hessians)
     * @param description what was run, for the file's {@code vdq.calibration} key
     */
    public record Result(Hessians hessians, Map<String, float[]> importance, String description) {
        /** Per layer, the mean square of each input channel: the Hessians' diagonals when there are Hessians. */
        public Map<String, float[]> meanSquares() { return hessians != null ? hessians.meanSquares() : importance; }
    }

    /**
     * Runs the calibration of {@code s} (its recipe is not used) on {@code model}: at once for the mean squares, or,
     * with {@code hessianOrder} (the layers whose Hessians will be asked for, in the order they will be), returns
     * {@link Hessians} that record them in passes of at most {@code budgetBytes} of Hessians each.
     */
    public static Result run(WanModel model, QuantizePipeline.Settings s, List<String> hessianOrder, long budgetBytes,
                             QuantizePipeline.Progress progress) {
        List<String> layers = new ArrayList<>();
        for (String n : model.linears().keySet())
            if (NamePatterns.selects(ArchitectureDefaults.WAN_INCLUDE, ArchitectureDefaults.WAN_EXCLUDE, n)) layers.add(n);
        Calibration cal = QuantizePipeline.calibration(model, s, progress);
        Hessians h = null;
        Map<String, float[]> ms = new LinkedHashMap<>();
        if (hessianOrder != null) {
            List<String> order = new ArrayList<>();
            for (String n : hessianOrder) if (layers.contains(n) && !order.contains(n)) order.add(n);
            for (String n : layers) if (!order.contains(n)) order.add(n);   // asked for never: only their mean squares
            h = new Hessians(model, cal, order, layers, budgetBytes, progress);
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

    /**
     * Calibration Hessians with bounded memory: a layer's Hessian is recorded on the first request, together with
     * those of the layers requested next (in the declared order) up to {@code budgetBytes} of Hessians (at least
     * one layer), by one calibration pass; the previous pass's Hessians are dropped then. A 14B-shaped model's
     * Hessians (an FFN down projection's alone is 13824² doubles, 1.5 GB) are never all held at once; each pass
     * reruns the calibration sampling, so a smaller budget costs more passes. The calibration is deterministic, so
     * every Hessian is the one a single pass over all layers records, bit for bit.
     */
    public static final class Hessians {
        private final WanModel model;
        private final Calibration cal;
        private final List<String> order, modelOrder;
        private final long budget;
        private final QuantizePipeline.Progress progress;
        private final Map<String, double[]> current = new HashMap<>();
        private final Map<String, float[]> diagonals = new HashMap<>();
        private int passes;

        Hessians(WanModel model, Calibration cal, List<String> order, List<String> modelOrder, long budget, QuantizePipeline.Progress progress) {
            this.model = model;
            this.cal = cal;
            this.order = order;
            this.modelOrder = modelOrder;
            this.budget = budget;
            this.progress = progress;
        }

        /** The Hessian Σ xxᵀ / n of {@code layer} (K×K, row-major), or null for a layer that is not calibrated. */
        public synchronized double[] get(String layer) {
            double[] h = current.get(layer);
            if (h != null) return h;
            int i = order.indexOf(layer);
            if (i < 0) return null;
            pass(i);
            return current.get(layer);
        }

        /** Calibration passes run so far. */
        public synchronized int passes() { return passes; }

        /** Records the Hessians of {@code order[from..]} up to the budget (at least one layer), dropping the previous ones. */
        private void pass(int from) {
            current.clear();
            List<String> batch = new ArrayList<>();
            long bytes = 0;
            for (int j = from; j < order.size(); j++) {
                long k = model.linears().get(order.get(j)).inFeatures(), b = k * k * Double.BYTES;
                if (!batch.isEmpty() && bytes + b > budget) break;
                batch.add(order.get(j));
                bytes += b;
            }
            passes++;
            SequencedMap<String, LayerStats> stats = Recorder.record(model, batch, cal, StatsRequest.hessian());
            if (progress != null)   // after the pass: a calibration that fails says so in one line
                progress.stage(String.format(Locale.ROOT, "Hessians, pass %d: %d layers from %s (%.0f MB)", passes, batch.size(),
                        batch.getFirst(), bytes / 1e6));
            for (Map.Entry<String, LayerStats> e : stats.entrySet()) {
                double[] x = e.getValue().xtx();
                int k = e.getValue().inFeatures();
                double n = Math.max(1, e.getValue().xtxTokens());
                float[] d = new float[k];
                for (int i = 0; i < x.length; i++) x[i] /= n;
                for (int i = 0; i < k; i++) d[i] = (float) x[i * k + i];
                current.put(e.getKey(), x);
                diagonals.put(e.getKey(), d);
            }
        }

        /**
         * Per layer (model order), the mean square of each input channel (the Hessian's diagonal), running passes
         * for the layers no request has reached yet.
         */
        public synchronized Map<String, float[]> meanSquares() {
            for (int i = 0; i < order.size(); i++) if (!diagonals.containsKey(order.get(i))) pass(i);
            Map<String, float[]> out = new LinkedHashMap<>();
            for (String n : modelOrder) out.put(n, diagonals.get(n));
            return out;
        }
    }

    /** A {@link ColumnImportance} that only looks at the chosen layers. */
    private record LayerRecorder(ColumnImportance imp, List<String> layers) implements LinearHook {
        @Override public void input(String name, float[] x, int xOff, int rows, int in) {
            if (layers.contains(name)) imp.input(name, x, xOff, rows, in);
        }
    }
}
