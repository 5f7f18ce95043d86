package io.vdq.quant.vidit;

import io.vdq.VdqException.ConfigException;
import io.vdq.quant.MethodSettings;
import io.vdq.quant.Recipe;
import io.vdq.quant.SettingsReader;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Options of method {@code vidit} (version 1).
 *
 * @param alphas {@code alphas} [[0.7, 0.5]]: one balancing α in 0..1 per equal range of the calibration's steps, earliest
 *               range first; a single α is plain channel balancing
 */
public record ViditSettings(List<Double> alphas) implements MethodSettings {
    public static final int VERSION = 1;
    public static final Set<String> KEYS = Set.of("alphas");
    static final List<Double> DEFAULT_ALPHAS = List.of(0.7, 0.5);

    public ViditSettings { alphas = List.copyOf(alphas); }

    public static ViditSettings parse(Recipe r) {
        SettingsReader o = new SettingsReader(r, "vidit", KEYS);
        List<Double> alphas = o.numbers("alphas", DEFAULT_ALPHAS);
        if (alphas.isEmpty())
            throw new ConfigException("recipe '" + r.name() + "' option 'alphas' is empty: expected one α per timestep range");
        for (double a : alphas) if (!(a >= 0 && a <= 1)) throw o.invalid("alphas", alphas, "values in 0..1");
        return new ViditSettings(alphas);
    }

    /** The number of timestep ranges, each with its own α (and its own quantized copy of every layer). */
    public int ranges() { return alphas.size(); }

    @Override public int version() { return VERSION; }

    @Override public Map<String, Object> toOptions() { return Map.of("alphas", alphas); }
}
