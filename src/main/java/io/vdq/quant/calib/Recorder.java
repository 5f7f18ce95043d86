package io.vdq.quant.calib;

import io.vdq.VdqException.ConfigException;
import io.vdq.model.Linear;
import io.vdq.model.LinearRegistry;
import io.vdq.quant.Calibration;
import io.vdq.quant.StepTag;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;

/**
 * Runs a calibration with recorders installed on the named layers (via {@link LinearRegistry#replaceLinear}) and
 * returns their statistics; the original layers are always put back, also when the calibration fails.
 */
public final class Recorder {
    private static final System.Logger LOG = System.getLogger("io.vdq.quant.calib");

    private Recorder() {}

    public static SequencedMap<String, LayerStats> record(LinearRegistry model, Collection<String> names,
                                                          Calibration calibration, StatsRequest req) {
        Map<String, Linear> layers = model.linears();
        SequencedMap<String, LayerStats> stats = new LinkedHashMap<>();
        SequencedMap<String, Linear> originals = new LinkedHashMap<>();
        StepTag tag = new StepTag();
        try {
            for (String n : names) {
                Linear l = layers.get(n);
                if (l == null) throw new ConfigException("calibration: model has no linear layer '" + n + "'");
                LayerStats s = new LayerStats(n, l.inFeatures(), calibration.steps(), req);
                originals.put(n, l);
                model.replaceLinear(n, new RecordingLinear(l, s, tag));
                stats.put(n, s);
            }
            long t0 = System.nanoTime();
            calibration.run(tag);
            LOG.log(System.Logger.Level.INFO, () -> String.format("calibration over %d layers took %.1f s",
                    names.size(), (System.nanoTime() - t0) / 1e9));
        } finally {
            for (Map.Entry<String, Linear> e : originals.entrySet()) model.replaceLinear(e.getKey(), e.getValue());
            tag.clear();
        }
        for (LayerStats s : stats.values())
            if (s.tokens() == 0)
                throw new ConfigException("calibration: layer '" + s.name() + "' saw no input; is the calibration data empty?");
        return stats;
    }
}
